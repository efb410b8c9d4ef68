// Command gateway serves the public movies API in front of catalog-svc,
// auth-svc and search-svc.
//
// Usage: gateway [serve]
package main

import (
	"context"
	"fmt"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/server"

	"github.com/moviesplatform/gateway/app"
)

// settings are the process's variables: the common ones and the gateway's.
type settings struct {
	config.Common
	app.Config
}

func main() {
	var cfg settings
	runner.Main("gateway", &cfg, func(ctx context.Context, p runner.Process, args []string) error {
		if len(args) > 1 || len(args) == 1 && args[0] != "serve" {
			return fmt.Errorf("usage: %s [serve]", p.Name)
		}
		reg := server.NewRegistry()
		a, err := app.New(ctx, cfg.Config, p.Log, reg, p.Tracing, app.Deps{})
		if err != nil {
			return err
		}
		return p.Serve(ctx, runner.Component{
			Name: p.Name, Addr: cfg.Addr, Handler: a.Handler, Health: a.Health, Registry: reg, Close: a.Close, Edge: a.Edge,
		})
	})
}
