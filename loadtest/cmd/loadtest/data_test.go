package main

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/moviesplatform/catalog-svc/importer"
	"github.com/moviesplatform/loadtest/gen"
	"github.com/moviesplatform/platform/contract"
)

type imported struct{ movies []contract.Movie }

func (r *imported) Import(_ context.Context, batch []contract.Movie, _ string) (int, error) {
	r.movies = append(r.movies, batch...)
	return len(batch), nil
}

// gen -format imdb writes a file the catalog's importer reads back as the
// generator's movies (no ids: the importer gives them in file order).
func TestIMDBFormatImportsAsGenerated(t *testing.T) {
	genres, err := gen.ReferenceGenres()
	if err != nil {
		t.Fatal(err)
	}
	g, err := gen.New(50, 7, genres)
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := writeIMDB(&file, g); err != nil {
		t.Fatal(err)
	}
	var got imported
	if _, err := importer.Import(context.Background(), &file, &got, 0); err != nil {
		t.Fatal(err)
	}
	want := slices.Collect(g.Movies())
	if len(got.movies) != len(want) {
		t.Fatalf("imported %d movies, want %d", len(got.movies), len(want))
	}
	for i, m := range got.movies {
		w := want[i]
		if m.Name != w.Name || m.Director != w.Director || m.Popularity != w.Popularity ||
			m.IMDBScore != w.IMDBScore || !slices.Equal(m.Genre, w.Genre) {
			t.Fatalf("movie %d imported as %+v, generated %+v", i+1, m, w)
		}
	}
}
