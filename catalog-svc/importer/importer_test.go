package importer_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/moviesplatform/catalog-svc/importer"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
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
			db := sqltest.Open(t, b)
			if err := store.Migrate(ctx, db, b.Driver); err != nil {
				t.Fatal(err)
			}
			s, err := store.New(db, b.Driver)
			if err != nil {
				t.Fatal(err)
			}
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
