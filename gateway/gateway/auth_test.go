package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/auth-svc/auth/authtest"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/gateway/clientip"
	"github.com/moviesplatform/gateway/gateway"
)

func TestLoginWithJSONOrForm(t *testing.T) {
	f := newFixture(t, 0)
	for _, r := range []req{
		{method: http.MethodPost, path: "/api/auth/token/", body: `{"username": "alice", "password": "alice-pass"}`},
		{method: http.MethodPost, path: "/api/auth/token", body: url.Values{"username": {"alice"}, "password": {"alice-pass"}}.Encode(),
			contentType: "application/x-www-form-urlencoded"},
	} {
		w := f.do(t, r)
		wantStatus(t, w, http.StatusOK)
		if got := decode[contract.TokenResponse](t, w); got.Token != authtest.UserToken {
			t.Fatalf("token %+v", got)
		}
		if cc, pragma := w.Header().Get("Cache-Control"), w.Header().Get("Pragma"); cc != "no-store" || pragma != "no-cache" {
			t.Fatalf("a token answer with Cache-Control %q, Pragma %q: a cache may keep it", cc, pragma)
		}
	}

	w := f.do(t, req{method: http.MethodPost, path: "/api/auth/token/", body: `{"username": "alice", "password": "nope"}`})
	wantStatus(t, w, http.StatusBadRequest)
	if got := decode[map[string][]string](t, w)["non_field_errors"]; len(got) != 1 || got[0] != "Unable to log in with provided credentials." {
		t.Fatalf("bad login body %s", w.Body.String())
	}
	w = f.do(t, req{method: http.MethodPost, path: "/api/auth/token/", body: "username=alice", contentType: "application/x-www-form-urlencoded"})
	wantStatus(t, w, http.StatusBadRequest)
	if got := decode[map[string][]string](t, w)["password"]; len(got) != 1 || got[0] != apierr.MsgRequired {
		t.Fatalf("missing password body %s", w.Body.String())
	}
	wantStatus(t, f.do(t, req{method: http.MethodPost, path: "/api/auth/token/", body: "x", contentType: "text/plain"}), http.StatusUnsupportedMediaType)
	wantStatus(t, f.do(t, req{method: http.MethodPost, path: "/api/auth/token/", body: "username=" + strings.Repeat("a", 70<<10),
		contentType: "application/x-www-form-urlencoded"}), http.StatusRequestEntityTooLarge)
}

// A client that writes its whole body before reading (no Expect:
// 100-continue) reads its 413 instead of a reset connection, whichever route
// and whoever it is.
func TestOversizedBodyIsRefusedOverARealConnection(t *testing.T) {
	f := newFixture(t, 0)
	srv := httptest.NewServer(f.gw)
	t.Cleanup(srv.Close)
	for _, path := range []string{"/api/auth/token/", "/api/movies/"} {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(strings.Repeat(" ", 10<<20)))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close || !strings.Contains(string(b), apierr.MsgTooLarge) {
			t.Fatalf("%s: status %d, close %v, body %q", path, resp.StatusCode, resp.Close, b)
		}
	}
	if f.auth.LoginClient != "" || len(f.catalog.All()) != 0 {
		t.Fatal("an oversized request reached a service")
	}
}

