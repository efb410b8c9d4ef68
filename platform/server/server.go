// Package server runs HTTP servers for their whole life: listen, serve the
// operational endpoints, and shut down gracefully when the context ends.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/moviesplatform/platform/contract"
)

// Options configure one server.
type Options struct {
	Name    string
	Addr    string
	Handler http.Handler
	Health  *Health
	// Gatherer is served on /metrics.
	Gatherer prometheus.Gatherer
	// DrainDelay is how long /readyz fails before the listener closes, so
	// endpoints controllers stop routing here first.
	DrainDelay      time.Duration
	ShutdownTimeout time.Duration
	// Listener, when set, is used instead of listening on Addr (tests).
	Listener net.Listener
}

// Handler mounts the operational endpoints beside the service's handler.
func Handler(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+contract.RouteHealthz, o.Health.Live)
	mux.HandleFunc("GET "+contract.RouteReadyz, o.Health.Ready)
	if o.Gatherer != nil {
		mux.Handle("GET "+contract.RouteMetrics, promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	}
	mux.Handle("/", o.Handler)
	return mux
}

// Run serves until ctx ends, then drains: readiness fails, the listener
// closes after DrainDelay, and in-flight requests get ShutdownTimeout to end.
func Run(ctx context.Context, log *slog.Logger, o Options) error {
	if o.Health == nil {
		o.Health = NewHealth()
	}
	ln := o.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", o.Addr); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           Handler(o),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "server", o.Name, "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	o.Health.Drain()
	if o.DrainDelay > 0 {
		log.Info("draining", "server", o.Name, "delay", o.DrainDelay)
		time.Sleep(o.DrainDelay)
	}
	timeout := o.ShutdownTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped", "server", o.Name, "error", err)
	return err
}
