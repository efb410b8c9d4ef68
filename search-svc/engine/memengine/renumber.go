package memengine

import (
	"iter"
	"maps"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// retired marks a doc number with no place in the renumbered index.
const retired = ^uint32(0)

// renumbered returns a copy of ix whose live docs are numbered in
// popularity order, with retired docs dropped and a dictionary over every
// term. It maps each posting through the permutation of doc numbers instead
// of analysing the movies again: the profile put re-analysis and per-doc
// roaring adds at most of the indexing CPU, while a bitmap's members can be
// mapped, sorted and added in one go.
//
// ix is only read, so searches may go on against it; the copy shares
// nothing ix's writers change.
func (ix *index) renumbered() (*index, error) {
	// The built part is in order already; only the tail needs sorting, and
	// merging in.
	head := ix.alive.ToArray()
	split, _ := slices.BinarySearch(head, ix.ordered)
	head, tail := head[:split], head[split:]
	slices.SortFunc(tail, ix.popularityOrder)
	order := make([]uint32, 0, len(head)+len(tail))
	for len(head) > 0 && len(tail) > 0 {
		if ix.popularityOrder(head[0], tail[0]) <= 0 {
			order, head = append(order, head[0]), head[1:]
		} else {
			order, tail = append(order, tail[0]), tail[1:]
		}
	}
	order = append(append(order, head...), tail...)
	perm := make([]uint32, len(ix.docs))
	for i := range perm {
		perm[i] = retired
	}
	for to, from := range order {
		perm[from] = uint32(to)
	}
	r := &remapper{perm: perm, ordered: ix.ordered}

	out := newIndex(ix.an)
	out.docs = make([]doc, len(order))
	var nameBytes, genreCount int
	for _, from := range order {
		nameBytes += int(ix.docs[from].nameEnd - ix.nameStart(from))
		genreCount += len(ix.genresOf(from))
	}
	out.names = make([]byte, 0, nameBytes)
	out.genreSeq = make([]uint16, 0, genreCount)
	for to, from := range order {
		d := ix.docs[from]
		out.names = append(out.names, ix.names[ix.nameStart(from):d.nameEnd]...)
		out.genreSeq = append(out.genreSeq, ix.genresOf(from)...)
		d.nameEnd, d.genresEnd = uint32(len(out.names)), uint32(len(out.genreSeq))
		out.docs[to] = d
	}
	out.idOrder = r.idOrder(ix, out.docs)
	out.alive.AddRange(0, uint64(len(order)))
	out.alive.RunOptimize()
	out.ordered = uint32(len(order))
	out.cursor = ix.cursor

	out.terms = slices.Clone(ix.terms)
	out.termID = maps.Clone(ix.termID)
	out.postings = make([][numFields]*roaring.Bitmap, len(ix.postings))
	for id, fields := range ix.postings {
		for f, b := range fields {
			// A term whose docs are all retired keeps its id (the
			// dictionary maps to it) but no posting.
			if m := r.remap(b); m != nil && !m.IsEmpty() {
				out.postings[id][f] = m
			}
		}
	}
	for f := range ix.prefix {
		for pre, b := range ix.prefix[f] {
			if m := r.remap(b); !m.IsEmpty() {
				out.prefix[f][pre] = m
			}
		}
	}
	for k, b := range ix.nameWords {
		out.nameWords[k] = r.remap(b)
	}

	out.genres = slices.Clone(ix.genres)
	out.genreIndex = maps.Clone(ix.genreIndex)
	out.genreByKey = maps.Clone(ix.genreByKey)
	out.genreDocs = make([]*roaring.Bitmap, len(ix.genreDocs))
	for gi, b := range ix.genreDocs {
		out.genreDocs[gi] = r.remap(b)
	}
	for key, b := range ix.directorKey {
		if m := r.remap(b); !m.IsEmpty() {
			out.directorKey[key] = m
		}
	}
	// Writers only append to directors: the clipped copy never sees
	// ix's later appends, and its own reallocate.
	out.directors = slices.Clip(ix.directors)
	out.directorNum = maps.Clone(ix.directorNum)

	if err := out.buildDict(); err != nil {
		return nil, err
	}
	return out, nil
}

// remapper maps bitmaps of old doc numbers to new ones through perm,
// reusing its buffers across bitmaps. The built part of the index (numbers
// below ordered) is in popularity order already, so perm keeps its members
// in order; only the tail's need sorting, and are merged in.
type remapper struct {
	perm            []uint32
	ordered         uint32
	head, tail, buf []uint32
	chunk           [256]uint32
	dense           []uint64 // a bit per doc; zero between remaps
}

// idOrder is the renumbered docs' numbers (docs) in id order: ix's, which
// are in id order already, mapped, merged with its live tail's, sorted.
func (r *remapper) idOrder(ix *index, docs []doc) []uint32 {
	built := make([]uint32, 0, len(ix.idOrder))
	for _, from := range ix.idOrder {
		if to := r.perm[from]; to != retired {
			built = append(built, to)
		}
	}
	tail := make([]uint32, 0, len(ix.tailByID))
	for _, from := range ix.tailByID {
		tail = append(tail, from)
	}
	slices.SortFunc(tail, ix.idCompare)
	out := make([]uint32, 0, len(built)+len(tail))
	i, j := 0, 0
	for i < len(built) && j < len(tail) {
		// built holds new numbers, tail old ones: compare through their ids.
		if docs[built[i]].id < ix.docs[tail[j]].id {
			out = append(out, built[i])
			i++
		} else {
			out = append(out, r.perm[tail[j]])
			j++
		}
	}
	out = append(out, built[i:]...)
	for _, from := range tail[j:] {
		out = append(out, r.perm[from])
	}
	return out
}

// live yields b's members that are not retired, old number and new.
func (r *remapper) live(b *roaring.Bitmap) iter.Seq2[uint32, uint32] {
	return func(yield func(from, to uint32) bool) {
		it := b.ManyIterator()
		for {
			n := it.NextMany(r.chunk[:])
			if n == 0 {
				return
			}
			for _, from := range r.chunk[:n] {
				if to := r.perm[from]; to != retired && !yield(from, to) {
					return
				}
			}
		}
	}
}

// denseRemap is the share of all docs from which a bitmap is remapped
// through a dense bitset (1/denseRemap of them or more).
const denseRemap = 256

// remap returns b's live members renumbered; nil stays nil.
func (r *remapper) remap(b *roaring.Bitmap) *roaring.Bitmap {
	if b == nil {
		return nil
	}
	if b.GetCardinality() >= uint64(len(r.perm)/denseRemap) {
		return r.remapDense(b)
	}
	r.head, r.tail = r.head[:0], r.tail[:0]
	for from, to := range r.live(b) {
		if from < r.ordered {
			r.head = append(r.head, to)
		} else {
			r.tail = append(r.tail, to)
		}
	}
	slices.Sort(r.tail)
	r.buf = r.buf[:0]
	i, j := 0, 0
	for i < len(r.head) && j < len(r.tail) {
		if r.head[i] < r.tail[j] {
			r.buf = append(r.buf, r.head[i])
			i++
		} else {
			r.buf = append(r.buf, r.tail[j])
			j++
		}
	}
	r.buf = append(append(r.buf, r.head[i:]...), r.tail[j:]...)
	out := roaring.New()
	out.AddMany(r.buf)
	return out
}

// remapDense remaps a big bitmap by setting its new numbers in a bitset
// and converting that, which sizes every container exactly from the
// start. Adding sorted numbers grows each array container by appending,
// and the discarded arrays, most of a rebuild's garbage, set its peak
// memory; it also needs no sort of the tail.
func (r *remapper) remapDense(b *roaring.Bitmap) *roaring.Bitmap {
	if r.dense == nil {
		r.dense = make([]uint64, (len(r.perm)+63)/64)
	}
	for _, to := range r.live(b) {
		r.dense[to/64] |= 1 << (to % 64)
	}
	out := roaring.FromDense(r.dense, true)
	clear(r.dense)
	return out
}
