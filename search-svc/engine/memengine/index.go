package memengine

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/vellum"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// The searchable fields, in the order their matches rank (Meilisearch's
// attribute rule: the name outweighs the director).
const (
	fieldName = iota
	fieldDirector
	numFields
)

const (
	// maxPrefixRunes is the longest prefix kept as its own posting list.
	// Short prefixes of the word being typed ("s", "st", "sta") match
	// thousands of words; their unions are precomputed at indexing, as
	// Meilisearch's prefix databases are, so a query never ORs thousands of
	// lists. Longer prefixes match few words and are expanded through the
	// term dictionary.
	maxPrefixRunes = 3
	// maxNameWords is the longest name length tracked for the exactness
	// rule; longer names are never an exact match of a ≤10-term query.
	maxNameWords = 16
)

// doc is a movie as stored: what a hit returns and what sorting reads.
// Docs are never changed once added: an update adds a new doc and retires
// the old number, so a snapshot can read them without a lock.
//
// A doc is its fixed-size fields only. Its name and genres sit in the
// index's shared arrays (names, genreSeq) in doc order, each doc's ending at
// nameEnd and genresEnd and starting where the previous doc's end, and its
// director is a number into the index's directors: in the 1M heap profile
// docs as structs of strings and a slice, and the id map, were 60% of the
// index. The 32-bit ends bound names to 4 GiB (some 200M titles), far past a
// catalog one node holds in memory.
type doc struct {
	id         int64
	popularity float64
	imdbScore  float64
	nameEnd    uint32
	genresEnd  uint32
	director   uint32
}

// index is one in-memory inverted index. Doc numbers below ordered are in
// (popularity desc, id asc) order, so the most popular matches of a bitmap
// are its first members; numbers from ordered on are the tail added since
// the last build, merged in by sorting.
type index struct {
	an       analyzer
	docs     []doc
	names    []byte   // the docs' names, in doc order
	genreSeq []uint16 // the docs' genres (indexes into genres), in doc order
	alive    *roaring.Bitmap
	ordered  uint32
	cursor   int64
	// idOrder holds the built docs' numbers sorted by movie id, searched
	// by halving (4 bytes a doc, where a map took 35); tailByID maps the
	// tail's ids. Together they find a movie's live doc.
	idOrder  []uint32
	tailByID map[int64]uint32

	terms    []string // by term id
	termID   map[string]uint32
	postings [][numFields]*roaring.Bitmap // by term id
	// dict maps terms[:dictLen] to their ids for typo and prefix
	// expansion; terms added since are scanned (recentTerms). dictBytes is
	// its encoding, which a snapshot writes as is.
	dict      *vellum.FST
	dictBytes []byte
	dictLen   int
	// expansions caches what typo and long-prefix terms expand to in dict.
	expansions *lru[expansionKey, expansion]
	prefix     [numFields]map[string]*roaring.Bitmap
	// nameWords[k] holds the docs whose name has k words (exactness rule).
	nameWords [maxNameWords + 1]*roaring.Bitmap

	genres      []string // display names, by genre index
	genreIndex  map[string]uint16
	genreDocs   []*roaring.Bitmap // by genre index
	genreByKey  map[string][]uint16
	directorKey map[string]*roaring.Bitmap
	directors   []string          // display names, by director number
	directorNum map[string]uint32 // interning
}

func newIndex(an analyzer) *index {
	ix := &index{
		an:          an,
		tailByID:    map[int64]uint32{},
		alive:       roaring.New(),
		termID:      map[string]uint32{},
		genreIndex:  map[string]uint16{},
		genreByKey:  map[string][]uint16{},
		directorKey: map[string]*roaring.Bitmap{},
		directorNum: map[string]uint32{},
		expansions:  newLRU[expansionKey, expansion](maxCachedExpansions),
	}
	for f := range ix.prefix {
		ix.prefix[f] = map[string]*roaring.Bitmap{}
	}
	for k := range ix.nameWords {
		ix.nameWords[k] = roaring.New()
	}
	return ix
}

