package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/auth-svc/auth/authtest"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/gateway/authn"
	"github.com/moviesplatform/gateway/clientip"
	"github.com/moviesplatform/gateway/cursorsig"
	"github.com/moviesplatform/gateway/gateway"
	"github.com/moviesplatform/search-svc/search/searchtest"
)

var testCursors, _ = cursorsig.New([]byte("the test gateways' cursor key, 32+ bytes"))

type fixture struct {
	gw      *gateway.Gateway
	catalog *catalogtest.Catalog
	auth    *authtest.Auth
}

func newFixture(t testing.TB, movies int, tweak ...func(*gateway.Options)) *fixture {
	t.Helper()
	f := &fixture{catalog: catalogtest.NewCatalog(catalogtest.Seed(movies)...), auth: authtest.NewAuth()}
	o := gateway.Options{
		Catalog: f.catalog,
		Auth:    f.auth,
		Tokens:  authn.NewCache(f.auth, authn.CacheSettings{TTL: time.Minute}, nil),
		Cursors: testCursors, // every fixture's gateway is a replica of one deployment
	}
	for _, fn := range tweak {
		fn(&o)
	}
	f.gw = gateway.New(o)
	return f
}

// behindProxy trusts the test requests' peer (httptest's 192.0.2.1) as a
// proxy, so their X-Forwarded-Proto and -Host are believed.
func behindProxy(o *gateway.Options) {
	proxies, _ := clientip.NewResolver([]string{"192.0.2.1"})
	o.TrustsProxy = proxies.FromTrustedProxy
}

// withSearch puts search-svc (its service and HTTP handler over a fake
// engine that reads the fixture's catalog) behind the gateway, over HTTP.
func withSearch(t testing.TB) func(*gateway.Options) {
	return func(o *gateway.Options) {
		o.Search = searchtest.Client(t, &searchtest.Engine{Catalog: o.Catalog.(*catalogtest.Catalog)})
	}
}

type req struct {
	method, path, body string
	contentType        string
	token              string
	header             http.Header
}

func (f *fixture) do(t testing.TB, r req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Token "+r.token)
	}
	for k, v := range r.header {
		hr.Header[k] = v
	}
	w := httptest.NewRecorder()
	f.gw.ServeHTTP(w, hr)
	return w
}

func decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return v
}

func wantStatus(t testing.TB, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body.String())
	}
}

func wantDetail(t testing.TB, w *httptest.ResponseRecorder, status int, detail string) {
	t.Helper()
	wantStatus(t, w, status)
	if got := decode[map[string]any](t, w)["detail"]; got != detail {
		t.Fatalf("detail %q, want %q", got, detail)
	}
}
