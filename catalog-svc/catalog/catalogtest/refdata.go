// Package catalogtest is the catalog's test support for other modules: the
// reference movies exactly as the catalog serves them, and an in-memory
// catalog.Service with the fault and call recording the gateway's tests
// need. Tests import it; binaries never do.
package catalogtest

import (
	"context"

	"github.com/moviesplatform/catalog-svc/importer"
	"github.com/moviesplatform/platform/contract"
)

// ReferenceMovies returns the seed's reference dataset (imdb.json, 248
// movies) as an empty catalog stores it: read and normalized by the
// catalog's own importer, with ids 1..n in file order. Other services'
// tests use it to check themselves against exactly the data the catalog
// serves.
func ReferenceMovies() []contract.Movie {
	var rec recorder
	if _, err := importer.Import(context.Background(), importer.ReferenceDataset(), &rec, 0); err != nil {
		panic("catalogtest: the catalog's reference dataset does not import: " + err.Error())
	}
	return rec.movies
}

// recorder stores imported movies as an empty catalog would: the next id
// for each movie it has not seen (same name and director), in order.
type recorder struct {
	movies []contract.Movie
	seen   map[[2]string]bool
}

func (r *recorder) Import(_ context.Context, batch []contract.Movie, _ string) (int, error) {
	if r.seen == nil {
		r.seen = map[[2]string]bool{}
	}
	added := 0
	for _, m := range batch {
		key := [2]string{m.Name, m.Director}
		if r.seen[key] {
			continue
		}
		r.seen[key] = true
		m.ID = int64(len(r.movies) + 1)
		if m.Genre == nil {
			m.Genre = []contract.Genre{}
		}
		r.movies = append(r.movies, m)
		added++
	}
	return added, nil
}
