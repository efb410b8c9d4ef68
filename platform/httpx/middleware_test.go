package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/logging"
)

func TestChainOrder(t *testing.T) {
	var order []string
	mark := func(name string) httpx.Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name+" in")
				next.ServeHTTP(w, r)
				order = append(order, name+" out")
			})
		}
	}
	h := httpx.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") }),
		mark("first"), mark("second"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	want := []string{"first in", "second in", "handler", "second out", "first out"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v: the first middleware listed must be the outermost", order, want)
	}
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestWithRequestID(t *testing.T) {
	cases := []struct {
		name, incoming string
		keep           bool
	}{
		{"none", "", false},
		{"sane", "abc-123_X.y", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"a space", "abc 123", false},
		{"a header injection", "abc\r\nSet-Cookie: x", false},
		{"non-ASCII", "idé", false},
		{"a slash", "a/b", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var inContext string
			h := httpx.WithRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inContext = httpx.RequestID(r.Context())
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.incoming != "" {
				r.Header[contract.HeaderRequestID] = []string{tc.incoming}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			echoed := w.Header().Get(contract.HeaderRequestID)
			if echoed != inContext {
				t.Errorf("response id %q, context id %q: they must be the same", echoed, inContext)
			}
			if tc.keep && echoed != tc.incoming {
				t.Errorf("id %q, want the incoming %q kept", echoed, tc.incoming)
			}
			if !tc.keep && !generatedID.MatchString(echoed) {
				t.Errorf("id %q, want a fresh random id instead of %q", echoed, tc.incoming)
			}
		})
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	h := httpx.WithRequestID(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	seen := map[string]bool{}
	for range 100 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		id := w.Header().Get(contract.HeaderRequestID)
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
	}
}

func TestRequestIDContext(t *testing.T) {
	if id := httpx.RequestID(context.Background()); id != "" {
		t.Errorf("RequestID of an empty context = %q", id)
	}
	if id := httpx.RequestID(httpx.ContextWithRequestID(context.Background(), "r1")); id != "r1" {
		t.Errorf("RequestID = %q, want r1", id)
	}
}

// logRecords keeps the JSON records of the platform's logger for
// assertions.
type logRecords struct {
	buf bytes.Buffer
}

func (l *logRecords) logger() *slog.Logger { return logging.New(&l.buf, "debug", "test") }

func (l *logRecords) entries(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(&l.buf)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestRecover(t *testing.T) {
	var logs logRecords
	h := httpx.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom: secret internals")
	}), httpx.WithRequestID, httpx.Recover(logs.logger()))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/movies/", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	if got := strings.TrimSpace(w.Body.String()); got != `{"detail":"A server error occurred."}` {
		t.Errorf("body %s: a panic must not leak to the client", got)
	}
	if w.Header().Get(contract.HeaderRequestID) == "" {
		t.Error("the 500 lost the request id")
	}
	entries := logs.entries(t)
	if len(entries) != 1 || entries[0]["level"] != "ERROR" || entries[0]["panic"] != "boom: secret internals" ||
		!strings.Contains(entries[0]["stack"].(string), "middleware_test.go") || entries[0]["path"] != "/api/movies/" {
		t.Errorf("logged %v, want one error with the panic, its stack and the path", entries)
	}
}

