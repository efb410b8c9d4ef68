package importer_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/moviesplatform/catalog-svc/importer"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

func TestReferenceDataset(t *testing.T) {
	var file []struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(importer.ReferenceDataset()).Decode(&file); err != nil {
		t.Fatal(err)
	}
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			ctx := context.Background()
			_, s := newCatalog(t, b)
			// A small batch size makes the import span many transactions.
			res, err := importer.Import(ctx, importer.ReferenceDataset(), s, 50)
			if err != nil {
				t.Fatal(err)
			}
			if res != (importer.Result{Read: 248, Added: 248}) {
				t.Fatalf("first import: %+v", res)
			}
			res, err = importer.Import(ctx, importer.ReferenceDataset(), s, 0)
			if err != nil {
				t.Fatal(err)
			}
			if res != (importer.Result{Read: 248, Skipped: 248}) {
				t.Fatalf("second import: %+v", res)
			}

			// Ids 1..248 in file order.
			for i, want := range file {
				m, err := s.Get(ctx, int64(i+1))
				if err != nil {
					t.Fatalf("movie %d: %v", i+1, err)
				}
				if m.Name != want.Name {
					t.Fatalf("movie %d is %q, want %q", i+1, m.Name, want.Name)
				}
			}
			oz, _ := s.Get(ctx, 1)
			want := contract.Movie{ID: 1, Name: "The Wizard of Oz", Director: "Victor Fleming", Popularity: 83, IMDBScore: 8.3,
				Genre: []contract.Genre{{Name: "Adventure"}, {Name: "Family"}, {Name: "Fantasy"}, {Name: "Musical"}}}
			if oz.Name != want.Name || oz.Director != want.Director || oz.Popularity != want.Popularity ||
				oz.IMDBScore != want.IMDBScore || !slices.Equal(oz.Genre, want.Genre) {
				t.Fatalf("movie 1 = %+v, want %+v", oz, want)
			}
			// Every import wrote a feed row for the search index to follow.
			p, err := s.Changes(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Changes) != 248 || p.Changes[247].Actor != importer.Actor || p.Changes[247].MovieID != 248 {
				t.Fatalf("feed has %d changes", len(p.Changes))
			}
		})
	}
}

type recorder struct{ batches [][]contract.Movie }

func (r *recorder) Import(_ context.Context, batch []contract.Movie, _ string) (int, error) {
	r.batches = append(r.batches, slices.Clone(batch))
	return len(batch), nil
}

