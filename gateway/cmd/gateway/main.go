// Command gateway serves the public movies API in front of catalog-svc and
// auth-svc. Usage: gateway [serve]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/server"

	"github.com/moviesplatform/gateway/app"
)

// settings are the process's variables: the common ones and the gateway's.
type settings struct {
	config.Common
	app.Config
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] != "serve" {
		return fmt.Errorf("unknown command %q (the gateway has only \"serve\")", args[0])
	}
	var cfg settings
	if err := config.Load(&cfg); err != nil {
		return err
	}
	log := logging.New(os.Stderr, cfg.LogLevel, "gateway")
	log.Info("starting", config.Describe(&cfg)...)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	reg := server.NewRegistry()
	a, err := app.New(ctx, cfg.Config, log, reg, app.Deps{})
	if err != nil {
		return err
	}
	defer a.Close()
	return server.Run(ctx, log, server.Options{
		Name:            "gateway",
		Addr:            cfg.Addr,
		Handler:         a.Handler,
		Health:          a.Health,
		Gatherer:        reg,
		DrainDelay:      cfg.DrainDelay,
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
}