// http.ErrAbortHandler is the handler's way to abort a response; Recover
// must let net/http see it rather than write a 500.
func TestRecoverLetsAbortThrough(t *testing.T) {
	h := httpx.Recover(logging.Discard())(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler re-panicked", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	t.Error("ServeHTTP returned normally")
}

func TestAccessLogLevels(t *testing.T) {
	for _, tc := range []struct {
		status int
		write  bool
		level  string
	}{
		{status: 200, write: true, level: "DEBUG"},
		{status: 0, write: true, level: "DEBUG"}, // an implicit 200
		{status: 404, level: "DEBUG"},
		{status: 500, level: "ERROR"},
		{status: 503, level: "WARN"},
		{status: 504, level: "WARN"},
	} {
		var logs logRecords
		h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.status != 0 {
				w.WriteHeader(tc.status)
			}
			if tc.write {
				_, _ = w.Write([]byte("hello"))
			}
		}), httpx.WithRequestID, httpx.AccessLog(logs.logger()))
		r := httptest.NewRequest(http.MethodPut, "/api/movie/3/", nil)
		r.Header.Set(contract.HeaderRequestID, "req-1")
		h.ServeHTTP(httptest.NewRecorder(), r)
		entries := logs.entries(t)
		if len(entries) != 1 {
			t.Fatalf("status %d: %d log lines, want 1", tc.status, len(entries))
		}
		e := entries[0]
		wantStatus, wantBytes := tc.status, 0
		if wantStatus == 0 {
			wantStatus = 200
		}
		if tc.write {
			wantBytes = 5
		}
		if e["level"] != tc.level || e["status"] != float64(wantStatus) || e["bytes"] != float64(wantBytes) ||
			e["method"] != "PUT" || e["path"] != "/api/movie/3/" || e["request_id"] != "req-1" {
			t.Errorf("status %d logged %v, want level %s", tc.status, e, tc.level)
		}
	}
}

// The in-flight gauge counts requests being served and comes back down
// when they end, also when a handler panics into Recover.
func TestHTTPMetricsInFlight(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := httpx.NewHTTPMetrics(reg)
	inflight := func() float64 {
		t.Helper()
		var v float64
		eachSeries(t, reg, "http_server_requests_in_flight", func(_ map[string]string, value float64) { v = value })
		return v
	}
	entered, release := make(chan struct{}), make(chan struct{})
	slow := m.Route("/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	done := make(chan struct{})
	for range 2 {
		go func() {
			slow.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/slow", nil))
			done <- struct{}{}
		}()
		<-entered
	}
	if got := inflight(); got != 2 {
		t.Errorf("in flight %v with two requests being served, want 2", got)
	}
	close(release)
	<-done
	<-done
	if got := inflight(); got != 0 {
		t.Errorf("in flight %v after both ended, want 0", got)
	}

	panicky := httpx.Recover(logging.Discard())(m.Route("/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	panicky.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/panic", nil))
	if got := inflight(); got != 0 {
		t.Errorf("in flight %v after a panicking request, want 0", got)
	}
	want := map[string]float64{"/slow GET 200": 2, "/panic GET 500": 1}
	if got := requestCounts(t, reg); !maps.Equal(got, want) {
		t.Errorf("requests %v, want %v: a panicking request must count as a 500", got, want)
	}
}

func TestHTTPMetricsCodes(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := httpx.NewHTTPMetrics(reg)
	h := m.Route("/api/movie/{id}/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPut:
			w.WriteHeader(http.StatusBadRequest)
			w.WriteHeader(http.StatusOK) // ignored by net/http; the first code counts
		}
		// GET writes nothing: an implicit 200.
	}))
	for _, method := range []string{"GET", "GET", "DELETE", "PUT"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "/api/movie/1/", nil))
	}
	want := map[string]float64{
		"/api/movie/{id}/ GET 200": 2, "/api/movie/{id}/ DELETE 204": 1, "/api/movie/{id}/ PUT 400": 1,
	}
	if got := requestCounts(t, reg); !maps.Equal(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
}

// Each service registers its metrics on its own registry, so one process
// can hold several services.
func TestHTTPMetricsOnSeparateRegistries(t *testing.T) {
	httpx.NewHTTPMetrics(prometheus.NewRegistry())
	httpx.NewHTTPMetrics(prometheus.NewRegistry())
}

// eachSeries calls each with the labels and value (of a counter or a gauge)
// of every series of the metric name in reg.
func eachSeries(t *testing.T, reg prometheus.Gatherer, name string, each func(labels map[string]string, value float64)) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			each(labels, m.GetCounter().GetValue()+m.GetGauge().GetValue())
		}
	}
}

// requestCounts is http_server_requests_total as "route method code" -> count.
func requestCounts(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	eachSeries(t, reg, "http_server_requests_total", func(labels map[string]string, v float64) {
		out[labels["route"]+" "+labels["method"]+" "+labels["code"]] = v
	})
	return out
}
