package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/server"
)

// A request served inside a sampled trace leaves its trace id as an
// exemplar on the route's latency, and /metrics hands it to a scraper that
// asks for OpenMetrics (Prometheus with exemplar storage does).
func TestMetricsServeRouteExemplarsAsOpenMetrics(t *testing.T) {
	reg := server.NewRegistry()
	m := httpx.NewHTTPMetrics(reg)
	h := m.Route("/api/movies/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	req := httptest.NewRequest(http.MethodGet, "/api/movies/", nil)
	req = req.WithContext(trace.ContextWithSpanContext(req.Context(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})))
	h.ServeHTTP(httptest.NewRecorder(), req)

	admin := httptest.NewServer(server.AdminHandler(server.AdminOptions{Gatherer: server.ProcessGatherer(map[string]prometheus.Gatherer{"catalog": reg})}))
	defer admin.Close()
	scrape, _ := http.NewRequest(http.MethodGet, admin.URL+"/metrics", nil)
	scrape.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	resp, err := http.DefaultClient.Do(scrape)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("content type %q", ct)
	}
	if !strings.Contains(string(body), `# {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"}`) {
		t.Errorf("no exemplar with the trace id in:\n%s", grepLines(string(body), "http_server_request_duration_seconds_bucket"))
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
