// Package searchtest is search-svc's test support for other modules: a
// search engine over a catalogtest.Catalog, and search-svc's own service
// and HTTP client over any engine on a loopback port. Tests import it;
// binaries never do.
package searchtest

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/search"
)

// Engine is a search engine over a catalog's current movies: every term a
// substring of the name (as the catalog), ranked by popularity
// (descending) then id, so its pages differ from the catalog's id order.
// Genre facets are counted; other filters are ignored.
type Engine struct {
	Catalog *catalogtest.Catalog
	// Fail, when set, is every search's error (an engine that is down).
	Fail error
}

var errReadOnly = errors.New("searchtest engine: read only")

func (e *Engine) Search(_ context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	if e.Fail != nil {
		return contract.SearchResult{}, e.Fail
	}
	hits := e.Catalog.Matching(q.Text)
	facets := map[string]int64{}
	for _, m := range hits {
		for _, g := range m.Genre {
			facets[g.Name]++
		}
	}
	slices.SortFunc(hits, func(a, b contract.Movie) int {
		return cmp.Or(cmp.Compare(b.Popularity, a.Popularity), cmp.Compare(a.ID, b.ID))
	})
	start, end := min(q.Offset, len(hits)), min(q.Offset+q.Limit, len(hits))
	res := contract.SearchResult{Hits: hits[start:end], EstimatedTotal: int64(len(hits))}
	if slices.Contains(q.Facets, contract.FacetGenre) {
		res.Facets = map[string]map[string]int64{contract.FacetGenre: facets}
	}
	return res, nil
}

func (e *Engine) Apply(context.Context, engine.Batch) error       { return errReadOnly }
func (e *Engine) Cursor(context.Context) (int64, error)           { return 0, nil }
func (e *Engine) Count(context.Context) (int64, error)            { return int64(len(e.Catalog.All())), nil }
func (e *Engine) Staging(context.Context) (engine.Staging, error) { return nil, errReadOnly }
func (e *Engine) Ping(context.Context) error                      { return e.Fail }
func (e *Engine) Close() error                                    { return nil }

// Server runs search-svc's own service and HTTP handler over eng on a
// loopback port, as a remote search-svc.
func Server(t testing.TB, eng engine.Engine) *httptest.Server {
	t.Helper()
	_, keys := servicetokentest.Shared(t)
	srv := httptest.NewServer(search.NewHTTPHandler(search.New(eng, nil), logging.Discard(), nil, keys.Guard(search.ServiceName)))
	t.Cleanup(srv.Close)
	return srv
}

// Client is search-svc's HTTP client to a Server over eng, calling as the
// gateway, or as an operator for a reindex.
func Client(t testing.TB, eng engine.Engine) search.Service {
	t.Helper()
	_, keys := servicetokentest.Shared(t)
	s, err := search.NewHTTPClient(Server(t, eng).URL, keys.ClientAs(CallerOf, search.ServiceName, nil))
	if err != nil {
		t.Fatal(err)
	}
	return s.Service()
}

// CallerOf is who calls a search-svc route in tests: an operator starts
// reindexes, the gateway searches.
func CallerOf(r *http.Request) string {
	if strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), strings.TrimSuffix(contract.RouteInternalReindex, "/")) {
		return servicetoken.Operator
	}
	return servicetoken.Gateway
}
