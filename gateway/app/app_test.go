package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/promtest"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"

	"github.com/moviesplatform/auth-svc/auth/authtest"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/gateway/app"
	"github.com/moviesplatform/gateway/ratelimit"
	"github.com/moviesplatform/gateway/upstream"
	"github.com/moviesplatform/gateway/upstream/upstreamtest"
	"github.com/moviesplatform/search-svc/search"
	"github.com/moviesplatform/search-svc/search/searchtest"
)

func TestConfigDefaults(t *testing.T) {
	var cfg app.Config
	if err := config.LoadFrom(&cfg, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.CatalogURL != "http://127.0.0.1:8081" || cfg.AuthURL != "http://127.0.0.1:8082" ||
		cfg.SearchURL != "http://127.0.0.1:8083" || cfg.AuthCacheTTL != 5*time.Second ||
		cfg.CacheTTL != time.Second || cfg.CacheMaxAge != time.Second || cfg.CacheBytes != 64<<20 {
		t.Fatalf("defaults %+v", cfg)
	}
	if err := config.LoadFrom(&cfg, map[string]string{"MOVIES_GATEWAY_AUTH_CACHE_TTL": "1s", "MOVIES_GATEWAY_ADDR": ":9"}); err != nil {
		t.Fatal(err)
	}
	if cfg.AuthCacheTTL != time.Second || cfg.Addr != ":9" {
		t.Fatalf("env not read: %+v", cfg)
	}
}

// defaults is the default configuration without search-svc, so no test
// dials whatever listens on the default port.
func defaults(t *testing.T) app.Config {
	var cfg app.Config
	if err := config.LoadFrom(&cfg, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	cfg.SearchURL = "none"
	keyDir, _ := servicetokentest.Shared(t)
	cfg.Identity.KeyFile = filepath.Join(keyDir, servicetoken.Gateway+".key")
	return cfg
}

// TestServiceIdentity: remote services are called with the gateway's
// service token, acting for the client's verified identity; without a key
// the gateway refuses to start rather than call them unauthenticated.
func TestServiceIdentity(t *testing.T) {
	cfg := defaults(t)
	cfg.Identity.KeyFile = ""
	if _, err := app.New(context.Background(), cfg, logging.Discard(), server.NewRegistry(), nil, app.Deps{}); err == nil ||
		!strings.Contains(err.Error(), "MOVIES_GATEWAY_SERVICE_KEY_FILE") {
		t.Fatalf("started without a key: %v", err)
	}

	_, keys := servicetokentest.Shared(t)
	cat := catalogtest.NewCatalog(catalogtest.Seed(3)...)
	srv := httptest.NewServer(catalog.NewHTTPHandler(catalog.MakeEndpoints(cat), logging.Discard(), nil, keys.Guard(catalog.ServiceName)))
	t.Cleanup(srv.Close)
	cfg = defaults(t)
	cfg.CatalogURL = srv.URL
	a := newApp(t, cfg, app.Deps{Auth: authtest.NewAuth()})
	req := httptest.NewRequest(http.MethodDelete, "/api/movie/2/", nil)
	req.Header.Set("Authorization", "Token "+authtest.AdminToken)
	// A client naming another actor changes nothing: the header is not read.
	req.Header.Set("X-Movies-Actor", "mallory")
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	if w.Code != http.StatusNoContent || !slices.Equal(cat.Actors, []string{"admin"}) {
		t.Fatalf("delete: %d %s, actors %v", w.Code, w.Body, cat.Actors)
	}
	if w := get(t, a.Handler, "/api/movie/1/"); w.Code != http.StatusOK {
		t.Fatalf("anonymous read: %d %s", w.Code, w.Body)
	}
	if cat.ReadActors[len(cat.ReadActors)-1] != "" {
		t.Fatalf("an anonymous read carried actor %q", cat.ReadActors[len(cat.ReadActors)-1])
	}

	// A catalog that does not trust the gateway's key is the platform's
	// fault (the upstream guard's 503), not the client's 401.
	stranger := servicetokentest.New(t, servicetoken.Gateway)
	other := httptest.NewServer(catalog.NewHTTPHandler(catalog.MakeEndpoints(cat), logging.Discard(), nil, stranger.Guard(catalog.ServiceName)))
	t.Cleanup(other.Close)
	cfg.CatalogURL = other.URL
	cfg.CacheTTL = 0
	a = newApp(t, cfg, app.Deps{Auth: authtest.NewAuth()})
	if w := get(t, a.Handler, "/api/movie/1/"); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("refused credential: %d %s", w.Code, w.Body)
	}
}

func newApp(t *testing.T, cfg app.Config, deps app.Deps) *app.App {
	t.Helper()
	a, err := app.New(context.Background(), cfg, logging.Discard(), server.NewRegistry(), nil, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// Health, readiness, metrics and profiles are on the admin listener only: the
// public API answers 404 for them.
func TestOperationalPathsAreNotOnThePublicAPI(t *testing.T) {
	a := newApp(t, defaults(t), app.Deps{Catalog: catalogtest.NewCatalog(), Auth: authtest.NewAuth()})
	for _, path := range []string{contract.RouteMetrics, contract.RouteHealthz, contract.RouteReadyz, "/debug/pprof/"} {
		if w := get(t, a.Handler, path); w.Code != http.StatusNotFound {
			t.Errorf("public %s: %d, want 404", path, w.Code)
		}
	}
}

func TestInProcessServices(t *testing.T) {
	a := newApp(t, defaults(t), app.Deps{Catalog: catalogtest.NewCatalog(catalogtest.Seed(3)...), Auth: authtest.NewAuth()})
	if w := get(t, a.Handler, "/api/movie/2/"); w.Code != http.StatusOK {
		t.Fatalf("detail: %d %s", w.Code, w.Body.String())
	}
	// In-process services need no reachability check.
	if w := get(t, server.WithAdmin(a.Handler, server.AdminOptions{Health: a.Health}), "/readyz"); w.Code != http.StatusOK {
		t.Fatalf("readyz: %d %s", w.Code, w.Body.String())
	}
}

func TestTwoAppsInOneProcess(t *testing.T) {
	// The single binary builds several apps; none may touch process-wide state.
	for range 2 {
		newApp(t, defaults(t), app.Deps{Catalog: catalogtest.NewCatalog(), Auth: authtest.NewAuth()})
	}
}

func detail(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct{ Detail string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return body.Detail
}

func TestUpstreamsDownAnswer503AndTheBreakerOpens(t *testing.T) {
	cfg := defaults(t)
	cfg.CatalogURL, cfg.AuthURL = upstreamtest.ClosedURL(t), upstreamtest.ClosedURL(t)
	a := newApp(t, cfg, app.Deps{})
	var last *httptest.ResponseRecorder
	for range 6 {
		last = get(t, a.Handler, "/api/movie/1/")
		if last.Code != http.StatusServiceUnavailable || detail(t, last) != apierr.MsgUnavailable {
			t.Fatalf("catalog down: %d %s", last.Code, last.Body.String())
		}
	}
	if last.Header().Get("Retry-After") == "" {
		t.Fatalf("no Retry-After once the breaker is open: %v", last.Header())
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/api/auth/token/", strings.NewReader(`{"username":"a","password":"b"}`))
	r.Header.Set("Content-Type", "application/json")
	a.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("auth down: %d %s", w.Code, w.Body.String())
	}

	ready := get(t, server.WithAdmin(a.Handler, server.AdminOptions{Health: a.Health}), "/readyz")
	if ready.Code != http.StatusServiceUnavailable {
		t.Fatalf("ready with unreachable upstreams: %s", ready.Body.String())
	}
	var body struct {
		Checks   map[string]string
		Breakers map[string]string
	}
	_ = json.Unmarshal(ready.Body.Bytes(), &body)
	if body.Checks["catalog"] == "ok" || body.Checks["auth"] == "ok" || body.Breakers["catalog-read"] != "open" {
		t.Fatalf("readyz %s", ready.Body.String())
	}
}

func TestSlowUpstreamIs504(t *testing.T) {
	slow := upstreamtest.HangingServer(t)
	cfg := defaults(t)
	cfg.CatalogURL, cfg.CatalogTimeout = slow.URL, 50*time.Millisecond
	a := newApp(t, cfg, app.Deps{Auth: authtest.NewAuth()})
	w := get(t, a.Handler, "/api/movies/")
	if w.Code != http.StatusGatewayTimeout || detail(t, w) != apierr.MsgUpstreamTimeout {
		t.Fatalf("slow catalog: %d %s", w.Code, w.Body.String())
	}
}

func TestMetricsAreRegistered(t *testing.T) {
	reg := server.NewRegistry()
	a, err := app.New(context.Background(), defaults(t), logging.Discard(), reg, nil, app.Deps{Catalog: catalogtest.NewCatalog(), Auth: authtest.NewAuth()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	get(t, a.Handler, "/api/movies/")
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
	}
	for _, n := range []string{"http_server_requests_total", "gateway_upstream_calls_total", "gateway_upstream_breaker_state",
		"gateway_response_cache_lookups_total", "gateway_response_cache_bytes"} {
		if !names[n] {
			t.Errorf("metric %s missing", n)
		}
	}
}

// hangingSearch answers nothing until its caller gives up; it never
// reindexes (the embedded nil Service).
type hangingSearch struct{ search.Service }

func (hangingSearch) List(ctx context.Context, _ contract.ListQuery) (contract.Page, error) {
	<-ctx.Done()
	return contract.Page{}, ctx.Err()
}

func (hangingSearch) Search(ctx context.Context, _ contract.SearchQuery) (contract.SearchResult, error) {
	<-ctx.Done()
	return contract.SearchResult{}, ctx.Err()
}

// wantSearchFallback checks ?search= is answered by the catalog (2 of the
// 6 seeded movies), flagged degraded, also once the search breaker opens.
func wantSearchFallback(t *testing.T, h http.Handler) {
	t.Helper()
	for range 5 { // past the breaker opening, too
		w := get(t, h, "/api/movies/?search=star")
		if w.Code != http.StatusOK || w.Header().Get(contract.HeaderDegraded) != "search" {
			t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body.String())
		}
		var movies []contract.Movie
		_ = json.Unmarshal(w.Body.Bytes(), &movies)
		if len(movies) != 2 {
			t.Fatalf("fallback found %d movies", len(movies))
		}
	}
}

func TestSlowSearchFallsBackToTheCatalog(t *testing.T) {
	cfg := defaults(t)
	cfg.SearchTimeout = 50 * time.Millisecond
	a := newApp(t, cfg, app.Deps{Catalog: catalogtest.NewCatalog(catalogtest.Seed(6)...), Auth: authtest.NewAuth(), Search: hangingSearch{}})
	wantSearchFallback(t, a.Handler)
}

func TestSearchServiceOverHTTP(t *testing.T) {
	cat := catalogtest.NewCatalog(catalogtest.Seed(9)...)
	cfg := defaults(t)
	cfg.SearchURL = searchtest.Server(t, &searchtest.Engine{Catalog: cat}).URL
	a := newApp(t, cfg, app.Deps{Catalog: cat, Auth: authtest.NewAuth()})
	w := get(t, a.Handler, "/api/search/?search=star")
	if w.Code != http.StatusOK || w.Header().Get(contract.HeaderTotalCount) != "3" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body.String())
	}
	w = get(t, a.Handler, "/api/movies/?search=star")
	if w.Code != http.StatusOK || w.Header().Get(contract.HeaderDegraded) != "" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body.String())
	}
}

