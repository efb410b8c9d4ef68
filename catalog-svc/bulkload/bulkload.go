// Package bulkload is the catalog's public door to its bulk loader, for the
// `catalog-svc bulkload` command and for loadtest: it opens the catalog's
// database, brings its schema up to date when asked and appends a stream of
// movies at bulk speed. The loader itself (catalog-svc/internal/bulk) and
// the store it shares its statements with stay inside catalog-svc.
package bulkload

import (
	"context"
	"io"
	"iter"

	"github.com/moviesplatform/catalog-svc/internal/bulk"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

type (
	// Options tune a load; the zero value is a good default.
	Options = bulk.Options
	// Result says what a load did.
	Result = bulk.Result
)

// Target is the catalog database a load writes to.
type Target struct {
	Driver sqldb.Driver
	DSN    string
	// Migrate brings the catalog schema up to date before loading.
	Migrate bool
}

// Load appends the movies of src to the catalog at t; see bulk.Load for
// what it writes and how ids are given.
func Load(ctx context.Context, t Target, src iter.Seq2[contract.Movie, error], opt Options) (Result, error) {
	db, err := sqldb.Open(ctx, t.Driver, bulk.LongStatementsDSN(t.Driver, t.DSN))
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	if t.Migrate {
		if err := store.Migrate(ctx, db, t.Driver); err != nil {
			return Result{}, err
		}
	}
	return bulk.Load(ctx, db, t.Driver, src, opt)
}

// Movies adapts a stream that cannot fail to Load's source.
func Movies(seq iter.Seq[contract.Movie]) iter.Seq2[contract.Movie, error] { return bulk.Movies(seq) }

// JSONLines reads movies as the API shows them, one JSON object after
// another (as `loadtest gen` writes them).
func JSONLines(r io.Reader) iter.Seq2[contract.Movie, error] { return bulk.JSONLines(r) }
