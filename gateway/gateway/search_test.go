package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/gateway/gateway"
	"github.com/moviesplatform/search-svc/search/searchtest"
)

// searchFixture fronts a catalog of n movies and search-svc over HTTP whose
// engine reads that catalog and fails while engine.Fail is set.
func searchFixture(t *testing.T, n int) (*fixture, *searchtest.Engine) {
	t.Helper()
	eng := &searchtest.Engine{}
	f := newFixture(t, n, func(o *gateway.Options) {
		eng.Catalog = o.Catalog.(*catalogtest.Catalog)
		o.Search = searchtest.Client(t, eng)
	})
	return f, eng
}

func nextPath(t *testing.T, w interface{ Header() http.Header }) string {
	t.Helper()
	raw := links(t, w.Header().Get("Link"))["next"]
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func TestSearchAnswersFromSearchServiceWithListPaging(t *testing.T) {
	f, _ := searchFixture(t, 30) // 10 stars
	seen := map[int64]bool{}
	var first []contract.Movie
	next := "/api/movies/?search=star&page_size=4"
	for pages := 0; next != ""; pages++ {
		w := f.do(t, req{method: http.MethodGet, path: next})
		wantStatus(t, w, http.StatusOK)
		if w.Header().Get(contract.HeaderDegraded) != "" || w.Header().Get(contract.HeaderTotalCount) != "10" {
			t.Fatalf("headers %v", w.Header())
		}
		movies := decode[[]contract.Movie](t, w)
		if first == nil {
			first = movies
		}
		for _, m := range movies {
			if seen[m.ID] {
				t.Fatalf("movie %d twice", m.ID)
			}
			seen[m.ID] = true
		}
		next = nextPath(t, w)
		if pages > 10 {
			t.Fatal("links never end")
		}
	}
	if len(seen) != 10 {
		t.Fatalf("%d movies, want 10", len(seen))
	}
	// search-svc's order (popularity), not the catalog's (id).
	if first[0].Popularity < first[1].Popularity || first[0].ID < first[1].ID {
		t.Fatalf("first page not in search order: %+v", first)
	}
}

func TestSearchCursorOnTheFallbackRestartsAtTheFirstPage(t *testing.T) {
	f, eng := searchFixture(t, 30)
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/?search=star&page_size=4"})
	wantStatus(t, w, http.StatusOK)
	searchNext := nextPath(t, w)

	eng.Fail = apierr.ErrUnavailable // search-svc's engine goes down
	w = f.do(t, req{method: http.MethodGet, path: searchNext})
	wantStatus(t, w, http.StatusOK)
	if w.Header().Get(contract.HeaderDegraded) != "search" || w.Header().Get(gateway.HeaderPageRestarted) != "true" {
		t.Fatalf("headers %v", w.Header())
	}
	movies := decode[[]contract.Movie](t, w)
	if len(movies) != 4 || movies[0].ID != 1 || links(t, w.Header().Get("Link"))["prev"] != "" {
		t.Fatalf("not the catalog's first page: %+v", movies)
	}

	// A walk begun on the catalog stays there, even once search is back,
	// so no movie repeats or goes missing.
	eng.Fail = nil
	seen := map[int64]bool{}
	for _, m := range movies {
		seen[m.ID] = true
	}
	for next := nextPath(t, w); next != ""; next = nextPath(t, w) {
		w = f.do(t, req{method: http.MethodGet, path: next})
		wantStatus(t, w, http.StatusOK)
		if w.Header().Get(contract.HeaderDegraded) != "search" || w.Header().Get(gateway.HeaderPageRestarted) != "" {
			t.Fatalf("headers %v", w.Header())
		}
		for _, m := range decode[[]contract.Movie](t, w) {
			if seen[m.ID] {
				t.Fatalf("movie %d twice", m.ID)
			}
			seen[m.ID] = true
		}
	}
	if len(seen) != 10 {
		t.Fatalf("%d movies, want 10", len(seen))
	}
}

func TestSearchCursorWithoutSearchServiceRestarts(t *testing.T) {
	f, _ := searchFixture(t, 30)
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/?search=star&page_size=4"})
	plain := newFixture(t, 30) // a gateway without search-svc
	w = plain.do(t, req{method: http.MethodGet, path: nextPath(t, w)})
	wantStatus(t, w, http.StatusOK)
	if w.Header().Get(gateway.HeaderPageRestarted) != "true" || w.Header().Get(contract.HeaderDegraded) != "" {
		t.Fatalf("headers %v", w.Header())
	}
}

func TestSearchRouteHasFacetsAndEstimatedTotal(t *testing.T) {
	f, eng := searchFixture(t, 30)
	w := f.do(t, req{method: http.MethodGet, path: "/api/search/?search=star&page_size=3"})
	wantStatus(t, w, http.StatusOK)
	res := decode[contract.SearchResult](t, w)
	if len(res.Hits) != 3 || res.EstimatedTotal != 10 || res.Facets[contract.FacetGenre]["Drama"] != 10 {
		t.Fatalf("result %+v", res)
	}
	if w.Header().Get(contract.HeaderTotalCount) != "10" {
		t.Fatalf("headers %v", w.Header())
	}
	next := links(t, w.Header().Get("Link"))["next"]
	if u, _ := url.Parse(next); u == nil || u.Path != contract.RouteSearch || u.Query().Get("cursor") == "" {
		t.Fatalf("next link %q", next)
	}
	w = f.do(t, req{method: http.MethodGet, path: "/api/search/?search=star&facets="})
	if res := decode[contract.SearchResult](t, w); res.Facets != nil {
		t.Fatalf("facets asked none of: %+v", res.Facets)
	}
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/search/?facets=year"}), http.StatusBadRequest)

	tag := w.Header().Get("ETag")
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/search/?search=star&facets=", header: http.Header{"If-None-Match": {tag}}}), http.StatusNotModified)

	eng.Fail = apierr.ErrUnavailable
	wantDetail(t, f.do(t, req{method: http.MethodGet, path: "/api/search/?search=star"}), http.StatusServiceUnavailable, apierr.MsgUnavailable)
}

func TestSearchRouteTakesQAsSearch(t *testing.T) {
	f, _ := searchFixture(t, 30)
	w := f.do(t, req{method: http.MethodGet, path: "/api/search/?q=star&page_size=3"})
	wantStatus(t, w, http.StatusOK)
	if res := decode[contract.SearchResult](t, w); len(res.Hits) != 3 || res.EstimatedTotal != 10 {
		t.Fatalf("q was not searched for: %+v", res)
	}
	next := links(t, w.Header().Get("Link"))["next"]
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: next}), http.StatusOK)
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/search/?q=star&search=wars"}), http.StatusBadRequest)
}

