package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/telemetry"

	"github.com/moviesplatform/gateway/gateway"
	"github.com/moviesplatform/gateway/respcache"
)

// BenchmarkDetailGETTracing is the cost of tracing on a cached anonymous
// GET /api/movie/{id}/ through the whole gateway handler, as runner.Serve
// wraps it: "off" is tracing off (no wrapper at all), "on" samples every
// request (the worst case) and "sampled10" one in ten, the chart's default
// (parentbased_traceidratio 0.1: the other nine still make non-recording
// spans and propagate), through the SDK's batch processor into an exporter
// that drops the spans, so the figure is the process's own cost and not a
// collector's. "uncached" is the same with the answer cache off.
//
//	go test ./gateway -run '^$' -bench DetailGETTracing -benchtime 20000x -count 5
func BenchmarkDetailGETTracing(b *testing.B) {
	metrics := func(o *gateway.Options) { o.Metrics = httpx.NewHTTPMetrics(prometheus.NewRegistry()) }
	cache := func(o *gateway.Options) {
		o.Cache = respcache.New(respcache.Settings{TTL: time.Hour, MaxBytes: 1 << 20}, nil)
	}
	provider := func(s sdktrace.Sampler) *telemetry.Tracing {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s), sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		b.Cleanup(func() { _ = tp.Shutdown(b.Context()) })
		return telemetry.New(tp, nil)
	}
	on := provider(sdktrace.AlwaysSample())
	sampled10 := provider(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1)))
	for _, fx := range []struct {
		name  string
		tweak []func(*gateway.Options)
	}{{"cached", []func(*gateway.Options){metrics, cache}}, {"uncached", []func(*gateway.Options){metrics}}} {
		for _, tr := range []struct {
			name    string
			tracing *telemetry.Tracing
		}{{"off", telemetry.Off()}, {"on", on}, {"sampled10", sampled10}} {
			b.Run(fx.name+"/"+tr.name, func(b *testing.B) {
				h := tr.tracing.Handler(newFixture(b, 10, fx.tweak...).gw, telemetry.Public)
				r := httptest.NewRequest(http.MethodGet, "/api/movie/5/", nil)
				measure(b, func() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d", w.Code)
					}
				})
			})
		}
	}
}
