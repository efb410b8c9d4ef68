package ratelimit_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/gateway/ratelimit"
	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/redisx/redistest"
)

func rule(t *testing.T, name, spec string) ratelimit.Rule {
	t.Helper()
	r := ratelimit.Rule{Name: name}
	if err := r.UnmarshalText([]byte(spec)); err != nil {
		t.Fatal(err)
	}
	return r
}

func policy(t *testing.T) ratelimit.Policy {
	return ratelimit.Policy{
		Anonymous:  rule(t, "anonymous", "3/1m"),
		User:       rule(t, "user", "5/1m"),
		Login:      rule(t, "login", "1/1m"),
		UserAdmin:  rule(t, "user-admin", "1/1m"),
		ClientAddr: func(r *http.Request) string { host, _, _ := net.SplitHostPort(r.RemoteAddr); return host },
		Token: func(r *http.Request) string {
			return strings.TrimPrefix(r.Header.Get("Authorization"), "Token ")
		},
	}
}

type server struct {
	t *testing.T
	h http.Handler
}

func newServer(t *testing.T, l *ratelimit.Limiter) server {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return server{t, l.Middleware(policy(t))(ok)}
}

func (s server) do(method, path, peer, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = peer + ":40000"
	if token != "" {
		r.Header.Set("Authorization", "Token "+token)
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

func TestLimitsPerClientPerTokenAndLoginsApart(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newServer(t, ratelimit.New(ratelimit.Settings{}, reg))
	for i := range 3 {
		w := s.do("GET", "/api/movies/", "192.0.2.1", "")
		if w.Code != http.StatusNoContent {
			t.Fatalf("request %d: %d", i, w.Code)
		}
		if got := w.Header().Get("RateLimit-Policy"); got != `"anonymous";q=3;w=60` {
			t.Errorf("RateLimit-Policy %q", got)
		}
	}
	w := s.do("GET", "/api/movies/", "192.0.2.1", "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" ||
		!strings.HasPrefix(w.Header().Get("RateLimit"), `"anonymous";r=0;t=`) {
		t.Fatalf("4th anonymous request: %d %v", w.Code, w.Header())
	}
	if !strings.Contains(w.Body.String(), "throttled") {
		t.Errorf("429 body %q", w.Body.String())
	}
	// Another client, and a token holder on the same address, are apart.
	if w := s.do("GET", "/api/movies/", "192.0.2.2", ""); w.Code != http.StatusNoContent {
		t.Errorf("another client: %d", w.Code)
	}
	if w := s.do("GET", "/api/movies/", "192.0.2.1", "t1"); w.Code != http.StatusNoContent ||
		!strings.HasPrefix(w.Header().Get("RateLimit"), `"user";r=4;`) {
		t.Errorf("a token holder: %d %v", w.Code, w.Header())
	}
	// Logins are stricter, and count apart from reads.
	if w := s.do("POST", "/api/auth/token/", "192.0.2.3", ""); w.Code != http.StatusNoContent {
		t.Errorf("first login: %d", w.Code)
	}
	if w := s.do("POST", "/api/auth/token", "192.0.2.3", ""); w.Code != http.StatusTooManyRequests {
		t.Errorf("second login within the minute: %d", w.Code)
	}
	if w := s.do("GET", "/api/movies/", "192.0.2.3", ""); w.Code != http.StatusNoContent {
		t.Errorf("a read after the refused login: %d", w.Code)
	}
	want := `
# HELP gateway_rate_limited_total Requests refused with 429 by a rate limit, by policy.
# TYPE gateway_rate_limited_total counter
gateway_rate_limited_total{policy="anonymous"} 1
gateway_rate_limited_total{policy="login"} 1
gateway_rate_limited_total{policy="user"} 0
gateway_rate_limited_total{policy="user-admin"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gateway_rate_limited_total"); err != nil {
		t.Error(err)
	}
}

func sharedLimiter(t *testing.T, addr, ns string, reg prometheus.Registerer) *ratelimit.Limiter {
	c := redisx.New(redisx.Settings{Addr: addr, Budget: 200 * time.Millisecond, BreakerOpen: time.Second, Name: "test"}, redisx.Hooks{})
	t.Cleanup(func() { c.Close() })
	return ratelimit.New(ratelimit.Settings{Redis: c, Namespace: ns}, reg)
}

// TestReplicasShareTheirLimitsThroughRedis: two gateways on one real Redis
// count one client's requests together.
func TestReplicasShareTheirLimitsThroughRedis(t *testing.T) {
	addr, ns := redistest.RedisAddr(t), redistest.Namespace()
	a := newServer(t, sharedLimiter(t, addr, ns, prometheus.NewRegistry()))
	b := newServer(t, sharedLimiter(t, addr, ns, prometheus.NewRegistry()))
	for i, s := range []server{a, b, a} {
		if w := s.do("GET", "/api/movies/", "192.0.2.1", ""); w.Code != http.StatusNoContent {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	if w := b.do("GET", "/api/movies/", "192.0.2.1", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("4th request, on the other replica: %d", w.Code)
	}
}

// TestRedisDownFallsBackToLocalLimits: with Redis unreachable (a closed
// port) requests are still limited, by the local limiter.
func TestRedisDownFallsBackToLocalLimits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	reg := prometheus.NewRegistry()
	s := newServer(t, sharedLimiter(t, closed, "down", reg))
	for i := range 3 {
		if w := s.do("GET", "/api/movies/", "192.0.2.1", ""); w.Code != http.StatusNoContent {
			t.Fatalf("request %d with Redis down: %d", i, w.Code)
		}
	}
	if w := s.do("GET", "/api/movies/", "192.0.2.1", ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("4th request with Redis down: %d", w.Code)
	}
	want := `
# HELP gateway_rate_limit_local_decisions_total Rate-limit decisions made locally because the shared store (Redis) failed or its breaker was open.
# TYPE gateway_rate_limit_local_decisions_total counter
gateway_rate_limit_local_decisions_total 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gateway_rate_limit_local_decisions_total"); err != nil {
		t.Error(err)
	}
}

func TestRuleText(t *testing.T) {
	for spec, want := range map[string]string{"100/1s": "100/1s,burst=100", "10/1m,burst=20": "10/1m0s,burst=20"} {
		if got := rule(t, "x", spec).String(); got != want {
			t.Errorf("%s: %s, want %s", spec, got, want)
		}
	}
	for _, bad := range []string{"", "100", "x/1s", "10/forever", "0/1s", "10/1s,burst=0"} {
		var r ratelimit.Rule
		if err := r.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
