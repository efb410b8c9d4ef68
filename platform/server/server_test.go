package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/server"
)

// readyz calls h's readiness endpoint and decodes its answer.
func readyz(t *testing.T, h *server.Health) (int, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	h.Ready(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("readyz body %q: %v", w.Body, err)
	}
	return w.Code, body
}

func TestHealth(t *testing.T) {
	h := server.NewHealth()
	code, body := readyz(t, h)
	if code != http.StatusOK || body["status"] != "ok" {
		t.Errorf("no checks: %d %v, want ready", code, body)
	}

	dbDown := errors.New("db: connection refused")
	var dbErr error
	h.AddCheck("db", func(context.Context) error { return dbErr })
	h.AddCheck("cache", func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("checks must run with a deadline")
		}
		return nil
	})
	h.AddDetail("lag", func(context.Context) any { return 3 })

	code, body = readyz(t, h)
	checks, _ := body["checks"].(map[string]any)
	if code != http.StatusOK || body["status"] != "ok" || checks["db"] != "ok" || checks["cache"] != "ok" || body["lag"] != 3.0 {
		t.Errorf("passing checks: %d %v", code, body)
	}

	dbErr = dbDown
	code, body = readyz(t, h)
	checks, _ = body["checks"].(map[string]any)
	if code != http.StatusServiceUnavailable || body["status"] != "unavailable" || checks["db"] != dbDown.Error() || checks["cache"] != "ok" {
		t.Errorf("a failing check: %d %v, want 503 naming the failure", code, body)
	}
	if body["lag"] != 3.0 {
		t.Errorf("details must not depend on readiness: %v", body)
	}

	dbErr = nil
	h.Drain()
	code, body = readyz(t, h)
	if code != http.StatusServiceUnavailable || body["status"] != "draining" {
		t.Errorf("draining: %d %v, want 503 draining", code, body)
	}

	w := httptest.NewRecorder()
	h.Live(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if w.Code != http.StatusOK {
		t.Errorf("healthz while draining = %d: a draining process is still alive", w.Code)
	}
}

// A check that hangs is cut off by the readiness deadline instead of
// hanging the probe.
func TestHealthSlowCheck(t *testing.T) {
	h := server.NewHealth()
	h.AddCheck("stuck", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	code, body := readyz(t, h)
	if code != http.StatusServiceUnavailable || !strings.Contains(body["checks"].(map[string]any)["stuck"].(string), "deadline") {
		t.Errorf("stuck check: %d %v", code, body)
	}
}

func TestWithAdminMountsOperationalEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "served_total", Help: "x"}))
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-From", "api")
		w.WriteHeader(http.StatusTeapot)
	})
	h := server.WithAdmin(api, server.AdminOptions{Health: server.NewHealth(), Gatherer: reg})
	for _, tc := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/healthz", 200, `"status":"ok"`},
		{"GET", "/readyz", 200, `"status":"ok"`},
		{"GET", "/metrics", 200, "served_total"},
		{"GET", "/api/movies/", http.StatusTeapot, ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("%s %s = %d %.80q, want %d containing %q", tc.method, tc.path, w.Code, w.Body, tc.status, tc.contains)
		}
	}
}

// Each service owns a registry with the runtime collectors; building two
// in one process must not collide, as registering on the default would.
func TestNewRegistryIsPerService(t *testing.T) {
	a, b := server.NewRegistry(), server.NewRegistry()
	if a == b {
		t.Fatal("NewRegistry returned a shared registry")
	}
	for _, reg := range []*prometheus.Registry{a, b} {
		httpx.NewHTTPMetrics(reg)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, mf := range mfs {
			names = append(names, mf.GetName())
		}
		// The runtime collectors are the process's (ProcessGatherer), once.
		if slices.Contains(names, "go_goroutines") || !slices.Contains(names, "http_server_requests_in_flight") {
			t.Errorf("registry gathers %v, want the service's own metrics only", names)
		}
	}
}