func TestImportNormalizesAndValidates(t *testing.T) {
	rec := &recorder{}
	res, err := importer.Import(context.Background(), strings.NewReader(`[
		{"99popularity": 80.0, "director": " Merian C. Cooper ", "genre": ["Crime", " Thriller", " crime"], "imdb_score": 8.0, "name": " King Kong"},
		{"popularity": 10, "genre": [], "imdb_score": 1, "name": "No director"}
	]`), rec, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 2 || res.Added != 2 || len(rec.batches) != 2 {
		t.Fatalf("res %+v, batches %d", res, len(rec.batches))
	}
	kk := rec.batches[0][0]
	if kk.Name != "King Kong" || kk.Director != "Merian C. Cooper" || kk.Popularity != 80 ||
		!slices.Equal(kk.Genre, []contract.Genre{{Name: "Crime"}, {Name: "Thriller"}}) {
		t.Fatalf("normalized = %+v", kk)
	}

	for name, in := range map[string]string{
		"not an array":     `{"name": "x"}`,
		"missing score":    `[{"99popularity": 1, "name": "x"}]`,
		"score too high":   `[{"99popularity": 1, "imdb_score": 11, "name": "x"}]`,
		"blank genre":      `[{"99popularity": 1, "imdb_score": 1, "name": "x", "genre": [" "]}]`,
		"truncated":        `[{"99popularity": 1, "imdb_score": 1, "name": "x"}`,
		"wrong value type": `[{"99popularity": "high", "imdb_score": 1, "name": "x"}]`,
	} {
		rec := &recorder{}
		if _, err := importer.Import(context.Background(), strings.NewReader(in), rec, 10); err == nil {
			t.Errorf("%s: no error", name)
		} else if len(rec.batches) != 0 {
			t.Errorf("%s: wrote %d batches before failing", name, len(rec.batches))
		}
	}
}

// ImportEmpty, the bulk path into an empty catalog, leaves exactly what
// Import leaves: the same movies under the same ids, a file's repeated
// movie skipped, and a feed that serves the same upserts by the same actor.
func TestImportEmptyEqualsImport(t *testing.T) {
	var file bytes.Buffer
	if _, err := file.ReadFrom(importer.ReferenceDataset()); err != nil {
		t.Fatal(err)
	}
	// The first movie again, spelled differently, and one whose name and
	// director match nothing else: skipped, then added.
	withRepeats := string(bytes.TrimSuffix(bytes.TrimSpace(file.Bytes()), []byte("]"))) + `,
		{"99popularity": 1.0, "director": " VICTOR fleming", "genre": ["Drama"], "imdb_score": 1.0, "name": "the wizard of oz "},
		{"99popularity": 2.0, "director": "Someone", "genre": [" Brand New", "drama"], "imdb_score": 2.0, "name": "The Wizard of Oz"}
	]`
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			ctx := context.Background()
			_, rowByRow := newCatalog(t, b)
			want, err := importer.Import(ctx, strings.NewReader(withRepeats), rowByRow, 0)
			if err != nil {
				t.Fatal(err)
			}
			db, bulk := newCatalog(t, b)
			got, err := importer.ImportEmpty(ctx, strings.NewReader(withRepeats), db, b.Driver)
			if err != nil {
				t.Fatal(err)
			}
			if got != want || got != (importer.Result{Read: 250, Added: 249, Skipped: 1}) {
				t.Fatalf("ImportEmpty %+v, Import %+v", got, want)
			}
			for id := int64(1); id <= 250; id++ {
				x, errX := rowByRow.Get(ctx, id)
				y, errY := bulk.Get(ctx, id)
				if (errX == nil) != (errY == nil) || !reflect.DeepEqual(x, y) {
					t.Fatalf("movie %d: row by row %+v (%v), bulk %+v (%v)", id, x, errX, y, errY)
				}
			}
			if a, b := count(t, rowByRow), count(t, bulk); a != b || a != 249 {
				t.Fatalf("count: row by row %d, bulk %d", a, b)
			}
			feedA, err := rowByRow.Changes(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			feedB, err := bulk.Changes(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(feedA.Changes) != 249 || len(feedB.Changes) != len(feedA.Changes) {
				t.Fatalf("feeds of %d and %d changes", len(feedA.Changes), len(feedB.Changes))
			}
			for i, x := range feedA.Changes {
				y := feedB.Changes[i]
				if x.Seq != y.Seq || x.MovieID != y.MovieID || x.Op != y.Op || x.Actor != y.Actor || x.Movie == nil || y.Movie == nil ||
					x.Movie.Name != y.Movie.Name || !slices.Equal(x.Movie.Genre, y.Movie.Genre) {
					t.Fatalf("change %d: row by row %+v, bulk %+v", i, x, y)
				}
			}

			// Into a catalog with movies it reads and writes nothing.
			src := strings.NewReader(withRepeats)
			if _, err := importer.ImportEmpty(ctx, src, db, b.Driver); !errors.Is(err, importer.ErrNotEmpty) {
				t.Fatalf("second ImportEmpty: %v, want ErrNotEmpty", err)
			}
			if src.Len() != len(withRepeats) || count(t, bulk) != 249 {
				t.Fatalf("second ImportEmpty read %d bytes, catalog has %d movies", len(withRepeats)-src.Len(), count(t, bulk))
			}
		})
	}
}

// An invalid movie stops ImportEmpty with Import's message; on SQLite the
// one transaction leaves the catalog as empty as it was.
func TestImportEmptyStopsAtAnInvalidMovie(t *testing.T) {
	ctx := context.Background()
	b := sqltest.Backends(t)[0]
	db, s := newCatalog(t, b)
	_, err := importer.ImportEmpty(ctx, strings.NewReader(`[
		{"99popularity": 1, "imdb_score": 1, "name": "fine"},
		{"99popularity": 1, "imdb_score": 11, "name": "too good"}
	]`), db, b.Driver)
	if err == nil || !strings.Contains(err.Error(), `import: movie 2 ("too good")`) {
		t.Fatalf("error %v", err)
	}
	if b.Driver == sqldb.SQLite && count(t, s) != 0 {
		t.Fatalf("%d movies after a failed import", count(t, s))
	}
}

func count(t *testing.T, s *store.SQL) int64 {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newCatalog opens a new database of backend b with the catalog schema.
func newCatalog(t *testing.T, b sqltest.Backend) (*sql.DB, *store.SQL) {
	t.Helper()
	db := sqltest.Open(t, b)
	if err := store.Migrate(context.Background(), db, b.Driver); err != nil {
		t.Fatal(err)
	}
	s, err := store.New(db, b.Driver)
	if err != nil {
		t.Fatal(err)
	}
	return db, s
}