func TestSearchServiceDownOrSlowDegrades(t *testing.T) {
	for name, url := range map[string]string{"down": upstreamtest.ClosedURL(t), "slow": upstreamtest.HangingServer(t).URL} {
		t.Run(name, func(t *testing.T) {
			cfg := defaults(t)
			cfg.SearchURL, cfg.SearchTimeout = url, 50*time.Millisecond
			a := newApp(t, cfg, app.Deps{Catalog: catalogtest.NewCatalog(catalogtest.Seed(6)...), Auth: authtest.NewAuth()})
			wantSearchFallback(t, a.Handler)
			if w := get(t, a.Handler, "/api/search/?search=star"); w.Code < 500 {
				t.Fatalf("/api/search/ without search-svc: %d", w.Code)
			}
			// The gateway degrades without search-svc; it stays ready.
			if w := get(t, server.WithAdmin(a.Handler, server.AdminOptions{Health: a.Health}), "/readyz"); w.Code != http.StatusOK {
				t.Fatalf("readyz: %d %s", w.Code, w.Body.String())
			}
		})
	}
}

func TestRateLimitConfig(t *testing.T) {
	cfg := defaults(t)
	if cfg.RateAnonymous.Rate != 50 || cfg.RateAnonymous.Burst != 100 || cfg.RateLogin.Period != time.Minute {
		t.Fatalf("defaults: %+v %+v", cfg.RateAnonymous, cfg.RateLogin)
	}
	var c app.Config
	if err := config.LoadFrom(&c, map[string]string{"MOVIES_GATEWAY_RATE_LOGIN": "3/1h,burst=5"}); err != nil {
		t.Fatal(err)
	}
	if c.RateLogin.Rate != 3 || c.RateLogin.Period != time.Hour || c.RateLogin.Burst != 5 {
		t.Fatalf("parsed %+v", c.RateLogin)
	}
	if err := config.LoadFrom(&c, map[string]string{"MOVIES_GATEWAY_RATE_LOGIN": "lots"}); err == nil {
		t.Fatal("a bad rule was accepted")
	}
}

