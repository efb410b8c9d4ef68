// Package engine is the seam between search-svc and a search engine: what an
// engine must do (apply feed batches with their cursor, search, build a fresh
// index and swap it in) and the document model every engine indexes. The
// conformance suite in enginetest holds every engine to the same behaviour.
package engine

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/moviesplatform/platform/contract"
)

// Batch is a set of changes from the catalog feed and the feed position they
// bring the index to. An engine stores the cursor with (or after) the
// documents, so a crash can only make the indexer replay changes, never skip
// them; replays are harmless because upserts and deletes are idempotent.
type Batch struct {
	Upserts []contract.Movie
	Deletes []int64
	Cursor  int64
}

// Writer is an index the indexer writes to.
type Writer interface {
	// Apply stores upserts, removes deletes (absent ids are fine) and records
	// the cursor. A movie must not be both upserted and deleted in one batch.
	Apply(ctx context.Context, b Batch) error
	// Cursor is the feed position last recorded by Apply; 0 for a new index.
	Cursor(ctx context.Context) (int64, error)
	// Count is how many movies the index holds.
	Count(ctx context.Context) (int64, error)
}

// Engine is a live search index.
type Engine interface {
	Writer
	// Search runs q; the result has no cursors (the service adds them).
	Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error)
	// Staging creates a fresh, empty index that searches do not see until
	// its Swap.
	Staging(ctx context.Context) (Staging, error)
	// Ping reports whether the engine can serve.
	Ping(ctx context.Context) error
	Close() error
}

// Staging is an index being built for a full reindex.
type Staging interface {
	Writer
	// Swap atomically makes this index the live one and drops the old one.
	Swap(ctx context.Context) error
	// Discard drops this index.
	Discard(ctx context.Context) error
}

// Document is a movie as engines index it: the movie plus normalized keys for
// case-insensitive filters and sorting.
type Document struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Director    string   `json:"director"`
	Popularity  float64  `json:"popularity"`
	IMDBScore   float64  `json:"imdb_score"`
	Genre       []string `json:"genre"`
	GenreKey    []string `json:"genre_key"`
	DirectorKey string   `json:"director_key"`
	NameSort    string   `json:"name_sort"`
}

// Fields of Document that queries name.
const (
	FieldName        = "name"
	FieldDirector    = "director"
	FieldGenre       = "genre"
	FieldGenreKey    = "genre_key"
	FieldDirectorKey = "director_key"
	FieldNameSort    = "name_sort"
	FieldPopularity  = "popularity"
	FieldIMDBScore   = "imdb_score"
	FieldID          = "id"
)

// NewDocument makes the document of m.
func NewDocument(m contract.Movie) Document {
	d := Document{
		ID: m.ID, Name: m.Name, Director: m.Director,
		Popularity: float64(m.Popularity), IMDBScore: float64(m.IMDBScore),
		Genre: make([]string, 0, len(m.Genre)), GenreKey: make([]string, 0, len(m.Genre)),
		DirectorKey: Key(m.Director), NameSort: Key(m.Name),
	}
	for _, g := range m.Genre {
		d.Genre = append(d.Genre, g.Name)
		d.GenreKey = append(d.GenreKey, Key(g.Name))
	}
	return d
}

// Movie turns a document back into the API's movie.
func (d Document) Movie() contract.Movie {
	m := contract.Movie{
		ID: d.ID, Name: d.Name, Director: d.Director,
		Popularity: contract.Float(d.Popularity), IMDBScore: contract.Float(d.IMDBScore),
		Genre: make([]contract.Genre, 0, len(d.Genre)),
	}
	for _, g := range d.Genre {
		m.Genre = append(m.Genre, contract.Genre{Name: g})
	}
	return m
}

// Key normalizes a value for exact, case-insensitive matching and sorting.
func Key(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// DocID is the engine's string id of a movie.
func DocID(id int64) string { return strconv.FormatInt(id, 10) }

// SortField maps a public ordering field to the document field to sort on.
func SortField(public string) string {
	switch public {
	case contract.FieldName:
		return FieldNameSort
	case contract.FieldDirector:
		return FieldDirectorKey
	default:
		return public // id, popularity, imdb_score have the same names
	}
}

// Typos is how many typos a query term tolerates, as Meilisearch's defaults
// (minWordSizeForTypos: oneTypo 5, twoTypos 9).
func Typos(term string) int {
	switch n := utf8.RuneCountInString(term); {
	case n >= MinWordSizeTwoTypos:
		return 2
	case n >= MinWordSizeOneTypo:
		return 1
	default:
		return 0
	}
}

// Meilisearch's default typo thresholds, which both engines follow.
const (
	MinWordSizeOneTypo  = 5
	MinWordSizeTwoTypos = 9
)

// Apostrophes matches the apostrophes that split words: "Schindler's" is the
// words "schindler" and "s", and "l'avion" is "l" and "avion", as
// Meilisearch's Latin segmenter splits them (charabia #94). Unicode word
// boundaries alone keep "schindler's" whole, so a title typed without its
// apostrophe ("schindlers list", "schindler s list") would find nothing in
// the embedded engines while it finds the movie in production.
const Apostrophes = `['’ʼ]`