// running is a server started by server.Run on a loopback listener.
type running struct {
	url    string
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, o server.Options) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- server.Run(ctx, logging.Discard(), o) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
		return nil
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Stopping waits for requests in flight, flips readiness first, and closes
// the listener.
func TestRunGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	health := server.NewHealth()
	srv := start(t, server.Options{
		Name: "test", Health: health, ShutdownTimeout: time.Minute,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				close(entered)
				<-release
			}
			_, _ = io.WriteString(w, "done "+r.URL.Path)
		}),
	})
	if code, _ := get(t, srv.url+"/readyz"); code != http.StatusOK {
		t.Fatalf("readyz = %d before stopping", code)
	}

	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(srv.url + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		slow <- string(b)
	}()
	<-entered

	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop(t) }()
	// Readiness flips as soon as the stop begins, while the slow request is
	// still being served.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, body := readyz(t, health); code == http.StatusServiceUnavailable && body["status"] == "draining" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("readiness never flipped to draining")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) with a request in flight", err)
	default:
	}

	close(release)
	if got := <-slow; got != "done /slow" {
		t.Errorf("the in-flight request got %q, want it finished", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run = %v after a graceful stop", err)
	}
	if _, err := http.Get(srv.url + "/healthz"); err == nil {
		t.Error("the listener still accepts after Run returned")
	}
}

// During DrainDelay the listener keeps serving while /readyz fails, so load
// balancers stop sending traffic before connections are refused.
func TestRunDrainDelay(t *testing.T) {
	health := server.NewHealth()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "api") })
	srv := start(t, server.Options{
		Name: "test", DrainDelay: 2 * time.Second, Health: health,
		Handler: server.WithAdmin(api, server.AdminOptions{Health: health}),
	})
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop(t) }()
	var sawDraining bool
	for !sawDraining {
		select {
		case <-stopped:
			t.Fatal("Run returned before /readyz was seen draining")
		default:
		}
		code, body := get(t, srv.url+"/readyz")
		sawDraining = code == http.StatusServiceUnavailable && strings.Contains(body, `"draining"`)
	}
	if code, body := get(t, srv.url+"/api"); code != http.StatusOK || body != "api" {
		t.Errorf("while draining the API answered %d %q, want it still served", code, body)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// A request that outlives ShutdownTimeout makes Run report the timeout
// instead of hanging.
func TestRunShutdownTimeout(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	srv := start(t, server.Options{
		Name: "test", ShutdownTimeout: 50 * time.Millisecond,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
		}),
	})
	go func() {
		if resp, err := http.Get(srv.url + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	if err := srv.stop(t); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want the shutdown deadline exceeded", err)
	}
}

func TestRunListenFailure(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	err = server.Run(context.Background(), logging.Discard(), server.Options{
		Name: "test", Addr: taken.Addr().String(), Handler: http.NotFoundHandler(),
	})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Run on a taken address = %v", err)
	}
}

// A listener that fails while serving ends Run with the error at once.
func TestRunServeFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	err = server.Run(context.Background(), logging.Discard(), server.Options{
		Name: "test", Listener: ln, Handler: http.NotFoundHandler(),
	})
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Run on a closed listener = %v, want the accept error", err)
	}
}

// Requests carry a context that outlives the stop signal: a handler's work
// is not cancelled by SIGTERM, only bounded by ShutdownTimeout.
func TestRunRequestContextSurvivesStop(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	ctxErr := make(chan error, 1)
	health := server.NewHealth()
	srv := start(t, server.Options{
		Name: "test", ShutdownTimeout: time.Minute, Health: health,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
			ctxErr <- r.Context().Err()
		}),
	})
	go func() {
		if resp, err := http.Get(srv.url + "/x"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop(t) }()
	// The stop has begun once readiness fails; the request is still running.
	for {
		if code, _ := readyz(t, health); code == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if err := <-ctxErr; err != nil {
		t.Errorf("the request's context ended with the stop signal: %v", err)
	}
	<-stopped
}
