package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/gateway/clientip"
	"github.com/moviesplatform/gateway/gateway"
	"github.com/moviesplatform/gateway/ratelimit"
)

// A cursor the gateway did not sign is the contract's 400 and reaches no
// service: the `?search=x&cursor=c.` that forced the catalog's SQL scan, a
// hand-made or altered cursor, one signed for another route or by another
// deployment's key. Cursors the gateway hands out, in Link headers and in
// the search answer's body, come back and work.
func TestForgedCursorsAreRefused(t *testing.T) {
	f, _ := searchFixture(t, 30)
	w := f.do(t, get("/api/movies/?page_size=4"))
	wantStatus(t, w, http.StatusOK)
	listNext := links(t, w.Header().Get("Link"))["next"]
	u, _ := url.Parse(listNext)
	signed := u.Query().Get(contract.ParamCursor)
	inner := signed[:strings.LastIndexByte(signed, '.')]

	w = f.do(t, get("/api/search/?search=star&page_size=3"))
	wantStatus(t, w, http.StatusOK)
	res := decode[contract.SearchResult](t, w)
	if res.Next == "" || !strings.Contains(w.Header().Get("Link"), url.QueryEscape(res.Next)) {
		t.Fatalf("search answer's next %q, Link %q", res.Next, w.Header().Get("Link"))
	}
	searchInner := res.Next[:strings.LastIndexByte(res.Next, '.')]

	reads := f.catalog.Reads.Load()
	for name, path := range map[string]string{
		"the SQL-scan trick":         "/api/movies/?search=x&cursor=c.",
		"a tagged unsigned cursor":   "/api/movies/?search=x&cursor=c." + inner,
		"an unsigned list cursor":    "/api/movies/?page_size=4&cursor=" + inner,
		"an altered signature":       "/api/movies/?page_size=4&cursor=" + inner + ".AAAAAAAAAAAAAAAAAAAAAA",
		"a search cursor on a list":  "/api/movies/?page_size=4&cursor=" + url.QueryEscape(res.Next),
		"an unsigned search cursor":  "/api/search/?search=star&cursor=" + searchInner,
		"a list cursor on search":    "/api/search/?search=star&cursor=" + url.QueryEscape(signed),
		"another deployment's":       "/api/movies/?page_size=4&cursor=" + url.QueryEscape(otherKeySign(t, inner)),
		"an overlong signed garbage": "/api/movies/?cursor=" + strings.Repeat("a", 2000) + ".x",
	} {
		w := f.do(t, get(path))
		wantStatus(t, w, http.StatusBadRequest)
		if got := decode[map[string][]string](t, w)[contract.ParamCursor]; len(got) != 1 || got[0] != "Invalid cursor." {
			t.Errorf("%s: body %s", name, w.Body)
		}
	}
	if got := f.catalog.Reads.Load() - reads; got != 0 {
		t.Fatalf("forged cursors made %d catalog reads", got)
	}
	for _, path := range []string{u.RequestURI(), "/api/search/?search=star&page_size=3&cursor=" + url.QueryEscape(res.Next)} {
		wantStatus(t, f.do(t, get(path)), http.StatusOK)
	}
}

func otherKeySign(t *testing.T, c string) string {
	t.Helper()
	other := newFixture(t, 30, func(o *gateway.Options) { o.Cursors = nil }) // a generated key
	w := other.do(t, get("/api/movies/?page_size=4"))
	l, _ := url.Parse(links(t, w.Header().Get("Link"))["next"])
	return l.Query().Get(contract.ParamCursor)
}

