package memengine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/vellum"
	"github.com/google/renameio/v2"
)

// The snapshot is the built index itself, column by column: its docs,
// names and genres, postings and prefix bitmaps, the term dictionary's FST
// bytes, and the feed cursor they reflect. Writing streams from the live
// index, and loading fills the index's own arrays, so neither copies the
// catalog into movies nor analyses a title again: a gob of the movies
// did both, and at 5M the copies and the rebuild set the process's peak
// memory.
//
// The file is snapshotMagic, the payload, and a CRC-32C of both. A file
// that is not this version, or fails its checksum (a crash mid-write
// cannot leave one, see save, but a disk can), is set aside: the engine
// starts empty and the indexer reindexes from the feed. The file holds
// analysed terms, so a change to the analyzer (analyze.go) must change the
// version too, or a reload would mix old terms with new queries.
var snapshotMagic = []byte("memengine snapshot 2\n")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// docWidth is a doc's encoded size: id, popularity, score, three ends.
const docWidth = 8 + 8 + 8 + 4 + 4 + 4

// snapshotter reads and writes the snapshot file; "" keeps nothing.
type snapshotter struct{ path string }

// load returns the index in the snapshot, or nil when there is none. An
// error means the file is there but unusable.
func (s *snapshotter) load(an analyzer) (*index, error) {
	if s.path == "" {
		return nil, nil
	}
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("memengine: snapshot: %w", err)
	}
	defer f.Close()
	ix, err := readSnapshot(f, an)
	if err != nil {
		return nil, fmt.Errorf("memengine: snapshot %s: %w", s.path, err)
	}
	return ix, nil
}

// readSnapshot checks the whole file's checksum first, so the parse never
// meets damaged lengths, then reads the index.
func readSnapshot(f *os.File, an analyzer) (*index, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size < int64(len(snapshotMagic))+4 {
		return nil, errors.New("truncated")
	}
	crc := crc32.New(crcTable)
	if _, err := io.Copy(crc, io.NewSectionReader(f, 0, size-4)); err != nil {
		return nil, err
	}
	var sum [4]byte
	if _, err := f.ReadAt(sum[:], size-4); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(sum[:]) != crc.Sum32() {
		return nil, errors.New("checksum mismatch: damaged or truncated")
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size-4), 1<<20)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(r, magic); err != nil {
		return nil, err
	}
	if !bytes.Equal(magic, snapshotMagic) {
		return nil, errors.New("not a snapshot of this version")
	}
	return decodeIndex(&snapReader{r: r, size: uint64(size)}, an)
}

// save replaces the snapshot with ix atomically: a crash leaves the old one
// or the new one, never a torn file. The caller keeps writers off ix.
func (s *snapshotter) save(ix *index) error {
	if s.path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	t, err := renameio.NewPendingFile(s.path)
	if err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	defer t.Cleanup()
	crc := crc32.New(crcTable)
	w := bufio.NewWriterSize(io.MultiWriter(t, crc), 1<<20)
	sw := &snapWriter{w: w}
	sw.write(snapshotMagic)
	encodeIndex(sw, ix)
	if sw.err != nil {
		return fmt.Errorf("memengine: snapshot: %w", sw.err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	if _, err := t.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32())); err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("memengine: snapshot: %w", err)
	}
	return nil
}

// encodeIndex writes what decodeIndex reads, in the same order; the maps
// that only index other fields (term ids, genre and director numbers, the
// tail's ids) are derived on load instead.
func encodeIndex(s *snapWriter, ix *index) {
	s.uvarint(uint64(ix.cursor))
	s.uvarint(uint64(ix.ordered))
	s.uvarint(uint64(ix.dictLen))
	writeColumn(s, ix.docs, func(b []byte, d doc) []byte {
		b = binary.LittleEndian.AppendUint64(b, uint64(d.id))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(d.popularity))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(d.imdbScore))
		b = binary.LittleEndian.AppendUint32(b, d.nameEnd)
		b = binary.LittleEndian.AppendUint32(b, d.genresEnd)
		return binary.LittleEndian.AppendUint32(b, d.director)
	})
	s.bytes(ix.names)
	writeColumn(s, ix.genreSeq, binary.LittleEndian.AppendUint16)
	writeColumn(s, ix.idOrder, binary.LittleEndian.AppendUint32)
	s.bitmap(ix.alive)

	s.uvarint(uint64(len(ix.terms)))
	for id, t := range ix.terms {
		s.str(t)
		for _, b := range ix.postings[id] {
			s.bitmap(b)
		}
	}
	for f := range ix.prefix {
		s.uvarint(uint64(len(ix.prefix[f])))
		for pre, b := range ix.prefix[f] {
			s.str(pre)
			s.bitmap(b)
		}
	}
	for _, b := range ix.nameWords {
		s.bitmap(b)
	}
	s.uvarint(uint64(len(ix.genres)))
	for gi, g := range ix.genres {
		s.str(g)
		s.bitmap(ix.genreDocs[gi])
	}
	s.uvarint(uint64(len(ix.directors)))
	for _, d := range ix.directors {
		s.str(d)
	}
	s.uvarint(uint64(len(ix.directorKey)))
	for key, b := range ix.directorKey {
		s.str(key)
		s.bitmap(b)
	}
	s.bytes(ix.dictBytes)
}

