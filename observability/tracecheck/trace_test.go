// Package tracecheck proves the platform's traces against a real Jaeger v2:
// the services run as separate processes and export OTLP to Jaeger, and the
// traces are read back through Jaeger's query API, as an SRE would see them.
package tracecheck

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/observability/internal/live"
)

const root = "../.."

// Each service's name in the traces: what its own binary calls itself, as
// in Kubernetes (moviesd would otherwise name every target "moviesd").
var serviceNames = map[string]string{"gateway": "gateway", "catalog": "catalog-svc", "auth": "auth-svc", "search": "search-svc"}

// TestTracesInJaeger sends one authenticated write and one read through the
// gateway and reads their traces back from Jaeger: one trace per request,
// with spans from gateway, auth, catalog, SQL and Redis, none orphaned, and
// the indexer's span that made the written movie searchable linked to the
// write's trace. scripts/test-jaeger.sh runs it with MOVIES_JAEGER_BIN set
// (building and caching Jaeger with deploy/hack/jaeger.sh).
func TestTracesInJaeger(t *testing.T) {
	jaegerBin := os.Getenv("MOVIES_JAEGER_BIN")
	if jaegerBin == "" {
		t.Skip("MOVIES_JAEGER_BIN not set (scripts/test-jaeger.sh sets it)")
	}
	jaegerDir := t.TempDir()
	ports := live.FreePorts(t, 4)
	otlpHTTP, otlpGRPC, queryHTTP := ports[0], ports[1], ports[2]
	cfg, err := filepath.Abs("jaeger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	jaeger := exec.Command(jaegerBin, "--config", cfg)
	jaeger.Env = append(os.Environ(), "JAEGER_OTLP_HTTP="+otlpHTTP, "JAEGER_OTLP_GRPC="+otlpGRPC,
		"JAEGER_QUERY_HTTP="+queryHTTP, "JAEGER_QUERY_GRPC="+ports[3])
	live.Run(t, jaegerDir, "jaeger", jaeger)
	query := "http://" + queryHTTP
	live.WaitFor(t, 60*time.Second, func() bool {
		resp, err := http.Get(query + "/api/services")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, "jaeger's query API on "+queryHTTP)

	// Every span sampled and sent within a tenth of a second; two services
	// export over OTLP/HTTP, two over OTLP/gRPC, so both protocols are proven.
	env := []string{"OTEL_TRACES_SAMPLER=always_on", "OTEL_BSP_SCHEDULE_DELAY=100",
		"MOVIES_SEARCH_POLL_INTERVAL=100ms",
		// Every authenticated request asks auth-svc, so both traces reach it.
		"MOVIES_GATEWAY_AUTH_CACHE_TTL=0s"}
	perTarget := map[string][]string{}
	for target, name := range serviceNames {
		endpoint := []string{"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_EXPORTER_OTLP_ENDPOINT=http://" + otlpHTTP}
		if target == "auth" || target == "search" {
			endpoint = []string{"OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "OTEL_EXPORTER_OTLP_ENDPOINT=http://" + otlpGRPC}
		}
		perTarget[target] = append(endpoint, "OTEL_SERVICE_NAME="+name)
	}
	p := live.Start(t, root, env, perTarget)

	token := p.Login(t)
	id := p.CreateMovie(t, token, "Jaeger Check")
	if status, body := p.Request(t, http.MethodGet, fmt.Sprintf("/api/movie/%d/", id), token, ""); status != http.StatusOK {
		t.Fatalf("read: %d %s", status, body)
	}

	var write, read *jaegerTrace
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		var problems []string
		var err error
		if write, err = theTrace(query, "gateway", "POST /api/movies/"); err != nil {
			problems = append(problems, "write: "+err.Error())
		}
		if read, err = theTrace(query, "gateway", "GET /api/movie/{id}/"); err != nil {
			problems = append(problems, "read: "+err.Error())
		}
		if write != nil && read != nil {
			problems = append(problems, write.problems()...)
			problems = append(problems, read.problems()...)
			problems = append(problems, read.cacheLayers()...)
			problems = append(problems, indexerLinksTo(query, write.TraceID)...)
			// One trace per request: the catalog's server spans of the
			// write and of the read are in the gateway's traces, in no other.
			problems = append(problems, sameTrace(query, "catalog-svc", "POST /api/movies/", write.TraceID)...)
			problems = append(problems, sameTrace(query, "catalog-svc", "GET /api/movie/{id}/", read.TraceID)...)
		}
		if len(problems) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the traces in Jaeger are not whole after 60 s:\n%s", strings.Join(problems, "\n"))
		}
	}
	t.Logf("the write's trace as Jaeger returns it:\n%s", write.tree())
	t.Logf("the read's trace as Jaeger returns it:\n%s", read.tree())
}

// jaegerTrace is a trace in the JSON of Jaeger's /api/traces.
type jaegerTrace struct {
	TraceID string       `json:"traceID"`
	Spans   []jaegerSpan `json:"spans"`
	// Processes are the spans' services by processID.
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

type jaegerSpan struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"` // CHILD_OF (the parent), FOLLOWS_FROM (a link)
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	StartTime int64 `json:"startTime"` // µs
	Duration  int64 `json:"duration"`  // µs
	Tags      []struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	} `json:"tags"`
	ProcessID string `json:"processID"`
}

func (s jaegerSpan) parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" && r.TraceID == s.TraceID {
			return r.SpanID
		}
	}
	return ""
}