// buildIndex makes a compact index of movies: numbered by popularity, with
// a term dictionary covering every term.
func buildIndex(an analyzer, movies []contract.Movie, cursor int64) (*index, error) {
	slices.SortFunc(movies, func(a, b contract.Movie) int {
		return cmp.Or(cmp.Compare(b.Popularity, a.Popularity), cmp.Compare(a.ID, b.ID))
	})
	ix := newIndex(an)
	ix.docs = make([]doc, 0, len(movies))
	for _, m := range movies {
		ix.upsert(m)
	}
	ix.ordered = uint32(len(ix.docs))
	ix.idOrder = make([]uint32, 0, len(ix.tailByID))
	for _, n := range ix.tailByID {
		ix.idOrder = append(ix.idOrder, n)
	}
	slices.SortFunc(ix.idOrder, ix.idCompare)
	clear(ix.tailByID)
	ix.cursor = cursor
	ix.alive.RunOptimize()
	if err := ix.buildDict(); err != nil {
		return nil, err
	}
	return ix, nil
}

// upsert adds m, retiring the doc it replaces.
func (ix *index) upsert(m contract.Movie) {
	ix.remove(m.ID)
	n := uint32(len(ix.docs))
	ix.names = append(ix.names, m.Name...)
	start := len(ix.genreSeq)
	for _, g := range m.Genre {
		gi := ix.genre(g.Name)
		if !slices.Contains(ix.genreSeq[start:], gi) {
			ix.genreSeq = append(ix.genreSeq, gi)
			ix.genreDocs[gi].Add(n)
		}
	}
	ix.docs = append(ix.docs, doc{
		id: m.ID, popularity: float64(m.Popularity), imdbScore: float64(m.IMDBScore),
		nameEnd: uint32(len(ix.names)), genresEnd: uint32(len(ix.genreSeq)), director: ix.director(m.Director),
	})
	ix.tailByID[m.ID] = n
	ix.alive.Add(n)

	nameTerms := ix.an.terms(m.Name)
	ix.nameWords[min(len(nameTerms), maxNameWords)].Add(n)
	for _, t := range nameTerms {
		ix.addTerm(fieldName, t, n)
	}
	for _, t := range ix.an.terms(m.Director) {
		ix.addTerm(fieldDirector, t, n)
	}
	key := engine.Key(m.Director)
	b := ix.directorKey[key]
	if b == nil {
		b = roaring.New()
		ix.directorKey[key] = b
	}
	b.Add(n)
}

// remove retires id's doc; its postings stay until the next build and are
// masked by alive.
func (ix *index) remove(id int64) {
	if n, ok := ix.lookup(id); ok {
		ix.alive.Remove(n)
		delete(ix.tailByID, id)
	}
}

// lookup is the live doc of movie id.
func (ix *index) lookup(id int64) (uint32, bool) {
	if n, ok := ix.tailByID[id]; ok {
		return n, true
	}
	i, found := slices.BinarySearchFunc(ix.idOrder, id, func(n uint32, id int64) int { return cmp.Compare(ix.docs[n].id, id) })
	if found && ix.alive.Contains(ix.idOrder[i]) {
		return ix.idOrder[i], true
	}
	return 0, false
}

func (ix *index) idCompare(a, b uint32) int { return cmp.Compare(ix.docs[a].id, ix.docs[b].id) }

// name is doc n's name.
func (ix *index) name(n uint32) string {
	return string(ix.names[ix.nameStart(n):ix.docs[n].nameEnd])
}

func (ix *index) nameStart(n uint32) uint32 {
	if n == 0 {
		return 0
	}
	return ix.docs[n-1].nameEnd
}

// genresOf is doc n's genres, as indexes into genres.
func (ix *index) genresOf(n uint32) []uint16 {
	start := uint32(0)
	if n > 0 {
		start = ix.docs[n-1].genresEnd
	}
	return ix.genreSeq[start:ix.docs[n].genresEnd]
}

