// Package runner is the main loop shared by every binary: it turns signals
// into a cancelled context, serves each component on its own listener with
// the operational endpoints, and closes everything in order on the way out.
package runner

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/telemetry"
)

// Component is one service ready to serve.
type Component struct {
	Name     string
	Addr     string
	Handler  http.Handler
	Health   *server.Health
	Registry *prometheus.Registry
	// Edge is telemetry.Public for a server facing the internet (the
	// gateway): its requests start new traces instead of continuing the
	// client's.
	Edge telemetry.Edge
	// Close releases the component's resources after its server stopped.
	Close func() error
	// Background, when set, runs beside the server until ctx ends (an
	// indexer, a cache warmer).
	Background func(ctx context.Context) error
}

// SignalContext is cancelled on SIGINT or SIGTERM.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Serve runs every component until ctx ends or one of them fails, then
// drains and closes them all. It returns the first failure. Requests are
// traced with server spans unless tracing is nil (off; see package telemetry).
func Serve(ctx context.Context, log *slog.Logger, common config.Common, tracing *telemetry.Tracing, comps ...Component) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && !errors.Is(err, context.Canceled) && firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for _, c := range comps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail(server.Run(ctx, log, server.Options{
				Name: c.Name, Addr: c.Addr, Handler: tracing.Handler(c.Handler, c.Edge), Health: c.Health, Gatherer: c.Registry,
				DrainDelay: common.DrainDelay, ShutdownTimeout: common.ShutdownTimeout,
			}))
		}()
		if c.Background != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fail(c.Background(ctx))
			}()
		}
	}
	wg.Wait()
	// Close in reverse order: a component may use the ones built before it.
	for i := len(comps) - 1; i >= 0; i-- {
		if comps[i].Close == nil {
			continue
		}
		if err := comps[i].Close(); err != nil {
			log.Warn("close", "component", comps[i].Name, "error", err)
		}
	}
	return firstErr
}