func (s jaegerSpan) tag(key string) string {
	for _, t := range s.Tags {
		if t.Key == key {
			return fmt.Sprint(t.Value)
		}
	}
	return ""
}

// findTraces asks Jaeger for the traces holding service's spans named op.
func findTraces(query, service, op string) ([]jaegerTrace, error) {
	q := url.Values{"service": {service}, "operation": {op}, "limit": {"100"}, "lookback": {"1h"}}
	resp, err := http.Get(query + "/api/traces?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data   []jaegerTrace
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
		return nil, fmt.Errorf("%s: %v", resp.Status, out.Errors)
	}
	return out.Data, nil
}

// theTrace is the one trace holding service's op.
func theTrace(query, service, op string) (*jaegerTrace, error) {
	traces, err := findTraces(query, service, op)
	if err != nil {
		return nil, err
	}
	if len(traces) != 1 {
		return nil, fmt.Errorf("%d traces of %s %q, want 1", len(traces), service, op)
	}
	return &traces[0], nil
}

// cacheLayers checks that the catalog's read says which cache layers it
// asked and what they answered (the read follows the write, so the
// in-process layer misses and Redis is asked).
func (tr *jaegerTrace) cacheLayers() []string {
	for _, s := range tr.Spans {
		if s.OperationName == "catalog/Get" && s.tag("catalog.cache.l1") != "" && s.tag("catalog.cache.l2") != "" {
			return nil
		}
	}
	return []string{fmt.Sprintf("trace %s: no catalog/Get span with catalog.cache.l1 and catalog.cache.l2", tr.TraceID)}
}

// sameTrace checks that service's op is in one trace only, want.
func sameTrace(query, service, op, want string) []string {
	tr, err := theTrace(query, service, op)
	if err != nil {
		return []string{err.Error()}
	}
	if tr.TraceID != want {
		return []string{fmt.Sprintf("%s %q is in trace %s, not the gateway's %s", service, op, tr.TraceID, want)}
	}
	return nil
}

// problems are what keeps tr from being one whole trace of a request: more
// or fewer than one root, orphaned spans, a hop or a backend missing.
func (tr *jaegerTrace) problems() []string {
	var out []string
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
	}
	if len(ids) != len(tr.Spans) {
		out = append(out, fmt.Sprintf("trace %s: %d spans but %d span ids: a span stored twice", tr.TraceID, len(tr.Spans), len(ids)))
	}
	roots := 0
	services := map[string]bool{}
	systems := map[string]bool{}
	for _, s := range tr.Spans {
		services[tr.Processes[s.ProcessID].ServiceName] = true
		if sys := s.tag("db.system.name") + s.tag("db.system"); sys != "" {
			systems[sys] = true
		}
		switch p := s.parent(); {
		case p == "":
			roots++
		case !ids[p]:
			out = append(out, fmt.Sprintf("trace %s: span %q is orphaned (parent %s not in the trace)", tr.TraceID, s.OperationName, p))
		}
	}
	if roots != 1 {
		out = append(out, fmt.Sprintf("trace %s: %d roots, want 1", tr.TraceID, roots))
	}
	for _, want := range []string{"gateway", "auth-svc", "catalog-svc"} {
		if !services[want] {
			out = append(out, fmt.Sprintf("trace %s: no span from %s", tr.TraceID, want))
		}
	}
	if !systems["redis"] {
		out = append(out, fmt.Sprintf("trace %s: no Redis span", tr.TraceID))
	}
	if !systems["sqlite"] {
		out = append(out, fmt.Sprintf("trace %s: no SQL span", tr.TraceID))
	}
	return out
}

// indexerLinksTo checks that search-svc's indexer batch that indexed the
// write links to the write's trace.
func indexerLinksTo(query, write string) []string {
	traces, err := findTraces(query, "search-svc", "indexer batch")
	if err != nil {
		return []string{"indexer: " + err.Error()}
	}
	for _, tr := range traces {
		for _, s := range tr.Spans {
			for _, r := range s.References {
				if s.OperationName == "indexer batch" && r.RefType == "FOLLOWS_FROM" && r.TraceID == write {
					return nil
				}
			}
		}
	}
	return []string{fmt.Sprintf("no indexer batch links to the write's trace %s (%d batches)", write, len(traces))}
}

// tree prints tr as an indented tree of service, span name, duration and
// the attributes an SRE reads first.
func (tr *jaegerTrace) tree() string {
	children := map[string][]jaegerSpan{}
	for _, s := range tr.Spans {
		children[s.parent()] = append(children[s.parent()], s)
	}
	for _, c := range children {
		sort.Slice(c, func(i, j int) bool { return c[i].StartTime < c[j].StartTime })
	}
	var b strings.Builder
	fmt.Fprintf(&b, "trace %s, %d spans\n", tr.TraceID, len(tr.Spans))
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, s := range children[parent] {
			var attrs []string
			for _, k := range []string{"http.route", "http.response.status_code", "db.system", "db.system.name", "db.operation.name", "db.query.text", "catalog.cache.l1", "catalog.cache.l2"} {
				if v := s.tag(k); v != "" {
					attrs = append(attrs, k+"="+strings.Join(strings.Fields(v), " "))
				}
			}
			fmt.Fprintf(&b, "%s%s: %s (%.1f ms) %s\n", strings.Repeat("  ", depth),
				tr.Processes[s.ProcessID].ServiceName, s.OperationName, float64(s.Duration)/1000, strings.Join(attrs, " "))
			walk(s.SpanID, depth+1)
		}
	}
	walk("", 0)
	return b.String()
}
