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

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/server"

	"github.com/moviesplatform/auth-svc/app"
)

type settings struct {
	config.Common
	app.Config
}

func main() {
	var cfg settings
	runner.Main("auth-svc", &cfg, func(ctx context.Context, p runner.Process, args []string) error {
		switch {
		case len(args) == 0 || len(args) == 1 && args[0] == "serve":
		case len(args) == 1 && args[0] == "migrate":
			return app.Migrate(ctx, cfg.Config, p.Log)
		default:
			return fmt.Errorf("usage: %s [serve|migrate]", p.Name)
		}
		reg := server.NewRegistry()
		a, err := app.New(ctx, cfg.Config, p.Log, reg, p.Tracing)
		if err != nil {
			return err
		}
		return p.Serve(ctx, runner.Component{
			Name: p.Name, Addr: cfg.Addr, Handler: a.Handler, Health: a.Health, Registry: reg, Close: a.Close,
		})
	})
}
