package catalog_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/readpref"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// TestHTTPContract checks the wire details the seed's clients rely on.
func TestHTTPContract(t *testing.T) {
	svc := newLocal(t, sqltest.Backend{Driver: "sqlite", DSN: sqltest.SQLite})
	keys := servicetokentest.New(t, servicetoken.Gateway, servicetoken.Search)
	h := catalog.NewHTTPHandler(svc, logging.Discard(), nil, keys.Guard(catalog.ServiceName))
	do := func(method, path, body string, header ...string) *httptest.ResponseRecorder {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, path, r)
		req.Header.Set("Authorization", keys.Header(catalogtest.CallerOf(req), catalog.ServiceName, servicetoken.Actor{Username: "admin", Admin: true}))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	type check struct {
		method, path, body string
		header             []string
		status             int
		bodyHas            string
		respHeader         map[string]string
	}
	kingKong := `{"id": 10, "name": "King Kong", "director": "Merian C. Cooper", "popularity": 80.0, "imdb_score": 8.0,
		"genre": [{"name": "Adventure"}, {"name": "Fantasy"}, {"name": "Horror"}]}`
	for _, c := range []check{
		{method: "GET", path: "/api/movies/", status: 200, bodyHas: "[]", respHeader: map[string]string{contract.HeaderTotalCount: "0"}},
		{method: "POST", path: "/api/movies/", body: kingKong, status: 201,
			bodyHas:    `{"id":1,"name":"King Kong","director":"Merian C. Cooper","popularity":80.0,"imdb_score":8.0,"genre":[{"name":"Adventure"},{"name":"Fantasy"},{"name":"Horror"}]}`,
			respHeader: map[string]string{"Location": "/api/movie/1/"}},
		{method: "POST", path: "/api/movies", body: `{"name": "Psycho", "popularity": 87, "imdb_score": 8.7}`, status: 201},
		{method: "GET", path: "/api/movie/1/", status: 200, bodyHas: `"name":"King Kong"`},
		{method: "GET", path: "/api/movie/1", status: 200, bodyHas: `"name":"King Kong"`},
		{method: "GET", path: "/api/movies/?page_size=1", status: 200, bodyHas: `[{"id":1,`,
			respHeader: map[string]string{contract.HeaderTotalCount: "2"}},
		{method: "GET", path: "/api/movies/?search=psy", status: 200, bodyHas: `"name":"Psycho"`},
		{method: "GET", path: "/api/movie/abc/", status: 404, bodyHas: `{"detail":"Not found."}`},
		{method: "GET", path: "/api/movie/99/", status: 404, bodyHas: `{"detail":"Not found."}`},
		{method: "PUT", path: "/api/movie/1/", body: `{"name": "King Kong Part 2", "director": "Merian C. Cooper", "popularity": 85.0, "imdb_score": 8.5, "genre": [{"name": "Thriller"}]}`,
			status: 200, bodyHas: `"name":"King Kong Part 2"`},
		{method: "GET", path: "/api/movie/1/", status: 200, respHeader: map[string]string{contract.HeaderETag: `"1-2"`}},
		// If-Match: a stale or weak tag is a 412 that changes nothing; a bad one a 400.
		{method: "PATCH", path: "/api/movie/1/", body: `{"popularity": 1}`, header: []string{contract.HeaderIfMatch, `"1-1"`}, status: 412,
			bodyHas: `{"detail":"The resource has changed`},
		{method: "PATCH", path: "/api/movie/1/", body: `{"popularity": 1}`, header: []string{contract.HeaderIfMatch, `W/"1-2"`}, status: 412},
		{method: "PATCH", path: "/api/movie/1/", body: `{"popularity": 1}`, header: []string{contract.HeaderIfMatch, `1-2`}, status: 400,
			bodyHas: `"If-Match"`},
		{method: "DELETE", path: "/api/movie/1/", header: []string{contract.HeaderIfMatch, `"1-1"`}, status: 412},
		{method: "DELETE", path: "/api/movie/1/", header: []string{contract.HeaderIfMatch, `"1`}, status: 400},
		{method: "PATCH", path: "/api/movie/1/", body: `{"popularity": 81}`, header: []string{contract.HeaderIfMatch, `"1-2"`}, status: 200,
			bodyHas: `"popularity":81.0`, respHeader: map[string]string{contract.HeaderETag: `"1-3"`}},
		{method: "PATCH", path: "/api/movie/1/", body: `{"popularity": 81}`, header: []string{contract.HeaderIfMatch, `*`}, status: 200,
			respHeader: map[string]string{contract.HeaderETag: `"1-4"`}},
		{method: "POST", path: "/api/movies/", body: `{"name": "x", "popularity": 1, "imdb_score": 1}`,
			header: []string{contract.HeaderIdempotencyKey, "has space"}, status: 400, bodyHas: `"Idempotency-Key"`},
		{method: "POST", path: "/api/movies/", body: `{"name": "x", "popularity": 1, "imdb_score": 1}`,
			header: []string{contract.HeaderIdempotencyKey, strings.Repeat("k", 256)}, status: 400},
		{method: "PATCH", path: "/api/movie/1/", body: `{"popularity": "high"}`, status: 400, bodyHas: `{"popularity":["A valid number is required."]}`},
		{method: "POST", path: "/api/movies/", body: `{"name": `, status: 400, bodyHas: `"detail":"JSON parse error`},
		{method: "POST", path: "/api/movies/", body: `{}`, status: 400, bodyHas: `"name":["This field is required."]`},
		{method: "POST", path: "/api/movies/", body: `{"name": "x"}`, header: []string{"Content-Type", "text/plain"}, status: 415},
		{method: "POST", path: "/api/movies/", body: `{"name": "` + strings.Repeat("x", httpx.MaxBodyBytes) + `"}`, status: 413},
		{method: "PUT", path: "/api/movies/", status: 405, respHeader: map[string]string{"Allow": "GET, HEAD, OPTIONS, POST"}},
		{method: "GET", path: "/api/movies/?ordering=budget", status: 400, bodyHas: `"ordering"`},
		{method: "GET", path: "/api/movies/?cursor=nope", status: 400, bodyHas: `{"cursor":["Invalid cursor."]}`},
		{method: "DELETE", path: "/api/movie/2/", status: 204},
		{method: "DELETE", path: "/api/movie/2/", status: 404},
		{method: "GET", path: "/internal/changes?after=0&limit=1", status: 200, bodyHas: `"actor":"admin"`},
		{method: "GET", path: "/internal/changes?limit=0", status: 400, bodyHas: `"limit"`},
		{method: "GET", path: "/internal/changes?after=0&primary=true", status: 200, bodyHas: `"actor":"admin"`},
		{method: "GET", path: "/internal/changes?after=0&primary=false", status: 200, bodyHas: `"actor":"admin"`},
		{method: "GET", path: "/internal/changes?after=0&primary=yes", status: 400, bodyHas: `{"primary":["Must be true or false."]}`},
		{method: "PUT", path: "/internal/feed/consumers/search:movies/lease", body: `{"holder": "a", "ttl_ms": 15000, "position": 3}`,
			status: 200, bodyHas: `"holder":"a"`},
		{method: "PUT", path: "/internal/feed/consumers/search:movies/lease", body: `{"holder": "b", "ttl_ms": 15000}`,
			status: 409, bodyHas: `held by another holder`},
		{method: "PUT", path: "/internal/feed/consumers/search:movies/lease", body: `{"holder": "b", "ttl_ms": 0}`, status: 400, bodyHas: `"ttl_ms"`},
		{method: "PUT", path: "/internal/feed/consumers/search:movies/lease", body: `{"holder": `, status: 400},
		{method: "DELETE", path: "/internal/feed/consumers/search:movies/lease?holder=a", status: 204},
		{method: "DELETE", path: "/internal/feed/consumers/search:movies/lease", status: 400, bodyHas: `"holder"`},
		{method: "PUT", path: "/internal/feed/consumers/search:movies/lease", body: `{"holder": "b", "ttl_ms": 15000}`,
			status: 200, bodyHas: `"position":3`},
	} {
		w := do(c.method, c.path, c.body, c.header...)
		if w.Code != c.status {
			t.Errorf("%s %s: status %d, want %d; body %s", c.method, c.path, w.Code, c.status, w.Body)
			continue
		}
		if !strings.Contains(w.Body.String(), c.bodyHas) {
			t.Errorf("%s %s: body %s lacks %s", c.method, c.path, w.Body, c.bodyHas)
		}
		for k, v := range c.respHeader {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s: header %s = %q, want %q", c.method, c.path, k, got, v)
			}
		}
	}

	// The list walks with its cursor headers.
	w := do("GET", "/api/movies/?page_size=1", "")
	next := w.Header().Get(catalog.HeaderNextCursor)
	if next != "" {
		t.Fatalf("one movie left, yet a next cursor %q", next)
	}
	do("POST", "/api/movies/", `{"name": "Metropolis", "popularity": 84, "imdb_score": 8.4}`)
	w = do("GET", "/api/movies/?page_size=1", "")
	next = w.Header().Get(catalog.HeaderNextCursor)
	w = do("GET", "/api/movies/?page_size=1&cursor="+next, "")
	var page []contract.Movie
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || len(page) != 1 || page[0].Name != "Metropolis" {
		t.Fatalf("second page %s (%v)", w.Body, err)
	}
	if w.Header().Get(catalog.HeaderPrevCursor) == "" || w.Header().Get(catalog.HeaderNextCursor) != "" {
		t.Fatalf("second page cursors: %v", w.Header())
	}
	if w := do(http.MethodOptions, "/api/movie/1/", ""); w.Code != 204 {
		t.Errorf("OPTIONS: %d", w.Code)
	}
}

