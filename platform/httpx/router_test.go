package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/telemetry"
)

func TestServerSpansAreNamedAfterTheRoute(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tr := telemetry.New(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)), nil)
	rt := httpx.NewRouter(nil)
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	rt.Handle(http.MethodGet, "/api/movie/{id}/", ok)
	rt.Handle(http.MethodPatch, "/api/movie/{id}/", ok)
	rt.Handle(http.MethodGet, "/api/movies/", ok)
	// As the server mounts it, at "/" beside the operational endpoints.
	mounted := func(h http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/", h)
		return mux
	}
	// With a middleware between the tracing handler and the router that
	// copies the request (as WithRequestID does), and without.
	for _, h := range []http.Handler{
		mounted(tr.Handler(httpx.Chain(rt, httpx.WithRequestID), telemetry.Internal)),
		mounted(tr.Handler(rt, telemetry.Internal)),
	} {
		for _, c := range []struct{ method, path, name, route string }{
			{http.MethodGet, "/api/movie/42/", "GET /api/movie/{id}/", "/api/movie/{id}/"},
			{http.MethodPatch, "/api/movie/42", "PATCH /api/movie/{id}/", "/api/movie/{id}/"},
			{http.MethodHead, "/api/movies/", "HEAD /api/movies/", "/api/movies/"},
			{http.MethodGet, "/nowhere", "GET", ""},
		} {
			rec.Reset()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, c.path, nil))
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%s %s: %d spans", c.method, c.path, len(spans))
			}
			route := ""
			for _, a := range spans[0].Attributes() {
				if a.Key == "http.route" {
					route = a.Value.AsString()
				}
			}
			if spans[0].Name() != c.name || route != c.route {
				t.Errorf("%s %s: span %q http.route %q, want %q %q", c.method, c.path, spans[0].Name(), route, c.name, c.route)
			}
		}
	}
}
