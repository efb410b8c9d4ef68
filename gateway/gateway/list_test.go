package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/gateway/gateway"
)

var linkRel = regexp.MustCompile(`<([^>]+)>; rel="(next|prev)"`)

func links(t *testing.T, header string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range linkRel.FindAllStringSubmatch(header, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestFollowingNextLinksYieldsEveryMovieOnce(t *testing.T) {
	const n = 248
	f := newFixture(t, n, behindProxy)
	seen := map[int64]int{}
	next := "/api/movies/?page_size=50&director=&unknown=kept"
	var pages int
	for next != "" {
		w := f.do(t, req{method: http.MethodGet, path: next,
			header: http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"movies.example, proxy.internal"}}})
		wantStatus(t, w, http.StatusOK)
		if got := w.Header().Get(contract.HeaderTotalCount); got != "248" {
			t.Fatalf("X-Total-Count %q", got)
		}
		for _, m := range decode[[]contract.Movie](t, w) {
			seen[m.ID]++
		}
		l := links(t, w.Header().Get("Link"))
		if pages > 0 && l["prev"] == "" {
			t.Fatalf("page %d has no prev link: %q", pages+1, w.Header().Get("Link"))
		}
		next = ""
		if raw := l["next"]; raw != "" {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != "https" || u.Host != "movies.example" || u.Path != contract.RouteMovies {
				t.Fatalf("next link %q is not absolute on the forwarded host", raw)
			}
			q := u.Query()
			if q.Get("page_size") != "50" || q.Get("unknown") != "kept" || q.Get("cursor") == "" {
				t.Fatalf("next link %q lost the query", raw)
			}
			next = u.RequestURI()
		}
		pages++
		if pages > n {
			t.Fatal("links never end")
		}
	}
	if len(seen) != n || pages != 5 {
		t.Fatalf("%d distinct movies over %d pages, want %d over 5", len(seen), pages, n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("movie %d seen %d times", id, c)
		}
	}
}

func TestLinksUseTheRequestHostWithoutProxyHeaders(t *testing.T) {
	f := newFixture(t, 5)
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies?page_size=1&search=star",
		header: http.Header{"X-Forwarded-Host": {"evil.example>; rel=x"}}})
	wantStatus(t, w, http.StatusOK)
	l := links(t, w.Header().Get("Link"))
	if !strings.HasPrefix(l["next"], "http://example.com/api/movies/?") {
		t.Fatalf("next %q", l["next"])
	}
}

func TestEmptyListIsAnArray(t *testing.T) {
	f := newFixture(t, 0)
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/"})
	wantStatus(t, w, http.StatusOK)
	if strings.TrimSpace(w.Body.String()) != "[]" {
		t.Fatalf("body %q", w.Body.String())
	}
	if w.Header().Get("Link") != "" {
		t.Fatalf("Link on a single page: %q", w.Header().Get("Link"))
	}
}

func TestSearchGoesToTheCatalogForNow(t *testing.T) {
	f := newFixture(t, 9)
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/?search=STAR"})
	wantStatus(t, w, http.StatusOK)
	movies := decode[[]contract.Movie](t, w)
	if len(movies) != 3 {
		t.Fatalf("search=star found %d movies", len(movies))
	}
	for _, m := range movies {
		if !strings.HasPrefix(m.Name, "Star") {
			t.Fatalf("search=star found %q", m.Name)
		}
	}
}

// listerFunc is a search service whose lists f answers; it has no
// /api/search/ answers.
type listerFunc func(context.Context, contract.ListQuery) (contract.Page, error)

func (f listerFunc) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return f(ctx, q)
}

func (listerFunc) Search(context.Context, contract.SearchQuery) (contract.SearchResult, error) {
	return contract.SearchResult{}, apierr.ErrUnavailable
}

func TestSearchBackendFallsBackToTheCatalog(t *testing.T) {
	var searchErr error
	searched := 0
	search := listerFunc(func(context.Context, contract.ListQuery) (contract.Page, error) {
		searched++
		if searchErr != nil {
			return contract.Page{}, searchErr
		}
		return contract.Page{Movies: []contract.Movie{{ID: 77, Name: "Star from search"}}}, nil
	})
	f := newFixture(t, 9, func(o *gateway.Options) { o.Search = search })

	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/?search=star"})
	wantStatus(t, w, http.StatusOK)
	if got := decode[[]contract.Movie](t, w); len(got) != 1 || got[0].ID != 77 {
		t.Fatalf("search answer not used: %+v", got)
	}
	// Plain lists never ask search.
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/movies/"}), http.StatusOK)
	if searched != 1 {
		t.Fatalf("search asked %d times", searched)
	}

	searchErr = apierr.ErrUnavailable
	w = f.do(t, req{method: http.MethodGet, path: "/api/movies/?search=star"})
	wantStatus(t, w, http.StatusOK)
	if got := decode[[]contract.Movie](t, w); len(got) != 3 {
		t.Fatalf("fallback gave %d movies", len(got))
	}
	if w.Header().Get(contract.HeaderDegraded) != "search" {
		t.Fatalf("fallback not flagged: %v", w.Header())
	}

	// The search service's verdict on bad input stands.
	searchErr = apierr.Validation(map[string][]string{"cursor": {"Invalid cursor."}})
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/movies/?search=star"}), http.StatusBadRequest)
}