func decodeIndex(s *snapReader, an analyzer) (*index, error) {
	ix := newIndex(an)
	ix.cursor = int64(s.uvarint())
	ix.ordered = uint32(s.uvarint())
	ix.dictLen = int(s.uvarint())
	ix.docs = readColumn(s, docWidth, func(b []byte) doc {
		return doc{
			id:         int64(binary.LittleEndian.Uint64(b)),
			popularity: math.Float64frombits(binary.LittleEndian.Uint64(b[8:])),
			imdbScore:  math.Float64frombits(binary.LittleEndian.Uint64(b[16:])),
			nameEnd:    binary.LittleEndian.Uint32(b[24:]),
			genresEnd:  binary.LittleEndian.Uint32(b[28:]),
			director:   binary.LittleEndian.Uint32(b[32:]),
		}
	})
	ix.names = s.bytes()
	ix.genreSeq = readColumn(s, 2, binary.LittleEndian.Uint16)
	ix.idOrder = readColumn(s, 4, binary.LittleEndian.Uint32)
	if b := s.bitmap(); b != nil {
		ix.alive = b
	}

	n := s.length(1)
	ix.terms = make([]string, 0, n)
	ix.postings = make([][numFields]*roaring.Bitmap, 0, n)
	for id := 0; id < n && s.err == nil; id++ {
		t := s.str()
		var p [numFields]*roaring.Bitmap
		for f := range p {
			p[f] = s.bitmap()
		}
		ix.terms = append(ix.terms, t)
		ix.termID[t] = uint32(id)
		ix.postings = append(ix.postings, p)
	}
	for f := range ix.prefix {
		n := s.length(1)
		for range n {
			pre := s.str()
			ix.prefix[f][pre] = s.bitmap()
		}
	}
	for k := range ix.nameWords {
		ix.nameWords[k] = s.bitmap()
	}
	n = s.length(1)
	for range n {
		name := s.str()
		gi := ix.genre(name)
		ix.genreDocs[gi] = s.bitmap()
	}
	n = s.length(1)
	for range n {
		ix.director(s.str())
	}
	n = s.length(1)
	for range n {
		key := s.str()
		ix.directorKey[key] = s.bitmap()
	}
	dict := s.bytes()
	if s.err != nil {
		return nil, s.err
	}
	if err := ix.check(); err != nil {
		return nil, err
	}
	fst, err := vellum.Load(dict)
	if err != nil {
		return nil, fmt.Errorf("term dictionary: %w", err)
	}
	ix.dict, ix.dictBytes = fst, dict
	for n := ix.ordered; n < uint32(len(ix.docs)); n++ {
		if ix.alive.Contains(n) {
			ix.tailByID[ix.docs[n].id] = n
		}
	}
	return ix, nil
}

// check verifies what searches index by, so a snapshot that passed its
// checksum but was written wrong fails here instead of in a search.
func (ix *index) check() error {
	for k, b := range ix.nameWords {
		if b == nil {
			return fmt.Errorf("name-length bitmap %d missing", k)
		}
	}
	for gi, b := range ix.genreDocs {
		if b == nil {
			return fmt.Errorf("genre %d bitmap missing", gi)
		}
	}
	if len(ix.docs) > 0 {
		last := ix.docs[len(ix.docs)-1]
		if int(last.nameEnd) != len(ix.names) || int(last.genresEnd) != len(ix.genreSeq) {
			return errors.New("docs disagree with their names or genres")
		}
	}
	if ix.ordered > uint32(len(ix.docs)) || ix.dictLen > len(ix.terms) || len(ix.idOrder) > int(ix.ordered) {
		return errors.New("counts disagree")
	}
	if !ix.alive.IsEmpty() && ix.alive.Maximum() >= uint32(len(ix.docs)) {
		return errors.New("live docs beyond the last doc")
	}
	return nil
}