// TestTheGatewayRateLimitsAnonymousClients sends one client past its
// anonymous limit through the whole app: 429 with Retry-After and the
// RateLimit headers, while another client is served.
func TestTheGatewayRateLimitsAnonymousClients(t *testing.T) {
	cfg := defaults(t)
	cfg.RateAnonymous = ratelimit.Rule{Rate: 2, Period: time.Minute, Burst: 2}
	a := newApp(t, cfg, app.Deps{Catalog: catalogtest.NewCatalog(catalogtest.Seed(3)...), Auth: authtest.NewAuth()})
	get := func(peer string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/movie/1/", nil)
		r.RemoteAddr = peer + ":1234"
		w := httptest.NewRecorder()
		a.Handler.ServeHTTP(w, r)
		return w
	}
	for range 2 {
		if w := get("192.0.2.1"); w.Code != http.StatusOK {
			t.Fatalf("within the limit: %d", w.Code)
		}
	}
	w := get("192.0.2.1")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" ||
		w.Header().Get("RateLimit-Policy") != `"anonymous";q=2;w=60` || w.Header().Get("RateLimit") == "" {
		t.Fatalf("past the limit: %d %v", w.Code, w.Header())
	}
	if w := get("192.0.2.2"); w.Code != http.StatusOK {
		t.Fatalf("another client: %d", w.Code)
	}
}