// primaryFeed is a Service whose feed records whether each call asked for
// the primary.
type primaryFeed struct {
	catalog.Service
	asked []bool
}

func (f *primaryFeed) Changes(ctx context.Context, after int64, _ int) (contract.ChangePage, error) {
	f.asked = append(f.asked, readpref.Primary(ctx))
	return contract.ChangePage{Changes: []contract.Change{}, Last: after, Head: after}, nil
}

// TestFeedReadPreferenceCrossesHTTP: a feed call whose context asks for
// the primary reaches the service with that mark over HTTP (?primary=true),
// and one that does not, without it; a bad value never reaches it.
func TestFeedReadPreferenceCrossesHTTP(t *testing.T) {
	feed := &primaryFeed{}
	keys := servicetokentest.New(t, servicetoken.Gateway, servicetoken.Search)
	srv := httptest.NewServer(catalog.NewHTTPHandler(catalog.MakeEndpoints(feed), logging.Discard(), nil, keys.Guard(catalog.ServiceName)))
	defer srv.Close()
	c, err := catalog.NewHTTPClient(srv.URL, keys.ClientAs(catalogtest.CallerOf, catalog.ServiceName, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Service().Changes(readpref.WithPrimary(ctx), 5, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Service().Changes(ctx, 5, 10); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(feed.asked, []bool{true, false}) {
		t.Fatalf("the service saw primary %v, want [true false]", feed.asked)
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+contract.RouteInternalChanges+"?primary=1", nil)
	resp, err := keys.Client(servicetoken.Search, catalog.ServiceName, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(feed.asked) != 2 {
		t.Fatalf("primary=1: status %d, %d feed calls; want 400 and none", resp.StatusCode, len(feed.asked)-2)
	}
}
