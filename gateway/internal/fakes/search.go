package fakes

import (
	"cmp"
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/search"
)

// SearchEngine is a search engine over a Catalog's current movies: every
// term a substring of the name (as the catalog), ranked by popularity
// (descending) then id, so its pages differ from the catalog's id order.
// Genre facets are counted; other filters are ignored.
type SearchEngine struct {
	Catalog *Catalog
	// Fail, when set, is every search's error (an engine that is down).
	Fail error
}

var errReadOnly = errors.New("fake search engine: read only")

func (e *SearchEngine) Search(_ context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	if e.Fail != nil {
		return contract.SearchResult{}, e.Fail
	}
	terms := contract.ListQuery{Search: q.Text}.SearchTerms()
	var hits []contract.Movie
	facets := map[string]int64{}
	for _, m := range e.Catalog.All() {
		if matchesAll(m.Name, terms) {
			hits = append(hits, m)
			for _, g := range m.Genre {
				facets[g.Name]++
			}
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

func (e *SearchEngine) Apply(context.Context, engine.Batch) error       { return errReadOnly }
func (e *SearchEngine) Cursor(context.Context) (int64, error)           { return 0, nil }
func (e *SearchEngine) Count(context.Context) (int64, error)            { return int64(len(e.Catalog.All())), nil }
func (e *SearchEngine) Staging(context.Context) (engine.Staging, error) { return nil, errReadOnly }
func (e *SearchEngine) Ping(context.Context) error                      { return e.Fail }
func (e *SearchEngine) Close() error                                    { return nil }

// SearchServer runs search-svc's own service and HTTP handler over eng on a
// loopback port, as a remote search-svc.
func SearchServer(t testing.TB, eng engine.Engine) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(search.NewHTTPHandler(search.New(eng, nil), logging.Discard(), nil))
	t.Cleanup(srv.Close)
	return srv
}

// SearchClient is search-svc's HTTP client to a SearchServer over eng.
func SearchClient(t testing.TB, eng engine.Engine) search.Service {
	t.Helper()
	s, err := search.NewHTTPClient(SearchServer(t, eng).URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Service()
}
