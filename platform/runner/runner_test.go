package runner

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/telemetry"
)

// process is one serve call under test: its components' public addresses,
// its admin address, and how it ended.
type process struct {
	public map[string]string
	admin  string
	cancel context.CancelFunc
	done   chan error
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// start serves comps on loopback listeners and waits until the admin
// listener answers.
func start(t *testing.T, common config.Common, comps ...Component) *process {
	t.Helper()
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		t.Setenv(k, "")
	}
	tracing, err := telemetry.Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	p := &process{public: map[string]string{}, done: make(chan error, 1)}
	for i := range comps {
		comps[i].listener = listen(t)
		p.public[comps[i].Name] = "http://" + comps[i].listener.Addr().String()
	}
	adminLn := listen(t)
	p.admin = "http://" + adminLn.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- serve(ctx, logging.Discard(), common, tracing, adminLn, comps) }()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	for {
		if resp, err := http.Get(p.admin + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// api is a component's public handler: one route, 404 elsewhere.
func api() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/thing", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "thing") })
	return mux
}

// registry has one counter whose name every component shares.
func registry(n float64) *prometheus.Registry {
	reg := server.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_calls_total", Help: "Calls."})
	c.Add(n)
	reg.MustRegister(c)
	return reg
}

func TestOperationalEndpointsOnlyOnTheAdminListener(t *testing.T) {
	p := start(t, config.Common{}, Component{Name: "catalog", Handler: api(), Registry: registry(1)},
		Component{Name: "gateway", Handler: api(), Registry: registry(2)})

	for name, base := range p.public {
		if code, _ := get(t, base+"/api/thing"); code != http.StatusOK {
			t.Errorf("%s: the API answered %d on its public port", name, code)
		}
		for _, path := range []string{"/metrics", "/healthz", "/readyz", "/debug/pprof/"} {
			if code, _ := get(t, base+path); code != http.StatusNotFound {
				t.Errorf("%s: public %s answered %d, want 404", name, path, code)
			}
		}
	}
	if code, _ := get(t, p.admin+"/api/thing"); code != http.StatusNotFound {
		t.Errorf("the admin listener served the API: %d", code)
	}
	if code, _ := get(t, p.admin+"/healthz"); code != http.StatusOK {
		t.Errorf("admin /healthz: %d", code)
	}
	code, metrics := get(t, p.admin+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("admin /metrics: %d", code)
	}
	// One process, one /metrics: each service's series told apart by
	// module, the runtime's once.
	for _, want := range []string{`demo_calls_total{module="catalog"} 1`, `demo_calls_total{module="gateway"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("admin /metrics lacks %s", want)
		}
	}
	if n := strings.Count(metrics, "\ngo_goroutines "); n != 1 {
		t.Errorf("go_goroutines appears %d times, want once", n)
	}
	if code, _ := get(t, p.admin+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof served while switched off: %d", code)
	}
}

func TestOneComponentKeepsItsOwnAnswers(t *testing.T) {
	health := server.NewHealth()
	health.AddCheck("database", func(context.Context) error { return nil })
	p := start(t, config.Common{AdminPprof: true}, Component{Name: "catalog", Handler: api(), Health: health, Registry: registry(3)})

	_, metrics := get(t, p.admin+"/metrics")
	if !strings.Contains(metrics, "demo_calls_total 3") {
		t.Errorf("a process of one service labels its series: %s", metrics)
	}
	code, body := get(t, p.admin+"/readyz")
	var ready struct{ Checks map[string]string }
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != http.StatusOK || ready.Checks["database"] != "ok" {
		t.Errorf("admin /readyz: %d %s", code, body)
	}
	if code, _ := get(t, p.admin+"/debug/pprof/"); code != http.StatusOK {
		t.Errorf("pprof switched on, /debug/pprof/ answered %d", code)
	}
	if code, _ := get(t, p.public["catalog"]+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof on the public port: %d", code)
	}
}

func TestReadinessCombinesEveryComponent(t *testing.T) {
	var searchDown atomic.Bool
	searchHealth := server.NewHealth()
	searchHealth.AddCheck("engine", func(context.Context) error {
		if searchDown.Load() {
			return errors.New("engine unreachable")
		}
		return nil
	})
	p := start(t, config.Common{}, Component{Name: "catalog", Handler: api()},
		Component{Name: "search", Handler: api(), Health: searchHealth})

	if code, body := get(t, p.admin+"/readyz"); code != http.StatusOK {
		t.Fatalf("ready process answered %d %s", code, body)
	}
	searchDown.Store(true)
	code, body := get(t, p.admin+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "engine unreachable") {
		t.Errorf("one component not ready: %d %s, want 503 naming its failing check", code, body)
	}
	searchDown.Store(false)
	if code, body := get(t, p.admin+"/readyz"); code != http.StatusOK {
		t.Errorf("recovered process answered %d %s", code, body)
	}
}

// Stopping drains: readiness fails at once while in-flight requests finish,
// the admin listener outlives the public ones, and then both are closed.
func TestShutdownDrainsBothListeners(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	p := start(t, config.Common{}, Component{Name: "gateway", Handler: slow})

	inflight := make(chan string, 1)
	go func() {
		resp, err := http.Get(p.public["gateway"] + "/slow")
		if err != nil {
			inflight <- err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		inflight <- string(body)
	}()
	<-entered
	p.cancel()

	// The public server waits for the slow request; meanwhile the admin
	// listener still answers, not ready.
	for {
		code, body := get(t, p.admin+"/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(body, "draining") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _ := get(t, p.admin+"/healthz"); code != http.StatusOK {
		t.Errorf("liveness during the drain: %d", code)
	}
	close(release)
	if got := <-inflight; got != "finished" {
		t.Errorf("in-flight request during shutdown: %q", got)
	}
	if err := <-p.done; err != nil {
		t.Errorf("serve: %v", err)
	}
	p.done <- nil // for the cleanup
	for _, base := range []string{p.public["gateway"], p.admin} {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			t.Errorf("%s still accepts connections after shutdown", base)
		}
	}
}

func TestBusyAdminPortFailsTheStart(t *testing.T) {
	busy := listen(t)
	defer busy.Close()
	closed := false
	err := Serve(context.Background(), logging.Discard(), config.Common{AdminAddr: busy.Addr().String()}, nil,
		Component{Name: "catalog", Addr: "127.0.0.1:0", Handler: api(), Close: func() error { closed = true; return nil }})
	if err == nil {
		t.Fatal("serve started with its admin port taken")
	}
	if !closed {
		t.Error("components were not closed after the failed start")
	}
}