// No route of the public API starts a reindex, or reaches any internal
// route: an admin's token gets the 404 anyone gets. A reindex is for an
// operator on search-svc's own port (docs/security.md).
func TestNoReindexAtTheEdge(t *testing.T) {
	a := newApp(t, defaults(t), app.Deps{Catalog: catalogtest.NewCatalog(), Auth: authtest.NewAuth(), Search: hangingSearch{}})
	for _, path := range []string{contract.RouteInternalReindex, "/api/search/reindex", "/api/search/reindex/", "/api/reindex/",
		"/api/admin/reindex", contract.RouteInternalSearch, "/internal/changes", contract.FeedLeasePath("search:movies")} {
		for _, token := range []string{"", authtest.AdminToken} {
			r := httptest.NewRequest(http.MethodPost, path, nil)
			if token != "" {
				r.Header.Set("Authorization", "Token "+token)
			}
			w := httptest.NewRecorder()
			a.Handler.ServeHTTP(w, r)
			if w.Code != http.StatusNotFound {
				t.Errorf("POST %s (token %q): %d %s, want 404", path, token, w.Code, w.Body.String())
			}
		}
	}
}

// Proxies trusted by address and by count at once is a startup error naming
// both variables, not one silently winning; a negative count is refused.
func TestTrustedProxiesAndHopsAreExclusive(t *testing.T) {
	deps := app.Deps{Catalog: catalogtest.NewCatalog(), Auth: authtest.NewAuth()}
	for _, env := range []map[string]string{
		{"MOVIES_GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8", "MOVIES_GATEWAY_TRUSTED_PROXY_HOPS": "1"},
		{"MOVIES_GATEWAY_TRUSTED_PROXY_HOPS": "-1"},
	} {
		cfg := defaults(t)
		if err := config.LoadFrom(&cfg, env); err != nil {
			t.Fatal(err)
		}
		a, err := app.New(context.Background(), cfg, logging.Discard(), server.NewRegistry(), nil, deps)
		if err == nil {
			_ = a.Close()
			t.Fatalf("%v: the gateway started", env)
		}
		if !strings.Contains(err.Error(), "MOVIES_GATEWAY_TRUSTED_PROXY_HOPS") {
			t.Errorf("%v: %v does not name the variable", env, err)
		}
	}
	cfg := defaults(t)
	if err := config.LoadFrom(&cfg, map[string]string{"MOVIES_GATEWAY_TRUSTED_PROXY_HOPS": "2"}); err != nil {
		t.Fatal(err)
	}
	if cfg.TrustedProxyHops != 2 {
		t.Fatalf("hops %d", cfg.TrustedProxyHops)
	}
	newApp(t, cfg, deps)
}

