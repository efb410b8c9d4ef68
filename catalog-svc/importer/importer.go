// Package importer loads movies in the seed's imdb.json format into the
// catalog: a JSON array of {"99popularity", "director", "genre": ["Name",
// " Name"], "imdb_score", "name"}. It is idempotent: a movie whose name and
// director are already in the catalog is skipped, so a second run adds
// nothing, and into an empty catalog the movies get ids 1..n in file order.
package importer

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/internal/bulk"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

// Actor is who the change feed says made imported changes.
const Actor = "importer"

// DefaultBatchSize is how many movies go into one transaction.
const DefaultBatchSize = 500

//go:embed imdb.json
var referenceDataset []byte

// ReferenceDataset returns the seed's dataset (248 movies), the default
// import.
func ReferenceDataset() io.Reader { return bytes.NewReader(referenceDataset) }

// Writer stores a batch of validated movies in one transaction, skipping
// those present, and says how many it added. catalog.Store is one.
type Writer interface {
	Import(ctx context.Context, batch []contract.Movie, actor string) (int, error)
}

// Result counts what an import did.
type Result struct {
	Read    int // movies in the file
	Added   int // movies stored
	Skipped int // movies already present
}

// record is one movie of the file. Its popularity key really is
// "99popularity"; "popularity" is accepted too, for files written by us.
type record struct {
	Popularity99 *float64          `json:"99popularity"`
	Popularity   *float64          `json:"popularity"`
	Director     *string           `json:"director"`
	Genre        *[]contract.Genre `json:"genre"`
	IMDBScore    *float64          `json:"imdb_score"`
	Name         *string           `json:"name"`
}

func (r record) write() contract.MovieWrite {
	w := contract.MovieWrite{Name: r.Name, Director: r.Director, Popularity: r.Popularity99, IMDBScore: r.IMDBScore, Genre: r.Genre}
	if w.Popularity == nil {
		w.Popularity = r.Popularity
	}
	return w
}

// Import reads the file from src and writes its movies to dst in batches of
// batchSize (DefaultBatchSize when ≤ 0), in file order. Every movie is
// validated like an API write (names and genres trimmed, duplicate genres
// merged); an invalid one stops the import before its batch is written.
func Import(ctx context.Context, src io.Reader, dst Writer, batchSize int) (Result, error) {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	var res Result
	batch := make([]contract.Movie, 0, batchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := dst.Import(ctx, batch, Actor)
		if err != nil {
			return fmt.Errorf("import: movies %d to %d: %w", res.Read-len(batch)+1, res.Read, err)
		}
		res.Added += n
		res.Skipped += len(batch) - n
		batch = batch[:0]
		return nil
	}
	for m, err := range movies(src, &res.Read) {
		if err != nil {
			return res, err
		}
		batch = append(batch, m)
		if len(batch) == batchSize {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	return res, flush()
}

// movies yields the validated movies of the file in src, in file order,
// counting them in *read; a malformed file or an invalid movie ends it with
// an error.
func movies(src io.Reader, read *int) iter.Seq2[contract.Movie, error] {
	return func(yield func(contract.Movie, error) bool) {
		dec := json.NewDecoder(bufio.NewReaderSize(src, 1<<20))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			yield(contract.Movie{}, fmt.Errorf("import: the file must be a JSON array of movies"))
			return
		}
		for dec.More() {
			var r record
			if err := dec.Decode(&r); err != nil {
				yield(contract.Movie{}, fmt.Errorf("import: movie %d: %w", *read+1, err))
				return
			}
			*read++
			m, err := catalog.ValidateNew(r.write())
			if err != nil {
				yield(contract.Movie{}, fmt.Errorf("import: movie %d (%s): %w", *read, describe(r), invalid(err)))
				return
			}
			if !yield(m, nil) {
				return
			}
		}
		if _, err := dec.Token(); err != nil {
			yield(contract.Movie{}, fmt.Errorf("import: after movie %d: %w", *read, err))
		}
	}
}

// ImportEmpty imports the file in src into the empty catalog in db (whose
// schema is up to date) with the bulk loader: tens of thousands of movies a
// second where Import's row-at-a-time checks manage a few thousand. The
// result is Import's: ids 1..n in file order, a movie whose name and
// director came earlier in the file skipped, a change-feed upsert for each
// movie added. A catalog that has movies gets ErrNotEmpty, with nothing
// written and nothing read from src: Import is the way to add to it. On SQLite the whole file is one
// transaction, so an invalid movie leaves the catalog empty.
func ImportEmpty(ctx context.Context, src io.Reader, db *sql.DB, driver sqldb.Driver) (Result, error) {
	var (
		res     Result
		fileErr error
	)
	// The folded name and director of every movie added, as the store's
	// "already there?" lookup compares them.
	seen := map[string]struct{}{}
	added := func(yield func(contract.Movie, error) bool) {
		for m, err := range movies(src, &res.Read) {
			if err != nil {
				fileErr = err
				yield(m, err) // stops the load, which then commits nothing more
				return
			}
			key := catalog.FoldKey(m.Name) + "\x00" + catalog.FoldKey(m.Director)
			if _, dup := seen[key]; dup {
				res.Skipped++
				continue
			}
			seen[key] = struct{}{}
			if !yield(m, nil) {
				return
			}
		}
	}
	// On MySQL other replicas of the catalog may already serve from this
	// database while one imports at start: its indexes stay. A SQLite file
	// has one process, and the load's one transaction hides the rebuild.
	loaded, err := bulk.Load(ctx, db, driver, added, bulk.Options{Actor: Actor, RequireEmpty: true, KeepIndexes: driver == sqldb.MySQL})
	res.Added = int(loaded.Movies)
	switch {
	case errors.Is(err, bulk.ErrNotEmpty):
		return Result{}, ErrNotEmpty
	case fileErr != nil:
		return res, fileErr
	case err != nil:
		return res, fmt.Errorf("import: %w", err)
	}
	return res, nil
}

// ErrNotEmpty is ImportEmpty's answer for a catalog that has movies.
var ErrNotEmpty = errors.New("import: the catalog is not empty")

func describe(r record) string {
	if r.Name == nil {
		return "no name"
	}
	return fmt.Sprintf("%q", *r.Name)
}

// invalid keeps the field messages of a validation error readable in a log.
func invalid(err error) error {
	var e *apierr.Error
	if errors.As(err, &e) {
		return errors.New(e.Error())
	}
	return err
}
