package httpx_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// echo answers with the method, the route it was registered for and the
// {id} path value, so a test sees which handler served a request.
func echo(route string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = httpx.WriteJSON(w, http.StatusOK, map[string]string{
			"method": r.Method, "route": route, "id": r.PathValue("id"),
		})
	}
}

func testRouter(metrics *httpx.HTTPMetrics) *httpx.Router {
	rt := httpx.NewRouter(metrics)
	rt.HandleFunc(http.MethodGet, contract.RouteMovies, echo("list"))
	rt.HandleFunc(http.MethodPost, contract.RouteMovies, echo("create"))
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		rt.HandleFunc(m, contract.RouteMovie, echo("movie"))
	}
	rt.HandleFunc(http.MethodGet, contract.RouteOpenAPI, echo("openapi"))
	rt.Mount(contract.RouteDocsAssets, http.StripPrefix(contract.RouteDocsAssets, echo("assets")))
	return rt
}

func TestRouter(t *testing.T) {
	rt := testRouter(nil)
	cases := []struct {
		name, method, path string
		status             int
		route, id          string // the handler expected to answer (200s)
		allow              string // the Allow header expected (405, OPTIONS)
		detail             string // the error detail expected
	}{
		{name: "list with slash", method: "GET", path: "/api/movies/", status: 200, route: "list"},
		{name: "list without slash", method: "GET", path: "/api/movies", status: 200, route: "list"},
		{name: "list with a query", method: "GET", path: "/api/movies?search=star", status: 200, route: "list"},
		{name: "create without slash", method: "POST", path: "/api/movies", status: 200, route: "create"},
		{name: "detail with slash", method: "GET", path: "/api/movie/7/", status: 200, route: "movie", id: "7"},
		{name: "detail without slash", method: "PATCH", path: "/api/movie/7", status: 200, route: "movie", id: "7"},
		{name: "HEAD served by GET", method: "HEAD", path: "/api/movie/7/", status: 200},
		{name: "path without a trailing slash in the contract", method: "GET", path: "/api/openapi.json", status: 200, route: "openapi"},
		{name: "mounted prefix", method: "GET", path: "/api/docs/assets/app.js", status: 200, route: "assets"},
		{name: "method not allowed on the list", method: "DELETE", path: "/api/movies/", status: 405,
			allow: "GET, HEAD, OPTIONS, POST", detail: `Method "DELETE" not allowed.`},
		{name: "method not allowed on a movie", method: "POST", path: "/api/movie/7", status: 405,
			allow: "DELETE, GET, HEAD, OPTIONS, PATCH, PUT", detail: `Method "POST" not allowed.`},
		{name: "mounted prefix takes every method", method: "HEAD", path: "/api/docs/assets/x", status: 200},
		{name: "OPTIONS lists the methods", method: "OPTIONS", path: "/api/movie/7/", status: 204,
			allow: "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"},
		{name: "unknown path", method: "GET", path: "/api/nothing/", status: 404, detail: "Not found."},
		{name: "root", method: "GET", path: "/", status: 404, detail: "Not found."},
		{name: "below a route", method: "GET", path: "/api/movies/7/", status: 404, detail: "Not found."},
		{name: "below a movie", method: "GET", path: "/api/movie/7/genres/", status: 404, detail: "Not found."},
		{name: "movie without an id", method: "GET", path: "/api/movie/", status: 404, detail: "Not found."},
		{name: "unknown path, other method", method: "POST", path: "/api/nothing", status: 404, detail: "Not found."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			rt.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d; body %s", tc.method, tc.path, w.Code, tc.status, w.Body)
			}
			if got := w.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if tc.method == http.MethodHead || tc.status == http.StatusNoContent {
				return
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not a JSON object: %v", w.Body, err)
			}
			if tc.status != http.StatusOK {
				if body["detail"] != tc.detail {
					t.Errorf("detail %q, want %q", body["detail"], tc.detail)
				}
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("error Content-Type %q", ct)
				}
				return
			}
			if body["route"] != tc.route || body["id"] != tc.id || body["method"] != tc.method {
				t.Errorf("served by %v, want route %q id %q method %s", body, tc.route, tc.id, tc.method)
			}
		})
	}
}

func TestRouterRoutes(t *testing.T) {
	got := testRouter(nil).Routes()
	want := map[string][]string{
		contract.RouteMovies:  {"GET", "HEAD", "OPTIONS", "POST"},
		contract.RouteMovie:   {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "PUT"},
		contract.RouteOpenAPI: {"GET", "HEAD", "OPTIONS"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Routes() = %v, want %v", got, want)
	}
}

// Registering a pattern's methods one by one must not register the path
// twice with the mux (which panics).
func TestRouterRegistersEachPatternOnce(t *testing.T) {
	rt := httpx.NewRouter(nil)
	rt.HandleFunc(http.MethodGet, "/a/", echo("a"))
	rt.HandleFunc(http.MethodPut, "/a/", echo("a"))
	rt.HandleFunc(http.MethodGet, "/b", echo("b"))
	rt.HandleFunc(http.MethodPost, "/b", echo("b"))
	for _, path := range []string{"/a", "/a/", "/b"} {
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK {
			t.Errorf("GET %s = %d", path, w.Code)
		}
	}
}

// The router labels metrics with the contract pattern, never the raw path,
// so ids do not blow up the label cardinality.
func TestRouterMetricsUseThePattern(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	rt := testRouter(httpx.NewHTTPMetrics(reg))
	for _, path := range []string{"/api/movie/1/", "/api/movie/2", "/api/movie/3/"} {
		rt.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	rt.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodDelete, "/api/movies/", nil))
	if got, want := requestCounts(t, reg), map[string]float64{"/api/movie/{id}/ GET 200": 3}; !maps.Equal(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	n := 0
	eachSeries(t, reg, "http_server_request_duration_seconds", func(map[string]string, float64) { n++ })
	if n != 1 {
		t.Errorf("%d duration series, want 1", n)
	}
}

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	if err := httpx.WriteJSON(w, http.StatusCreated, map[string]int{"id": 3}); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusCreated || w.Body.String() != "{\"id\":3}\n" {
		t.Errorf("WriteJSON wrote %d %q", w.Code, w.Body)
	}
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", w.Header())
	}
	w = httptest.NewRecorder()
	if err := httpx.WriteJSON(w, http.StatusOK, func() {}); err == nil {
		t.Error("WriteJSON of a func succeeded")
	}
	if w.Body.Len() != 0 {
		t.Errorf("a failed WriteJSON wrote %q", w.Body)
	}
}