func (ix *index) addTerm(field int, t string, n uint32) {
	id, ok := ix.termID[t]
	if !ok {
		id = uint32(len(ix.terms))
		ix.terms = append(ix.terms, t)
		ix.termID[t] = id
		ix.postings = append(ix.postings, [numFields]*roaring.Bitmap{})
	}
	p := ix.postings[id][field]
	if p == nil {
		p = roaring.New()
		ix.postings[id][field] = p
	}
	p.Add(n)
	end := 0
	for k := 1; k <= maxPrefixRunes && end < len(t); k++ {
		_, size := utf8.DecodeRuneInString(t[end:])
		end += size
		pre := t[:end]
		b := ix.prefix[field][pre]
		if b == nil {
			b = roaring.New()
			ix.prefix[field][pre] = b
		}
		b.Add(n)
	}
}

func (ix *index) genre(name string) uint16 {
	if gi, ok := ix.genreIndex[name]; ok {
		return gi
	}
	gi := uint16(len(ix.genres))
	ix.genres = append(ix.genres, name)
	ix.genreIndex[name] = gi
	ix.genreDocs = append(ix.genreDocs, roaring.New())
	key := engine.Key(name)
	ix.genreByKey[key] = append(ix.genreByKey[key], gi)
	return gi
}

// director is the number of the director named s, added if new.
func (ix *index) director(s string) uint32 {
	if n, ok := ix.directorNum[s]; ok {
		return n
	}
	n := uint32(len(ix.directors))
	ix.directors = append(ix.directors, s)
	ix.directorNum[s] = n
	return n
}

// buildDict rebuilds the term dictionary over every term.
func (ix *index) buildDict() error {
	ids := make([]uint32, len(ix.terms))
	for i := range ids {
		ids[i] = uint32(i)
	}
	slices.SortFunc(ids, func(a, b uint32) int { return cmp.Compare(ix.terms[a], ix.terms[b]) })
	var buf bytes.Buffer
	b, err := vellum.New(&buf, nil)
	if err != nil {
		return fmt.Errorf("memengine: term dictionary: %w", err)
	}
	for _, id := range ids {
		if err := b.Insert([]byte(ix.terms[id]), uint64(id)); err != nil {
			return fmt.Errorf("memengine: term dictionary: %w", err)
		}
	}
	if err := b.Close(); err != nil {
		return fmt.Errorf("memengine: term dictionary: %w", err)
	}
	fst, err := vellum.Load(buf.Bytes())
	if err != nil {
		return fmt.Errorf("memengine: term dictionary: %w", err)
	}
	ix.dict, ix.dictBytes, ix.dictLen = fst, buf.Bytes(), len(ix.terms)
	return nil
}

// recentTerms are the terms the dictionary does not cover yet.
func (ix *index) recentTerms() []string { return ix.terms[ix.dictLen:] }

// tail is how many docs were added since the last build.
func (ix *index) tail() int { return len(ix.docs) - int(ix.ordered) }

// liveMovies returns every live movie (for a rebuild or a snapshot).
func (ix *index) liveMovies() []contract.Movie {
	out := make([]contract.Movie, 0, ix.alive.GetCardinality())
	it := ix.alive.Iterator()
	for it.HasNext() {
		out = append(out, ix.movie(it.Next()))
	}
	return out
}

// movie is doc n as the API returns it.
func (ix *index) movie(n uint32) contract.Movie {
	d := &ix.docs[n]
	genres := ix.genresOf(n)
	m := contract.Movie{
		ID: d.id, Name: ix.name(n), Director: ix.directors[d.director],
		Popularity: contract.Float(d.popularity), IMDBScore: contract.Float(d.imdbScore),
		Genre: make([]contract.Genre, len(genres)),
	}
	for i, g := range genres {
		m.Genre[i] = contract.Genre{Name: ix.genres[g]}
	}
	return m
}