func TestSearchRouteWithoutSearchServiceIs503(t *testing.T) {
	f := newFixture(t, 3)
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/search/?search=star"}), http.StatusServiceUnavailable)
}

// stuckSearchCatalog holds every SQL search until release is closed, like
// a catalog scanning millions of names.
type stuckSearchCatalog struct {
	*catalogtest.Catalog
	started chan struct{}
	release chan struct{}
}

func (c stuckSearchCatalog) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	if q.Search != "" {
		c.started <- struct{}{}
		<-c.release
	}
	return c.Catalog.List(ctx, q)
}

func TestSQLSearchesAreBoundedWhileSearchIsDown(t *testing.T) {
	down := listerFunc(func(context.Context, contract.ListQuery) (contract.Page, error) {
		return contract.Page{}, apierr.ErrUnavailable
	})
	stuck := stuckSearchCatalog{catalogtest.NewCatalog(catalogtest.Seed(5)...), make(chan struct{}, 1), make(chan struct{})}
	f := newFixture(t, 0, func(o *gateway.Options) {
		o.Search, o.Catalog, o.SQLSearches = down, stuck, 1
	})
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- f.do(t, get("/api/movies/?search=star")) }()
	<-stuck.started // the one slot is taken by a scan in progress

	w := f.do(t, get("/api/movies/?search=trek"))
	wantStatus(t, w, http.StatusServiceUnavailable)
	if w.Header().Get("Retry-After") == "" {
		t.Errorf("busy answer without Retry-After: %v", w.Header())
	}
	wantStatus(t, f.do(t, get("/api/movies/?page_size=2")), http.StatusOK) // plain lists are not bounded

	close(stuck.release)
	wantStatus(t, <-first, http.StatusOK)
	go func() { <-stuck.started }()
	wantStatus(t, f.do(t, get("/api/movies/?search=trek")), http.StatusOK) // the slot is free again
}
