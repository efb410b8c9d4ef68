package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/telemetry"
)

type testSettings struct {
	config.Common
	Greeting string `env:"RUNNER_TEST_GREETING" envDefault:"hello"`
	Secret   string `env:"RUNNER_TEST_SECRET" secret:"true"`
}

// run is Main without the exit: configuration from the environment, the
// command with its arguments, and a context that SIGTERM cancels.
func TestRunMainFlow(t *testing.T) {
	t.Setenv("MOVIES_LOG_LEVEL", "error")
	t.Setenv("MOVIES_SHUTDOWN_TIMEOUT", "3s")
	t.Setenv("MOVIES_RUNNER_TEST_SECRET", "s3cret")
	var cfg testSettings
	var got Process
	var gotArgs []string
	err := run("tester", &cfg, func(ctx context.Context, p Process, args []string) error {
		got, gotArgs = p, args
		// The stop signal a pod receives ends the context; the process
		// survives it to shut down in order.
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.New("stopped")
		case <-time.After(30 * time.Second):
			return errors.New("SIGTERM did not cancel the context")
		}
	}, []string{"-target=all", "serve"})
	if err == nil || err.Error() != "stopped" {
		t.Fatalf("run = %v, want the command's own error", err)
	}
	if got.Name != "tester" || got.Log == nil || !slices.Equal(gotArgs, []string{"-target=all", "serve"}) {
		t.Errorf("command got %+v with args %v", got, gotArgs)
	}
	if got.Common != (config.Common{LogLevel: "error", ShutdownTimeout: 3 * time.Second, AdminAddr: ":9090"}) {
		t.Errorf("command got common settings %+v", got.Common)
	}
	if cfg.Greeting != "hello" || cfg.Secret != "s3cret" {
		t.Errorf("settings %+v were not loaded", cfg)
	}
}

func TestRunBadConfiguration(t *testing.T) {
	t.Setenv("MOVIES_SHUTDOWN_TIMEOUT", "soon")
	var cfg testSettings
	called := false
	err := run("tester", &cfg, func(context.Context, Process, []string) error {
		called = true
		return nil
	}, nil)
	if called {
		t.Error("the command ran with a bad configuration")
	}
	if err == nil || !strings.Contains(err.Error(), "MOVIES_SHUTDOWN_TIMEOUT") {
		t.Errorf("run = %v, want an error naming the variable", err)
	}
}

// listenLog is a logger handler that reports the address each server
// listens on, so tests can serve on 127.0.0.1:0 and still find the port.
type listenLog struct {
	slog.Handler
	addrs chan string
}

func newListenLog() *listenLog {
	return &listenLog{Handler: slog.DiscardHandler, addrs: make(chan string, 16)}
}

func (l *listenLog) Enabled(context.Context, slog.Level) bool { return true }

func (l *listenLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "listening" {
		return nil
	}
	var name, addr string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "server":
			name = a.Value.String()
		case "addr":
			addr = a.Value.String()
		}
		return true
	})
	l.addrs <- name + "=" + addr
	return nil
}

// urls waits for n servers to listen and returns their URLs by name.
func (l *listenLog) urls(t *testing.T, n int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for range n {
		select {
		case s := <-l.addrs:
			name, addr, _ := strings.Cut(s, "=")
			out[name] = "http://" + addr
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d servers listening", len(out), n)
		}
	}
	return out
}

func noTracing(t *testing.T) *telemetry.Tracing {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tr, err := telemetry.Setup(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// closeLog records the order components are closed in.
type closeLog struct {
	mu    sync.Mutex
	order []string
}

func (c *closeLog) closer(name string, err error) func() error {
	return func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.order = append(c.order, name)
		return err
	}
}

func (c *closeLog) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.order)
}

func text(s string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, s) })
}

