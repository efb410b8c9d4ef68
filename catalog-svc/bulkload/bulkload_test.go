package bulkload_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/moviesplatform/catalog-svc/bulkload"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// Load opens the catalog, migrates a new one and appends the stream: what
// it loaded is what the store then serves.
func TestLoadMigratesAndAppends(t *testing.T) {
	ctx := context.Background()
	dsn := sqltest.SQLite(t)
	src := bulkload.JSONLines(strings.NewReader(`{"name": "A", "director": "D", "popularity": 1, "imdb_score": 2, "genre": [{"name": "Drama"}]}
{"name": "B", "director": "E", "popularity": 3, "imdb_score": 4, "genre": [{"name": " drama"}, {"name": "Comedy"}]}`))
	res, err := bulkload.Load(ctx, bulkload.Target{Driver: sqldb.SQLite, DSN: dsn, Migrate: true}, src, bulkload.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Movies != 2 || res.FirstID != 1 || res.LastID != 2 {
		t.Fatalf("result %+v", res)
	}

	db := sqltest.Open(t, sqltest.Backend{Driver: sqldb.SQLite, DSN: func(testing.TB) string { return dsn }})
	s, err := store.New(db, sqldb.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Count(ctx); err != nil || n != 2 {
		t.Fatalf("count %d, %v", n, err)
	}
	b, err := s.Get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []contract.Genre{{Name: "Drama"}, {Name: "Comedy"}}; !slices.Equal(b.Genre, want) {
		t.Errorf("genres %v, want %v (a genre keeps its first spelling)", b.Genre, want)
	}

	// Without Migrate an unmigrated database is an error, not a new schema.
	_, err = bulkload.Load(ctx, bulkload.Target{Driver: sqldb.SQLite, DSN: sqltest.SQLite(t)}, bulkload.Movies(slices.Values([]contract.Movie{{Name: "C"}})), bulkload.Options{})
	if err == nil {
		t.Error("a load into an unmigrated database succeeded")
	}
}
