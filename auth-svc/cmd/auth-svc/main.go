// Command auth-svc serves users, logins and tokens.
//
// Usage: auth-svc [serve|migrate]
//
//	serve    (default) migrate when MOVIES_AUTH_MIGRATE, ensure the admin, serve
//	migrate  bring the database schema up to date and exit
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/telemetry"

	"github.com/moviesplatform/auth-svc/app"
)

const name = "auth-svc"

type settings struct {
	config.Common
	app.Config
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if cmd != "serve" && cmd != "migrate" {
		return fmt.Errorf("unknown command %q (want serve or migrate)", cmd)
	}
	var cfg settings
	if err := config.Load(&cfg); err != nil {
		return err
	}
	log := logging.New(os.Stderr, cfg.LogLevel, name)
	log.Info("starting", append([]any{"command", cmd}, config.Describe(&cfg)...)...)

	ctx, stop := runner.SignalContext()
	defer stop()
	if cmd == "migrate" {
		return app.Migrate(ctx, cfg.Config, log)
	}

	tracing, err := telemetry.Setup(ctx, name)
	if err != nil {
		return err
	}
	defer tracing.Shutdown(context.WithoutCancel(ctx))
	reg := server.NewRegistry()
	a, err := app.New(ctx, cfg.Config, log, reg)
	if err != nil {
		return err
	}
	return runner.Serve(ctx, log, cfg.Common, tracing, runner.Component{
		Name: name, Addr: cfg.Addr, Handler: a.Handler, Health: a.Health, Registry: reg, Close: a.Close,
	})
}
