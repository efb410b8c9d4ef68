// Command search-svc serves full-text search over the catalog's movies and
// keeps its index in step with the catalog's change feed.
//
// Usage: search-svc [serve|migrate|reindex]
//
//	serve    (default) open the index, follow the feed, serve searches
//	migrate  search-svc has no schema: it only checks the engine opens, so
//	         the same deploy hooks work for every service
//	reindex  build a fresh index from the whole feed, swap it in, and exit
//	         (for Bleve, only while no server holds the index)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/telemetry"

	"github.com/moviesplatform/search-svc/app"
)

const name = "search-svc"

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
	if len(args) > 1 || (cmd != "serve" && cmd != "migrate" && cmd != "reindex") {
		return fmt.Errorf("usage: %s [serve|migrate|reindex]", name)
	}
	var cfg settings
	if err := config.Load(&cfg); err != nil {
		return err
	}
	log := logging.New(os.Stderr, cfg.LogLevel, name)
	log.Info("starting", append([]any{"command", cmd}, config.Describe(&cfg)...)...)

	ctx, stop := runner.SignalContext()
	defer stop()
	reg := server.NewRegistry()
	a, err := app.New(ctx, cfg.Config, log, reg, app.Deps{})
	if err != nil {
		return err
	}
	switch cmd {
	case "migrate":
		return a.Close()
	case "reindex":
		err := a.Indexer.Reindex(ctx)
		return errors.Join(err, a.Close())
	}

	tracing, err := telemetry.Setup(ctx, name)
	if err != nil {
		_ = a.Close()
		return err
	}
	defer tracing.Shutdown(context.WithoutCancel(ctx))
	return runner.Serve(ctx, log, cfg.Common, tracing, runner.Component{
		Name: name, Addr: cfg.Addr, Handler: a.Handler, Health: a.Health, Registry: reg,
		Close: a.Close, Background: a.Run,
	})
}
