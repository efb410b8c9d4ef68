package search_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/bleveengine"
	"github.com/moviesplatform/search-svc/search"
	"github.com/moviesplatform/search-svc/search/searchtest"
)

var ctx = context.Background()

// The gateway takes any lister for ?search=; both the local service and the
// HTTP client are one.
var _ interface {
	List(context.Context, contract.ListQuery) (contract.Page, error)
} = search.Service(nil)

type fakeReindexer struct{ err error }

func (f fakeReindexer) StartReindex(context.Context) error { return f.err }

// brokenEngine fails every search, as an unreachable Meilisearch does.
type brokenEngine struct{ engine.Engine }

func (brokenEngine) Search(context.Context, contract.SearchQuery) (contract.SearchResult, error) {
	return contract.SearchResult{}, errors.New("connection refused")
}

func loadedEngine(t *testing.T) engine.Engine {
	t.Helper()
	e, err := bleveengine.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	if err := e.Apply(ctx, engine.Batch{Upserts: catalogtest.ReferenceMovies(), Cursor: 248}); err != nil {
		t.Fatal(err)
	}
	return e
}

// services returns the local service and an HTTP client to the same service,
// so every case checks that remote and local behave alike.
func services(t *testing.T, e engine.Engine, rx search.Reindexer) map[string]search.Service {
	t.Helper()
	reg := prometheus.NewRegistry()
	local := search.New(e, rx, endpointmw.Standard(search.ServiceName, endpointmw.Observers{Log: logging.Discard(), Metrics: reg})...)
	_, keys := servicetokentest.Shared(t)
	srv := httptest.NewServer(search.NewHTTPHandler(local, logging.Discard(), httpx.NewHTTPMetrics(reg), keys.Guard(search.ServiceName)))
	t.Cleanup(srv.Close)
	remote, err := search.NewHTTPClient(srv.URL, keys.ClientAs(searchtest.CallerOf, search.ServiceName, srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]search.Service{"local": local.Service(), "http": remote.Service()}
}

func TestSearchLocalAndRemote(t *testing.T) {
	e := loadedEngine(t)
	for name, s := range services(t, e, fakeReindexer{}) {
		t.Run(name, func(t *testing.T) {
			res, err := s.Search(ctx, contract.SearchQuery{Text: "star trek", Limit: 3, Facets: []string{contract.FacetGenre}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) == 0 || res.Hits[0].Name != "Star Trek" {
				t.Errorf("star trek: %+v", res.Hits)
			}
			if res.Facets[contract.FacetGenre]["Sci-Fi"] == 0 {
				t.Errorf("facets: %v", res.Facets)
			}

			// Following Next through the list view yields every movie once.
			q, _ := contract.ParseListQuery(url.Values{"page_size": {"100"}})
			seen := map[int64]bool{}
			for pages := 0; pages < 10; pages++ {
				p, err := s.List(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range p.Movies {
					if seen[m.ID] {
						t.Fatalf("movie %d seen twice", m.ID)
					}
					seen[m.ID] = true
				}
				if p.Total == nil || *p.Total != 248 {
					t.Errorf("total %v", p.Total)
				}
				if p.Next == "" {
					break
				}
				q.Cursor = p.Next
			}
			if len(seen) != 248 {
				t.Errorf("paging saw %d movies", len(seen))
			}

			_, err = s.List(ctx, contract.ListQuery{Search: "star", Cursor: "bogus", PageSize: 10})
			if apierr.KindOf(err) != apierr.Invalid {
				t.Errorf("bad cursor: %v", err)
			}
			if _, err := s.Search(ctx, contract.SearchQuery{Limit: 1000}); apierr.KindOf(err) != apierr.Invalid {
				t.Errorf("oversized page: %v", err)
			}
		})
	}
}

func TestEngineFailureIsUnavailable(t *testing.T) {
	for name, s := range services(t, brokenEngine{loadedEngine(t)}, nil) {
		if _, err := s.Search(ctx, contract.SearchQuery{Text: "star"}); !errors.Is(err, search.ErrUnavailable) {
			t.Errorf("%s: engine failure gave %v, want ErrUnavailable", name, err)
		}
		if err := s.StartReindex(ctx); !errors.Is(err, search.ErrNoReindex) {
			t.Errorf("%s: reindex without an indexer: %v", name, err)
		}
	}
}

func TestReindexConflict(t *testing.T) {
	for name, s := range services(t, loadedEngine(t), fakeReindexer{err: search.ErrReindexRunning}) {
		if err := s.StartReindex(ctx); !errors.Is(err, search.ErrReindexRunning) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range services(t, loadedEngine(t), fakeReindexer{}) {
		if err := s.StartReindex(ctx); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestHTTPValidationIsDRFShaped(t *testing.T) {
	e := loadedEngine(t)
	_, keys := servicetokentest.Shared(t)
	guarded := search.NewHTTPHandler(search.New(e, nil), logging.Discard(), nil, keys.Guard(search.ServiceName))
	auth := keys.Header(servicetoken.Gateway, search.ServiceName, servicetoken.Actor{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", auth)
		guarded.ServeHTTP(w, r)
	})
	for _, tc := range []struct {
		query string
		field string
	}{
		{"page_size=0", "page_size"},
		{"ordering=-rating", "ordering"},
		{"facets=year", "facets"},
		{"imdb_score_min=11", "imdb_score_min"},
		{"cursor=%21%21", "cursor"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, contract.RouteInternalSearch+"?"+tc.query, nil))
		var body map[string][]string
		if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &body) != nil || len(body[tc.field]) == 0 {
			t.Errorf("%s: %d %s", tc.query, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, contract.RouteInternalSearch+"?search=casab&genre=drama&ordering=-popularity", nil))
	var res contract.SearchResult
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &res) != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if !slices.ContainsFunc(res.Hits, func(m contract.Movie) bool { return m.Name == "Casablanca" }) {
		t.Errorf("casab+drama: %v", res.Hits)
	}
}
