// Package server runs HTTP servers for their whole life: listen, serve, and
// shut down gracefully when the context ends. A process has two kinds of
// listener: public ones (the API only) and one admin listener (AdminHandler:
// health, readiness, metrics, pprof), so nothing operational is reachable
// where the API is exposed.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options configure one server.
type Options struct {
	Name    string
	Addr    string
	Handler http.Handler
	// Health, when set, is drained (its readiness fails) as soon as ctx
	// ends, before the listener closes.
	Health *Health
	// DrainDelay is how long the server keeps serving after ctx ends, with
	// readiness failing, so endpoints controllers stop routing here first.
	DrainDelay      time.Duration
	ShutdownTimeout time.Duration
	// Listener, when set, is used instead of listening on Addr (tests).
	Listener net.Listener
}

// Listen returns o.Listener, or listens on o.Addr.
func (o Options) Listen() (net.Listener, error) {
	if o.Listener != nil {
		return o.Listener, nil
	}
	return net.Listen("tcp", o.Addr)
}

// Run serves o.Handler until ctx ends, then drains: readiness fails, the
// listener closes after DrainDelay, and in-flight requests get
// ShutdownTimeout to end.
func Run(ctx context.Context, log *slog.Logger, o Options) error {
	ln, err := o.Listen()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           o.Handler,
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
	if o.Health != nil {
		o.Health.Drain()
	}
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
	err = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped", "server", o.Name, "error", err)
	return err
}
