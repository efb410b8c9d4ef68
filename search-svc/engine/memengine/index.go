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
type doc struct {
	id         int64
	name       string
	director   string // interned: directors repeat
	popularity float64
	imdbScore  float64
	genres     []uint16 // indexes into index.genres
}

// index is one in-memory inverted index. Doc numbers below ordered are in
// (popularity desc, id asc) order, so the most popular matches of a bitmap
// are its first members; numbers from ordered on are the tail added since
// the last build, merged in by sorting.
type index struct {
	an      analyzer
	docs    []doc
	byID    map[int64]uint32
	alive   *roaring.Bitmap
	ordered uint32
	cursor  int64

	terms    []string // by term id
	termID   map[string]uint32
	postings [][numFields]*roaring.Bitmap // by term id
	// dict maps terms[:dictLen] to their ids for typo and prefix
	// expansion; terms added since are scanned (recentTerms).
	dict    *vellum.FST
	dictLen int
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
	directors   map[string]string // interning
}

func newIndex(an analyzer) *index {
	ix := &index{
		an:          an,
		byID:        map[int64]uint32{},
		alive:       roaring.New(),
		termID:      map[string]uint32{},
		genreIndex:  map[string]uint16{},
		genreByKey:  map[string][]uint16{},
		directorKey: map[string]*roaring.Bitmap{},
		directors:   map[string]string{},
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
	d := doc{id: m.ID, name: m.Name, director: ix.intern(m.Director), popularity: float64(m.Popularity), imdbScore: float64(m.IMDBScore)}
	for _, g := range m.Genre {
		gi := ix.genre(g.Name)
		if !slices.Contains(d.genres, gi) {
			d.genres = append(d.genres, gi)
			ix.genreDocs[gi].Add(n)
		}
	}
	ix.docs = append(ix.docs, d)
	ix.byID[m.ID] = n
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
	if n, ok := ix.byID[id]; ok {
		ix.alive.Remove(n)
		delete(ix.byID, id)
	}
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

func (ix *index) intern(s string) string {
	if v, ok := ix.directors[s]; ok {
		return v
	}
	ix.directors[s] = s
	return s
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
	ix.dict, ix.dictLen = fst, len(ix.terms)
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
	m := contract.Movie{
		ID: d.id, Name: d.name, Director: d.director,
		Popularity: contract.Float(d.popularity), IMDBScore: contract.Float(d.imdbScore),
		Genre: make([]contract.Genre, len(d.genres)),
	}
	for i, g := range d.genres {
		m.Genre[i] = contract.Genre{Name: ix.genres[g]}
	}
	return m
}
