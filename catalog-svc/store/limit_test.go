package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// A `?search=` that matches nothing scans every name. Under the store's
// statement limit the server stops it, and the caller learns the query was
// too slow (504), not that the server failed.
func TestSearchScanStoppedAtTheLimit(t *testing.T) {
	ctx := context.Background()
	db := sqltest.Open(t, sqltest.Backend{Driver: sqldb.MySQL, DSN: sqltest.MySQL})
	if err := store.Migrate(ctx, db, sqldb.MySQL); err != nil {
		t.Fatal(err)
	}
	// 100k movies, enough for a scan to outlast a 1 ms limit many times.
	if _, err := db.ExecContext(ctx, `INSERT INTO movies (name, name_key, director, director_key, popularity, imdb_score)
		WITH RECURSIVE d (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < 9),
		n (i) AS (SELECT a.i + 10*b.i + 100*c.i + 1000*e.i + 10000*f.i FROM d a, d b, d c, d e, d f)
		SELECT CONCAT('Movie ', i), CONCAT('movie ', i), 'D', 'd', i % 100, 5 FROM n`); err != nil {
		t.Fatal(err)
	}
	flavor, err := sqldb.DetectFlavor(ctx, db, sqldb.MySQL)
	if err != nil {
		t.Fatal(err)
	}
	q := contract.ListQuery{Search: "no such film", PageSize: 20, Ordering: []contract.Order{{Field: contract.FieldID}}}

	unlimited, err := store.New(db, sqldb.MySQL)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := unlimited.List(ctx, q); err != nil || len(p.Movies) != 0 {
		t.Fatalf("without a limit: %d movies, %v", len(p.Movies), err)
	}

	limited := unlimited.With(store.LimitReads(sqldb.NewStatementLimit(flavor, time.Millisecond)))
	_, err = limited.List(ctx, q)
	if err != catalog.ErrTooSlow || apierr.KindOf(err) != apierr.Timeout {
		t.Fatalf("a scan past its limit: %v, want ErrTooSlow", err)
	}
	// Index walks are not scans: a page by popularity still answers.
	if p, err := limited.With(store.LimitReads(sqldb.NewStatementLimit(flavor, time.Second))).List(ctx,
		contract.ListQuery{PageSize: 20, Ordering: []contract.Order{{Field: "popularity", Desc: true}}}); err != nil || len(p.Movies) != 20 {
		t.Fatalf("a page under a 1 s limit: %d movies, %v", len(p.Movies), err)
	}
}
