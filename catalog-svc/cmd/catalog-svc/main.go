// Command catalog-svc serves the movie catalog and its change feed.
//
// Usage: catalog-svc [serve|migrate|import [file]|bulkload [file]]
//
//	serve    (default) migrate when MOVIES_CATALOG_MIGRATE, import the reference
//	         data into an empty catalog when MOVIES_CATALOG_IMPORT_IF_EMPTY, serve
//	migrate  bring the database schema up to date and exit
//	import   load an imdb.json-format file (default: the built-in reference
//	         dataset), skipping movies already present, and exit
//	bulkload append movies from a JSON Lines file (default: stdin; e.g. the
//	         output of `loadtest gen`) at bulk speed (package bulk), and exit
package main

import (
	"context"
	"fmt"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/server"

	"github.com/moviesplatform/catalog-svc/app"
)

type settings struct {
	config.Common
	app.Config
}

func main() {
	var cfg settings
	runner.Main("catalog-svc", &cfg, func(ctx context.Context, p runner.Process, args []string) error {
		cmd := "serve"
		if len(args) > 0 {
			cmd, args = args[0], args[1:]
		}
		file := func(def string) string {
			if len(args) == 1 {
				return args[0]
			}
			return def
		}
		switch {
		case cmd == "import" && len(args) <= 1:
			return app.Import(ctx, cfg.Config, p.Log, file(""))
		case cmd == "bulkload" && len(args) <= 1:
			return runBulkload(ctx, cfg.Config, p.Log, file("-"))
		case cmd == "migrate" && len(args) == 0:
			return app.Migrate(ctx, cfg.Config, p.Log)
		case cmd == "serve" && len(args) == 0:
		default:
			return fmt.Errorf("usage: %s [serve|migrate|import [file]|bulkload [file]]", p.Name)
		}
		reg := server.NewRegistry()
		a, err := app.New(ctx, cfg.Config, p.Log, reg, p.Tracing)
		if err != nil {
			return err
		}
		return p.Serve(ctx, runner.Component{
			Name: p.Name, Addr: cfg.Addr, Handler: a.Handler, Health: a.Health, Registry: reg, Close: a.Close, Background: a.Run,
		})
	})
}
