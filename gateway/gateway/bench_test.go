package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/httpx"

	"github.com/moviesplatform/gateway/gateway"
	"github.com/moviesplatform/gateway/ratelimit"
	"github.com/moviesplatform/gateway/respcache"
)

// BenchmarkDetailGET compares an anonymous GET /api/movie/{id}/ through the
// whole gateway handler (request id, recover, access log, CORS, router,
// metrics, catalog call, JSON encoding) with a bare net/http
// handler writing the same bytes. Route metrics are on, as in production;
// the access log discards. The catalog is in memory, so the figure is
// the gateway's own cost, without the hop to catalog-svc. "gateway-cached"
// has the anonymous answer cache on (every call but the first a hit).
//
//	go test ./gateway -run '^$' -bench DetailGET -benchtime 20000x
//
// "handler" calls ServeHTTP directly; "http" goes over a loopback keep-alive
// connection, as a client would see it.
func BenchmarkDetailGET(b *testing.B) {
	metrics := func(o *gateway.Options) { o.Metrics = httpx.NewHTTPMetrics(prometheus.NewRegistry()) }
	f := newFixture(b, 10, metrics)
	cached := newFixture(b, 10, metrics, func(o *gateway.Options) {
		o.Cache = respcache.New(respcache.Settings{TTL: time.Hour, MaxBytes: 1 << 20}, nil)
	})
	// The same cached gateway behind the per-client rate limit (in process;
	// the limits high enough never to refuse), to price the limiter.
	limited := newFixture(b, 10, metrics, func(o *gateway.Options) {
		o.Cache = respcache.New(respcache.Settings{TTL: time.Hour, MaxBytes: 1 << 20}, nil)
		unlimited := ratelimit.Rule{Rate: 1 << 30, Period: time.Second, Burst: 1 << 30}
		o.RateLimit = ratelimit.New(ratelimit.Settings{}, prometheus.NewRegistry()).Middleware(ratelimit.Policy{
			Anonymous: unlimited, User: unlimited, Login: unlimited, UserAdmin: unlimited,
			ClientAddr: func(*http.Request) string { return "192.0.2.1" },
			Token:      func(*http.Request) string { return "" },
		})
	})
	body := f.do(b, req{method: http.MethodGet, path: "/api/movie/5/"}).Body.Bytes()
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	handlers := []struct {
		name string
		h    http.Handler
	}{{"gateway", f.gw}, {"gateway-cached", cached.gw}, {"gateway-cached-ratelimited", limited.gw}, {"bare", bare}}

	for _, h := range handlers {
		b.Run("handler/"+h.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/movie/5/", nil)
			measure(b, func() {
				w := httptest.NewRecorder()
				h.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			})
		})
	}
	for _, h := range handlers {
		b.Run("http/"+h.name, func(b *testing.B) {
			srv := httptest.NewServer(h.h)
			defer srv.Close()
			client := srv.Client()
			url := srv.URL + "/api/movie/5/"
			measure(b, func() {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			})
		})
	}
}

// measure runs op b.N times, one at a time, and reports throughput and the
// 99th percentile latency besides the mean.
func measure(b *testing.B, op func()) {
	b.Helper()
	b.ReportAllocs()
	lat := make([]time.Duration, 0, b.N)
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		op()
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	elapsed := time.Since(start)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
