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

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/server"

	"github.com/moviesplatform/search-svc/app"
)

type settings struct {
	config.Common
	app.Config
}

func main() {
	var cfg settings
	runner.Main("search-svc", &cfg, func(ctx context.Context, p runner.Process, args []string) error {
		cmd := "serve"
		if len(args) > 0 {
			cmd = args[0]
		}
		if len(args) > 1 || (cmd != "serve" && cmd != "migrate" && cmd != "reindex") {
			return fmt.Errorf("usage: %s [serve|migrate|reindex]", p.Name)
		}
		reg := server.NewRegistry()
		a, err := app.New(ctx, cfg.Config, p.Log, reg, p.Tracing, app.Deps{})
		if err != nil {
			return err
		}
		switch cmd {
		case "migrate":
			return a.Close()
		case "reindex":
			return errors.Join(a.Indexer.Reindex(ctx), a.Close())
		}
		return p.Serve(ctx, runner.Component{
			Name: p.Name, Addr: cfg.Addr, Handler: a.Handler, Health: a.Health, Registry: reg,
			Close: a.Close, Background: a.Run,
		})
	})
}
