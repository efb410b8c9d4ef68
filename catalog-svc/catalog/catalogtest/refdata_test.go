package catalogtest_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/catalog-svc/importer"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// The reference movies are what the catalog really stores and serves from
// the reference dataset: imported into an empty SQLite catalog, read back.
func TestReferenceMoviesAreWhatTheCatalogServes(t *testing.T) {
	ms := catalogtest.ReferenceMovies()
	if len(ms) != 248 {
		t.Fatalf("%d movies, want 248", len(ms))
	}
	if ms[1].ID != 2 || ms[1].Name != "Star Wars" || ms[1].Genre[1].Name != "Adventure" || ms[1].Popularity != 88 {
		t.Errorf("movie 2: %+v", ms[1])
	}

	ctx := context.Background()
	db := sqltest.Open(t, sqltest.Backend{Driver: sqldb.SQLite, DSN: sqltest.SQLite})
	if err := store.Migrate(ctx, db, sqldb.SQLite); err != nil {
		t.Fatal(err)
	}
	s, err := store.New(db, sqldb.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, importer.ReferenceDataset(), s, 0); err != nil {
		t.Fatal(err)
	}
	for _, want := range ms {
		got, err := s.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("movie %d: %v", want.ID, err)
		}
		want.Version = 1 // as created; the version is the catalog's, not the data's
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("movie %d: the catalog serves %+v, ReferenceMovies says %+v", want.ID, got, want)
		}
	}
}