// Serve runs each component on its own listener with its own operational
// endpoints, runs background work beside it, and on the way out stops the
// background work and closes the components in reverse order.
func TestServe(t *testing.T) {
	log := newListenLog()
	var closed closeLog
	catalogReg := server.NewRegistry()
	bgStopped := make(chan struct{})
	comps := []Component{
		{Name: "catalog", Addr: "127.0.0.1:0", Handler: text("catalog"), Registry: catalogReg,
			Close: closed.closer("catalog", nil)},
		{Name: "search", Addr: "127.0.0.1:0", Handler: text("search"), Health: server.NewHealth(),
			Close: closed.closer("search", errors.New("close failures are logged, not returned")),
			Background: func(ctx context.Context) error {
				<-ctx.Done()
				close(bgStopped)
				return ctx.Err()
			}},
		{Name: "gateway", Addr: "127.0.0.1:0", Handler: text("gateway"), Close: closed.closer("gateway", nil)},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	tracing := noTracing(t)
	go func() {
		done <- Serve(ctx, slog.New(log), config.Common{ShutdownTimeout: 5 * time.Second, AdminAddr: "127.0.0.1:0"}, tracing, comps...)
	}()
	urls := log.urls(t, len(comps)+1) // and the admin listener
	for _, name := range []string{"catalog", "search", "gateway"} {
		if code, body := get(t, urls[name]+"/api"); code != http.StatusOK || body != name {
			t.Errorf("%s served %d %q", name, code, body)
		}
		if code, _ := get(t, urls[name]+"/readyz"); code != http.StatusOK {
			t.Errorf("%s /readyz = %d", name, code)
		}
	}
	if got := closed.get(); len(got) != 0 {
		t.Errorf("closed %v while serving", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v after a clean stop", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	select {
	case <-bgStopped:
	default:
		t.Error("Serve returned before the background work stopped")
	}
	if got, want := closed.get(), []string{"gateway", "search", "catalog"}; !slices.Equal(got, want) {
		t.Errorf("closed %v, want %v (reverse order)", got, want)
	}
	for name, url := range urls {
		if _, err := http.Get(url + "/healthz"); err == nil {
			t.Errorf("%s still listening after Serve returned", name)
		}
	}
}

// One component failing stops every other one and is what Serve returns.
func TestServeFirstFailureStopsAll(t *testing.T) {
	log := newListenLog()
	var closed closeLog
	indexerDied := errors.New("indexer died")
	fail := make(chan struct{})
	comps := []Component{
		{Name: "catalog", Addr: "127.0.0.1:0", Handler: text("catalog"), Close: closed.closer("catalog", nil)},
		{Name: "search", Addr: "127.0.0.1:0", Handler: text("search"), Close: closed.closer("search", nil),
			Background: func(ctx context.Context) error {
				select {
				case <-fail:
					return indexerDied
				case <-ctx.Done():
					return ctx.Err()
				}
			}},
	}
	done := make(chan error, 1)
	tracing := noTracing(t)
	go func() {
		done <- Serve(context.Background(), slog.New(log), config.Common{}, tracing, comps...)
	}()
	urls := log.urls(t, len(comps)+1) // and the admin listener
	if code, _ := get(t, urls["catalog"]+"/api"); code != http.StatusOK {
		t.Fatalf("catalog = %d", code)
	}
	close(fail)
	select {
	case err := <-done:
		if !errors.Is(err, indexerDied) {
			t.Errorf("Serve = %v, want the background failure", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve kept running after a component failed")
	}
	if got := closed.get(); !slices.Equal(got, []string{"search", "catalog"}) {
		t.Errorf("closed %v, want every component", got)
	}
}

// A component that cannot listen fails the process instead of leaving it
// half up.
func TestServeListenFailure(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var closed closeLog
	comps := []Component{
		{Name: "catalog", Addr: "127.0.0.1:0", Handler: text("catalog"), Close: closed.closer("catalog", nil)},
		{Name: "auth", Addr: taken.Addr().String(), Handler: text("auth"), Close: closed.closer("auth", nil)},
	}
	done := make(chan error, 1)
	go func() {
		done <- Serve(context.Background(), slog.New(newListenLog()), config.Common{}, noTracing(t), comps...)
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			t.Errorf("Serve = %v, want the listen failure", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve kept running although a component could not listen")
	}
	if got := closed.get(); !slices.Equal(got, []string{"auth", "catalog"}) {
		t.Errorf("closed %v, want every component", got)
	}
}

// Process.Serve is what binaries call: tracing set up from OTEL_* (off
// here) and the same serve loop.
func TestProcessServe(t *testing.T) {
	noTracing(t)
	log := newListenLog()
	p := Process{Name: "tester", Log: slog.New(log), Common: config.Common{ShutdownTimeout: time.Second, AdminAddr: "127.0.0.1:0"}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, Component{Name: "one", Addr: "127.0.0.1:0", Handler: text("one")}) }()
	urls := log.urls(t, 2) // one, and the admin listener
	if code, body := get(t, urls["one"]+"/x"); code != http.StatusOK || body != "one" {
		t.Errorf("served %d %q", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Process.Serve = %v", err)
	}
}