func TestLoginNamesTheEndClientForThrottling(t *testing.T) {
	body := `{"username": "alice", "password": "x"}`
	behindIngress, err := clientip.NewResolver([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	trustsNone := newFixture(t, 0)
	trustsIngress := newFixture(t, 0, func(o *gateway.Options) { o.ClientAddr = behindIngress.ClientAddr })
	cases := []struct {
		f                       *fixture
		remote, forwarded, want string
	}{
		{trustsNone, "203.0.113.9:5555", "", "203.0.113.9"},
		// No proxy is trusted by default: a forged header is ignored,
		// from a private or loopback peer too.
		{trustsNone, "10.0.0.5:5555", "198.51.100.1, 198.51.100.2", "10.0.0.5"},
		{trustsNone, "127.0.0.1:5555", "198.51.100.1", "127.0.0.1"},
		{trustsIngress, "203.0.113.9:5555", "10.1.1.1", "203.0.113.9"}, // an untrusted peer's own claim
		{trustsIngress, "10.0.0.5:5555", "198.51.100.1, 198.51.100.2", "198.51.100.2"},
		{trustsIngress, "10.0.0.5:5555", "garbage", "10.0.0.5"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodPost, "/api/auth/token/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = c.remote
		if c.forwarded != "" {
			r.Header.Set("X-Forwarded-For", c.forwarded)
		}
		c.f.gw.ServeHTTP(httptest.NewRecorder(), r)
		if c.f.auth.LoginClient != c.want {
			t.Errorf("remote %s, forwarded %q: client %q, want %q", c.remote, c.forwarded, c.f.auth.LoginClient, c.want)
		}
	}
}

func TestMe(t *testing.T) {
	f := newFixture(t, 0)
	w := f.do(t, req{method: http.MethodGet, path: "/api/auth/me/", token: authtest.AdminToken})
	wantStatus(t, w, http.StatusOK)
	if got := decode[map[string]any](t, w); got["username"] != "admin" || got["is_admin"] != true || len(got) != 2 {
		t.Fatalf("me %v", got)
	}
	wantDetail(t, f.do(t, req{method: http.MethodGet, path: "/api/auth/me"}), http.StatusUnauthorized, apierr.MsgNotProvided)
	wantDetail(t, f.do(t, req{method: http.MethodGet, path: "/api/auth/me/", token: "bogus"}), http.StatusUnauthorized, apierr.MsgInvalidToken)
}

func TestMalformedAuthorizationHeaders(t *testing.T) {
	f := newFixture(t, 1)
	for h, status := range map[string]int{
		"Token":                        http.StatusUnauthorized,
		"Bearer   ":                    http.StatusUnauthorized,
		"Token a b":                    http.StatusUnauthorized,
		"token " + authtest.AdminToken: http.StatusOK,
		"Basic YWxpY2U6cHc=":           http.StatusOK, // not ours: anonymous, as in DRF
	} {
		w := f.do(t, req{method: http.MethodGet, path: "/api/movies/", header: http.Header{"Authorization": {h}}})
		if w.Code != status {
			t.Errorf("Authorization %q: %d, want %d (%s)", h, w.Code, status, w.Body.String())
		}
		if status == http.StatusUnauthorized && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Token") {
			t.Errorf("Authorization %q: WWW-Authenticate %q", h, w.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestAnInvalidTokenOnAReadIs401(t *testing.T) {
	f := newFixture(t, 1)
	wantDetail(t, f.do(t, req{method: http.MethodGet, path: "/api/movie/1/", token: "bogus"}), http.StatusUnauthorized, apierr.MsgInvalidToken)
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/movie/1/", token: authtest.UserToken}), http.StatusOK)
}

func TestTokenChecksAreCachedAndLogoutDropsThemAtOnce(t *testing.T) {
	f := newFixture(t, 1) // cache TTL: a minute
	for range 5 {
		wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/auth/me/", token: authtest.UserToken}), http.StatusOK)
	}
	if n := f.auth.Introspections.Load(); n != 1 {
		t.Fatalf("%d introspections for 5 requests with one token", n)
	}
	wantStatus(t, f.do(t, req{method: http.MethodDelete, path: "/api/auth/token/", token: authtest.UserToken}), http.StatusNoContent)
	wantDetail(t, f.do(t, req{method: http.MethodGet, path: "/api/auth/me/", token: authtest.UserToken}), http.StatusUnauthorized, apierr.MsgInvalidToken)
	wantDetail(t, f.do(t, req{method: http.MethodDelete, path: "/api/auth/token/"}), http.StatusUnauthorized, apierr.MsgNotProvided)
}

func TestCreateUser(t *testing.T) {
	f := newFixture(t, 0)
	body := `{"username": "bob", "password": "long-enough-1", "is_admin": false}`
	w := f.do(t, req{method: http.MethodPost, path: "/api/auth/users/", token: authtest.AdminToken, body: body})
	wantStatus(t, w, http.StatusCreated)
	if u := decode[contract.User](t, w); u.Username != "bob" || u.IsAdmin || u.ID == 0 {
		t.Fatalf("created %+v", u)
	}
	w = f.do(t, req{method: http.MethodPost, path: "/api/auth/users", token: authtest.AdminToken, body: body})
	wantStatus(t, w, http.StatusBadRequest)
	wantStatus(t, f.do(t, req{method: http.MethodPost, path: "/api/auth/users/", token: authtest.UserToken, body: body}), http.StatusForbidden)
}

// downAuth fails every call as an unreachable auth-svc does behind its guard.
type downAuth struct{ *authtest.Auth }

func (downAuth) Introspect(context.Context, string) (contract.Identity, error) {
	return contract.Identity{}, apierr.ErrUnavailable
}

func TestAuthDownDegradesReadsAndRefusesWrites(t *testing.T) {
	f := newFixture(t, 2, func(o *gateway.Options) {
		o.Auth = downAuth{authtest.NewAuth()}
		o.Tokens = nil
	})
	w := f.do(t, req{method: http.MethodGet, path: "/api/movie/1/", token: authtest.AdminToken})
	wantStatus(t, w, http.StatusOK)
	if w.Header().Get(contract.HeaderDegraded) != "auth" {
		t.Fatalf("degraded read not flagged: %v", w.Header())
	}
	wantDetail(t, f.do(t, req{method: http.MethodDelete, path: "/api/movie/1/", token: authtest.AdminToken}),
		http.StatusServiceUnavailable, apierr.MsgUnavailable)
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/auth/me/", token: authtest.AdminToken}), http.StatusServiceUnavailable)
	// Anonymous reads do not need auth-svc at all.
	w = f.do(t, req{method: http.MethodGet, path: "/api/movies/"})
	wantStatus(t, w, http.StatusOK)
	if w.Header().Get(contract.HeaderDegraded) != "" {
		t.Fatal("anonymous read flagged degraded")
	}
}

func TestCORSForReads(t *testing.T) {
	f := newFixture(t, 1)
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/", header: http.Header{"Origin": {"https://app.example"}}})
	wantStatus(t, w, http.StatusOK)
	if w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("no CORS grant on GET: %v", w.Header())
	}
	exposed := w.Header().Get("Access-Control-Expose-Headers")
	for _, h := range []string{"Link", "X-Total-Count", "X-Request-Id"} {
		if !strings.Contains(exposed, h) {
			t.Errorf("%s not exposed: %q", h, exposed)
		}
	}

	w = f.do(t, req{method: http.MethodOptions, path: "/api/movie/1/", header: http.Header{
		"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"GET"}, "Access-Control-Request-Headers": {"authorization"}}})
	wantStatus(t, w, http.StatusNoContent)
	if w.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight %v", w.Header())
	}

	w = f.do(t, req{method: http.MethodOptions, path: "/api/movies/", header: http.Header{
		"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}}})
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("writes granted to browsers: %v", w.Header())
	}
	w = f.do(t, req{method: http.MethodGet, path: "/api/movies/"})
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS headers without an Origin")
	}
}

func TestRequestIDs(t *testing.T) {
	f := newFixture(t, 1)
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/", header: http.Header{"X-Request-Id": {"abc-123"}}})
	if w.Header().Get("X-Request-Id") != "abc-123" {
		t.Fatalf("request id not kept: %v", w.Header())
	}
	if id := f.do(t, req{method: http.MethodGet, path: "/nope"}).Header().Get("X-Request-Id"); len(id) < 16 {
		t.Fatalf("no request id made: %q", id)
	}
}

type panicking struct{ *catalogtest.Catalog }

func (panicking) Get(context.Context, int64) (contract.Movie, error) { panic("boom") }

func TestPanicsAre500InDRFShape(t *testing.T) {
	f := newFixture(t, 1, func(o *gateway.Options) { o.Catalog = panicking{catalogtest.NewCatalog()} })
	wantDetail(t, f.do(t, req{method: http.MethodGet, path: "/api/movie/1/"}), http.StatusInternalServerError, apierr.MsgServerError)
}