// blockingCatalog holds every fetch of movies 1 and 3 until release is
// closed.
type blockingCatalog struct {
	*catalogtest.Catalog
	started chan struct{}
	release chan struct{}
}

func (c blockingCatalog) Get(ctx context.Context, id int64) (contract.Movie, error) {
	if id == 1 || id == 3 {
		c.started <- struct{}{}
		<-c.release
	}
	return c.Catalog.Get(ctx, id)
}

// TestOneClientCannotTakeEveryInFlightSlot has one client fill its share
// of the catalog's calls in flight: its next call is a 429 with
// Retry-After, counted as over_share, while another client is served. With
// the answer cache on, the client is named only on a miss, where the call
// is made.
func TestOneClientCannotTakeEveryInFlightSlot(t *testing.T) {
	for name, ttl := range map[string]time.Duration{"uncached": 0, "cached": time.Minute} {
		t.Run(name, func(t *testing.T) { testOneClientShare(t, ttl) })
	}
}

func testOneClientShare(t *testing.T, cacheTTL time.Duration) {
	cfg := defaults(t)
	cfg.RateLimit, cfg.CacheTTL = false, cacheTTL
	cfg.UpstreamMaxInFlight, cfg.UpstreamClientShare = 4, 2
	cat := blockingCatalog{catalogtest.NewCatalog(catalogtest.Seed(3)...), make(chan struct{}, 2), make(chan struct{})}
	reg := server.NewRegistry()
	a, err := app.New(context.Background(), cfg, logging.Discard(), reg, nil, app.Deps{Catalog: cat, Auth: authtest.NewAuth()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	get := func(peer, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = peer + ":1234"
		w := httptest.NewRecorder()
		a.Handler.ServeHTTP(w, r)
		return w
	}
	held := make(chan int, 2)
	for _, path := range []string{"/api/movie/1/", "/api/movie/3/"} { // two answers, two calls
		go func() { held <- get("192.0.2.1", path).Code }()
	}
	for range 2 {
		<-cat.started
	}
	w := get("192.0.2.1", "/api/movie/2/")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" ||
		!strings.Contains(detail(t, w), "in flight") {
		t.Fatalf("the hog past its share: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := get("192.0.2.2", "/api/movie/2/"); w.Code != http.StatusOK {
		t.Fatalf("another client while the hog holds its share: %d %s", w.Code, w.Body)
	}
	if got := promtest.Of(t, reg, "gateway_upstream_calls_total", map[string]string{"upstream": "catalog-read", "result": "over_share"}).Value; got != 1 {
		t.Fatalf("over_share calls counted %v, want 1", got)
	}
	close(cat.release)
	for range 2 {
		if code := <-held; code != http.StatusOK {
			t.Fatalf("a held call: %d", code)
		}
	}
	if w := get("192.0.2.1", "/api/movie/2/"); w.Code != http.StatusOK {
		t.Fatalf("the hog once its calls finished: %d", w.Code)
	}
}

// TestClientShareConfig: auto by default, a number, 0 or less off, and
// anything else refused naming the variable.
func TestClientShareConfig(t *testing.T) {
	for in, want := range map[string]upstream.Share{"": 0, "auto": 0, "8": 8, "0": upstream.ShareOff, "-3": upstream.ShareOff} {
		var c app.Config
		vars := map[string]string{}
		if in != "" {
			vars["MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE"] = in
		}
		if err := config.LoadFrom(&c, vars); err != nil || c.UpstreamClientShare != want {
			t.Errorf("%q: %v %v, want %v", in, c.UpstreamClientShare, err, want)
		}
	}
	var c app.Config
	err := config.LoadFrom(&c, map[string]string{"MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE": "half"})
	if err == nil || !strings.Contains(err.Error(), "MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE") {
		t.Fatalf("a bad share: %v", err)
	}
}
