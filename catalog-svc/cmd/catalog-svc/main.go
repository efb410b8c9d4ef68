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
	"os"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/telemetry"

	"github.com/moviesplatform/catalog-svc/app"
)

const name = "catalog-svc"

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
		cmd, args = args[0], args[1:]
	}
	switch {
	case (cmd == "import" || cmd == "bulkload") && len(args) <= 1:
	case (cmd == "serve" || cmd == "migrate") && len(args) == 0:
	default:
		return fmt.Errorf("usage: %s [serve|migrate|import [file]|bulkload [file]]", name)
	}
	var cfg settings
	if err := config.Load(&cfg); err != nil {
		return err
	}
	log := logging.New(os.Stderr, cfg.LogLevel, name)
	log.Info("starting", append([]any{"command", cmd}, config.Describe(&cfg)...)...)

	ctx, stop := runner.SignalContext()
	defer stop()
	switch cmd {
	case "migrate":
		return app.Migrate(ctx, cfg.Config, log)
	case "import":
		path := ""
		if len(args) == 1 {
			path = args[0]
		}
		return app.Import(ctx, cfg.Config, log, path)
	case "bulkload":
		path := "-"
		if len(args) == 1 {
			path = args[0]
		}
		return bulkload(ctx, cfg.Config, log, path)
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
