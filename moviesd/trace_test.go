package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/platform/telemetry"
)

// traced is a platform whose spans go to an in-memory recorder.
type traced struct {
	rec     *tracetest.SpanRecorder
	tracing *telemetry.Tracing
	gateway *httptest.Server
}

func newTraced(t *testing.T) *traced {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &traced{rec: rec, tracing: telemetry.New(tp, nil)}
}

// traceSettings are those of a small platform on SQLite files in a temporary
// directory, without search-svc and without importing the reference data.
func traceSettings(t *testing.T) settings {
	dir := t.TempDir()
	keyDir, _ := servicetokentest.Shared(t)
	var cfg settings
	err := config.LoadFrom(&cfg, map[string]string{
		"MOVIES_CATALOG_SERVICE_TRUSTED_KEYS":   keyDir,
		"MOVIES_AUTH_SERVICE_TRUSTED_KEYS":      keyDir,
		"MOVIES_SEARCH_SERVICE_TRUSTED_KEYS":    keyDir,
		"MOVIES_GATEWAY_SERVICE_KEY_FILE":       filepath.Join(keyDir, "gateway.key"),
		"MOVIES_SEARCH_SERVICE_KEY_FILE":        filepath.Join(keyDir, "search.key"),
		"MOVIES_CATALOG_DB_DSN":                 "file:" + filepath.Join(dir, "catalog.db"),
		"MOVIES_CATALOG_IMPORT_IF_EMPTY":        "false",
		"MOVIES_AUTH_DB_DSN":                    "file:" + filepath.Join(dir, "auth.db"),
		"MOVIES_AUTH_BCRYPT_COST":               "4",
		"MOVIES_ADMIN_USERNAME":                 "admin",
		"MOVIES_ADMIN_PASSWORD":                 "secret-admin-password",
		"MOVIES_GATEWAY_SEARCH_URL":             "none",
		"MOVIES_SEARCH_BLEVE_PATH":              filepath.Join(dir, "search"),
		"MOVIES_SEARCH_POLL_INTERVAL":           "20ms",
		"MOVIES_GATEWAY_CACHE_TTL":              "0s",
		"MOVIES_CATALOG_CACHE_ENABLED":          "false",
		"MOVIES_GATEWAY_AUTH_CACHE_TTL":         "0s",
		"MOVIES_GATEWAY_CATALOG_TIMEOUT":        "10s",
		"MOVIES_GATEWAY_AUTH_TIMEOUT":           "10s",
		"MOVIES_GATEWAY_UPSTREAM_MAX_IN_FLIGHT": "16",
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// start builds targets with cfg and serves each module as runner.Serve
// would (its handler traced), returning the servers by module.
func (tr *traced) start(t *testing.T, cfg settings, targets ...string) map[string]*httptest.Server {
	a := &assembly{cfg: cfg, log: logging.Discard(), tracing: tr.tracing}
	if err := a.build(t.Context(), targets); err != nil {
		t.Fatal(err)
	}
	servers := map[string]*httptest.Server{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, c := range a.comps {
		if c.Background != nil {
			go func() { _ = c.Background(ctx) }()
		}
		if c.Handler == nil {
			t.Cleanup(func() {
				if c.Close != nil {
					_ = c.Close()
				}
			})
			continue // called in-process only
		}
		srv := httptest.NewServer(tr.tracing.Handler(c.Handler, c.Edge))
		servers[c.Name] = srv
		t.Cleanup(func() {
			srv.Close()
			if c.Close != nil {
				_ = c.Close()
			}
		})
	}
	if g, ok := servers[targetGateway]; ok {
		tr.gateway = g
	}
	return servers
}

// do sends a request to the gateway and returns the decoded JSON answer.
func (tr *traced) do(t *testing.T, method, path, token, body string, header http.Header) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, tr.gateway.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
	}
	return out
}

// createMovie logs in as the admin and creates a movie through the
// gateway, returning the spans of the create request's trace.
func (tr *traced) createMovie(t *testing.T, header http.Header) []sdktrace.ReadOnlySpan {
	token, _ := tr.do(t, http.MethodPost, "/api/auth/token/", "", `{"username":"admin","password":"secret-admin-password"}`, nil)["token"].(string)
	if token == "" {
		t.Fatal("no token")
	}
	tr.rec.Reset()
	tr.do(t, http.MethodPost, "/api/movies/", token,
		`{"name": "Psycho", "director": "Alfred Hitchcock", "popularity": 87, "imdb_score": 8.7, "genre": [{"name": "Horror"}]}`, header)
	var root sdktrace.ReadOnlySpan
	for _, s := range tr.rec.Ended() {
		if s.SpanKind() == trace.SpanKindServer && s.Name() == "POST /api/movies/" && !s.Parent().IsValid() {
			root = s
		}
	}
	if root == nil {
		t.Fatalf("no root server span POST /api/movies/ among %v", names(tr.rec.Ended()))
	}
	var out []sdktrace.ReadOnlySpan
	for _, s := range tr.rec.Ended() {
		if s.SpanContext().TraceID() == root.SpanContext().TraceID() {
			out = append(out, s)
		}
	}
	return out
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

// checkOneTrace asserts the trace holds every span in want (by name) and
// that every span but the root has its parent in the trace.
func checkOneTrace(t *testing.T, spans []sdktrace.ReadOnlySpan, want ...string) {
	t.Helper()
	ids := map[trace.SpanID]bool{}
	have := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanContext().SpanID()] = true
		have[s.Name()] = true
	}
	roots := 0
	for _, s := range spans {
		switch {
		case !s.Parent().IsValid():
			roots++
		case !ids[s.Parent().SpanID()]:
			t.Errorf("span %q is orphaned (parent %s not in the trace)", s.Name(), s.Parent().SpanID())
		}
	}
	if roots != 1 {
		t.Errorf("%d roots in the trace, want 1", roots)
	}
	for _, n := range want {
		if !have[n] {
			t.Errorf("no span %q in the trace %v", n, names(spans))
		}
	}
}

func TestOneRequestIsOneTraceInOneProcess(t *testing.T) {
	tr := newTraced(t)
	tr.start(t, traceSettings(t), targetCatalog, targetAuth, targetGateway)
	spans := tr.createMovie(t, nil)
	// In one process the hops are the services' endpoint spans.
	checkOneTrace(t, spans, "POST /api/movies/", "auth/Introspect", "catalog/Create", "INSERT")
}

func TestOneRequestIsOneTraceAcrossProcesses(t *testing.T) {
	tr := newTraced(t)
	cfg := traceSettings(t)
	backends := tr.start(t, cfg, targetCatalog, targetAuth)
	cfg.Gateway.CatalogURL = backends[targetCatalog].URL
	cfg.Gateway.AuthURL = backends[targetAuth].URL
	tr.start(t, cfg, targetGateway)
	spans := tr.createMovie(t, nil)
	// Each hop: the gateway's client span, the service's route-named
	// server span, its endpoint span, its SQL.
	checkOneTrace(t, spans, "POST /api/movies/", "POST", "POST /internal/auth/introspect", "auth/Introspect",
		"POST /api/movies/", "catalog/Create", "INSERT", "SELECT")
	servers := 0
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindServer {
			servers++
		}
	}
	if servers != 3 {
		t.Errorf("%d server spans, want gateway, auth and catalog: %v", servers, names(spans))
	}
}