// With a public URL configured, Link and Location are built on it, path
// prefix included, whatever Host or forwarded headers a request carries.
func TestLinksUseThePublicURLWhenSet(t *testing.T) {
	public, err := gateway.ParsePublicURL("https://movies.example/v1/")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, 5, behindProxy, func(o *gateway.Options) { o.PublicURL = public })
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/?page_size=2",
		header: http.Header{"X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"http"}}})
	wantStatus(t, w, http.StatusOK)
	if next := links(t, w.Header().Get("Link"))["next"]; !strings.HasPrefix(next, "https://movies.example/v1/api/movies/?") {
		t.Fatalf("next %q", next)
	}
	for _, bad := range []string{"movies.example", "ftp://movies.example", "https://", "https://movies.example/?x=1", "https://u:p@movies.example"} {
		if _, err := gateway.ParsePublicURL(bad); err == nil {
			t.Errorf("%q accepted as a public URL", bad)
		}
	}
}

// Without a public URL, X-Forwarded-Host and -Proto are believed only from a
// trusted proxy; from anyone else the request's own Host is used.
func TestForwardedHostIsIgnoredFromAnUntrustedPeer(t *testing.T) {
	header := http.Header{"X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"https"}}
	for name, tc := range map[string]struct {
		tweak []func(*gateway.Options)
		want  string
	}{
		"untrusted peer": {nil, "http://example.com/api/movies/?"},
		"trusted proxy":  {[]func(*gateway.Options){behindProxy}, "https://evil.example/api/movies/?"},
	} {
		f := newFixture(t, 5, tc.tweak...)
		w := f.do(t, req{method: http.MethodGet, path: "/api/movies/?page_size=2", header: header})
		wantStatus(t, w, http.StatusOK)
		if next := links(t, w.Header().Get("Link"))["next"]; !strings.HasPrefix(next, tc.want) {
			t.Errorf("%s: next %q, want %s…", name, next, tc.want)
		}
	}
}

// Behind one proxy (MOVIES_GATEWAY_TRUSTED_PROXY_HOPS=1), a client that
// writes its own X-Forwarded-For entries stays itself: the proxy appends the
// real address, and only that entry is read. Its rate-limit bucket and the
// client address login throttling sees are the same, forged entries or not;
// another client behind the same proxy has a bucket of its own.
func TestForgedForwardedForBehindOneHop(t *testing.T) {
	oneHop, err := clientip.NewHopResolver(1)
	if err != nil {
		t.Fatal(err)
	}
	once := ratelimit.Rule{Name: "anonymous", Rate: 1, Period: time.Hour, Burst: 1}
	f := newFixture(t, 5, func(o *gateway.Options) {
		o.ClientAddr = oneHop.ClientAddr
		o.RateLimit = ratelimit.New(ratelimit.Settings{}, prometheus.NewRegistry()).Middleware(ratelimit.Policy{
			Anonymous: once, User: once, Login: once, UserAdmin: once,
			ClientAddr: oneHop.ClientAddr,
			Token:      func(*http.Request) string { return "" },
		})
	})
	fromProxy := func(method, path, body, forwarded string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.RemoteAddr = "10.0.0.5:5555" // the proxy
		r.Header.Set("X-Forwarded-For", forwarded)
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		f.gw.ServeHTTP(w, r)
		return w
	}
	wantStatus(t, fromProxy(http.MethodGet, "/api/movie/1/", "", "203.0.113.9"), http.StatusOK)
	for _, forged := range []string{"198.51.100.1, 203.0.113.9", "junk, 203.0.113.9", "10.0.0.5, 203.0.113.9"} {
		wantStatus(t, fromProxy(http.MethodGet, "/api/movie/1/", "", forged), http.StatusTooManyRequests)
	}
	wantStatus(t, fromProxy(http.MethodGet, "/api/movie/1/", "", "198.51.100.1"), http.StatusOK)

	w := fromProxy(http.MethodPost, "/api/auth/token/", `{"username": "alice", "password": "x"}`, "192.0.2.99, 203.0.113.7")
	if f.auth.LoginClient != "203.0.113.7" {
		t.Errorf("login throttled as %q (status %d), want the proxy's entry 203.0.113.7", f.auth.LoginClient, w.Code)
	}
}
