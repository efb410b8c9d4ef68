// Package importer loads movies in the seed's imdb.json format into the
// catalog: a JSON array of {"99popularity", "director", "genre": ["Name",
// " Name"], "imdb_score", "name"}. It is idempotent: a movie whose name and
// director are already in the catalog is skipped, so a second run adds
// nothing, and into an empty catalog the movies get ids 1..n in file order.
package importer

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
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
	dec := json.NewDecoder(src)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return res, fmt.Errorf("import: the file must be a JSON array of movies")
	}
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
	for dec.More() {
		var r record
		if err := dec.Decode(&r); err != nil {
			return res, fmt.Errorf("import: movie %d: %w", res.Read+1, err)
		}
		res.Read++
		m, err := catalog.ValidateNew(r.write())
		if err != nil {
			return res, fmt.Errorf("import: movie %d (%s): %w", res.Read, describe(r), invalid(err))
		}
		batch = append(batch, m)
		if len(batch) == batchSize {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return res, fmt.Errorf("import: after movie %d: %w", res.Read, err)
	}
	return res, flush()
}

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
