// Package runner is the main loop shared by every binary: it turns signals
// into a cancelled context, serves each component's API on its own listener
// and the process's health, readiness and metrics on one admin listener, and
// closes everything in order on the way out.
package runner

import (
	"context"
	"errors"
	"log/slog"
	"net"
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
	Name string
	// Addr is the public listener: the API only. With no Handler there is
	// none.
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

	// listener, when set, is used instead of listening on Addr (tests).
	listener net.Listener
}

// SignalContext is cancelled on SIGINT or SIGTERM.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Serve runs every component until ctx ends or one of them fails, then
// drains and closes them all. It returns the first failure. Requests are
// traced with server spans unless tracing is nil (off; see package telemetry).
//
// The admin listener (common.AdminAddr) serves the whole process: /healthz,
// /readyz ready only when every component is, /metrics with every
// component's registry, and pprof when common.AdminPprof. It opens before
// the public listeners and closes after them, so probes and scrapes see the
// drain through to its end.
func Serve(ctx context.Context, log *slog.Logger, common config.Common, tracing *telemetry.Tracing, comps ...Component) error {
	return serve(ctx, log, common, tracing, nil, comps)
}

func serve(ctx context.Context, log *slog.Logger, common config.Common, tracing *telemetry.Tracing, adminLn net.Listener, comps []Component) error {
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

	admin := server.Options{Name: "admin", Addr: common.AdminAddr, Listener: adminLn, ShutdownTimeout: common.ShutdownTimeout}
	admin.Handler = server.AdminHandler(adminOptions(comps, common.AdminPprof))
	// Listen now, so a busy admin port fails the start before any
	// component serves.
	ln, err := admin.Listen()
	if err != nil {
		closeAll(log, comps)
		return err
	}
	admin.Listener = ln
	adminCtx, stopAdmin := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAdmin()
	adminDone := make(chan struct{})
	go func() {
		defer close(adminDone)
		fail(server.Run(adminCtx, log, admin))
	}()

	for _, c := range comps {
		// A component without a handler serves no port: its callers all
		// run in this process (moviesd -target=all).
		if c.Handler != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fail(server.Run(ctx, log, server.Options{
					Name: c.Name, Addr: c.Addr, Listener: c.listener, Handler: tracing.Handler(c.Handler, c.Edge), Health: c.Health,
					DrainDelay: common.DrainDelay, ShutdownTimeout: common.ShutdownTimeout,
				}))
			}()
		}
		if c.Background != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fail(c.Background(ctx))
			}()
		}
	}
	wg.Wait()
	stopAdmin()
	<-adminDone
	closeAll(log, comps)
	mu.Lock()
	defer mu.Unlock()
	return firstErr
}

// adminOptions answers for every component: with one, its own health and
// registry; with several, a health that includes each and their registries
// under one /metrics.
func adminOptions(comps []Component, pprof bool) server.AdminOptions {
	health := server.NewHealth()
	registries := map[string]prometheus.Gatherer{}
	for i := range comps {
		if comps[i].Health == nil {
			comps[i].Health = server.NewHealth()
		}
		health.Include(comps[i].Name, comps[i].Health)
		if comps[i].Registry != nil {
			registries[comps[i].Name] = comps[i].Registry
		}
	}
	if len(comps) == 1 {
		health = comps[0].Health
	}
	return server.AdminOptions{Health: health, Gatherer: server.ProcessGatherer(registries), Pprof: pprof}
}

// closeAll closes in reverse order: a component may use the ones built
// before it.
func closeAll(log *slog.Logger, comps []Component) {
	for i := len(comps) - 1; i >= 0; i-- {
		if comps[i].Close == nil {
			continue
		}
		if err := comps[i].Close(); err != nil {
			log.Warn("close", "component", comps[i].Name, "error", err)
		}
	}
}