func TestTheGatewayDoesNotContinueATraceFromTheInternet(t *testing.T) {
	const incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, trust := range []bool{false, true} {
		tr := newTraced(t)
		cfg := traceSettings(t)
		cfg.Gateway.TrustIncomingTraces = trust
		tr.start(t, cfg, targetCatalog, targetAuth, targetGateway)
		tr.rec.Reset()
		tr.do(t, http.MethodGet, "/api/movies/", "", "", http.Header{"Traceparent": {incoming}})
		var server sdktrace.ReadOnlySpan
		for _, s := range tr.rec.Ended() {
			if s.SpanKind() == trace.SpanKindServer {
				server = s
			}
		}
		if server == nil {
			t.Fatal("no server span")
		}
		continued := server.SpanContext().TraceID().String() == "0af7651916cd43dd8448eb211c80319c"
		if continued != trust {
			t.Errorf("trust %v: trace %s continued %v", trust, server.SpanContext().TraceID(), continued)
		}
		if !trust {
			links := server.Links()
			if len(links) != 1 || links[0].SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
				t.Errorf("links %v, want one to the incoming trace", links)
			}
		}
	}
}

func TestSearchesAndIndexingAreTraced(t *testing.T) {
	tr := newTraced(t)
	tr.start(t, traceSettings(t), targetCatalog, targetAuth, targetSearch, targetGateway)
	write := tr.createMovie(t, nil)[0].SpanContext().TraceID()
	// The indexer makes the movie findable in a batch of its own trace,
	// linked to the write's.
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := tr.do(t, http.MethodGet, "/api/search/?q=psycho", "", "", nil)
		if hits, _ := res["hits"].([]any); len(hits) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not indexed: %v", res)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The batch's span ends just after the movie became findable.
	var spans []sdktrace.ReadOnlySpan
	var batch, search sdktrace.ReadOnlySpan
	for batch == nil || search == nil {
		if time.Now().After(deadline) {
			t.Fatalf("indexer batch %v, search %v among %v", batch != nil, search != nil, names(spans))
		}
		time.Sleep(10 * time.Millisecond)
		spans = tr.rec.Ended()
		for _, s := range spans {
			switch {
			case s.Name() == "indexer batch":
				batch = s
			case s.Name() == "GET /api/search/":
				search = s
			}
		}
	}
	// Background work (feed polls, their SQL) makes no trace of its own.
	for _, s := range spans {
		if !s.Parent().IsValid() && s.SpanKind() != trace.SpanKindServer && s.Name() != "indexer batch" {
			t.Errorf("root span %q outside any request", s.Name())
		}
	}
	var inBatch, inSearch []sdktrace.ReadOnlySpan
	for _, s := range spans {
		switch s.SpanContext().TraceID() {
		case batch.SpanContext().TraceID():
			inBatch = append(inBatch, s)
		case search.SpanContext().TraceID():
			inSearch = append(inSearch, s)
		}
	}
	checkOneTrace(t, inBatch, "indexer batch", "bleve apply")
	linked := false
	for _, l := range batch.Links() {
		linked = linked || l.SpanContext.TraceID() == write
	}
	if !linked {
		t.Errorf("indexer batch links %v, not the write's trace %s", batch.Links(), write)
	}
	checkOneTrace(t, inSearch, "GET /api/search/", "search/Search", "bleve search")
}
