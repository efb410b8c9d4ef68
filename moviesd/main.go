// Command moviesd runs the movies platform's services in one process, in
// the manner of Grafana Tempo's -target: `-target=all` (the default) runs
// every service with in-process calls between them; `-target=catalog` (or a
// comma-separated list) runs only those, reaching the others over HTTP.
//
// Usage:
//
//	moviesd [-target=all|catalog|auth|search|gateway[,...]]
//	moviesd migrate          bring the catalog and auth schemas up to date and exit
//	moviesd import [file]    load an imdb.json-format file into the catalog and exit
package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/moviesplatform/platform/runner"

	authapp "github.com/moviesplatform/auth-svc/app"
	catalogapp "github.com/moviesplatform/catalog-svc/app"
)

func main() {
	var cfg settings
	runner.Main("moviesd", &cfg, func(ctx context.Context, p runner.Process, args []string) error {
		fs := flag.NewFlagSet(p.Name, flag.ContinueOnError)
		target := fs.String("target", targetAll, "modules to run: all, or a comma-separated list of "+strings.Join(modules, ", "))
		if err := fs.Parse(args); err != nil {
			return err
		}
		targets, err := parseTargets(*target)
		if err != nil {
			return err
		}
		cmd, rest := "serve", fs.Args()
		if len(rest) > 0 {
			cmd, rest = rest[0], rest[1:]
		}
		switch {
		case cmd == "migrate" && len(rest) == 0:
			if err := catalogapp.Migrate(ctx, cfg.Catalog, p.Log); err != nil {
				return err
			}
			return authapp.Migrate(ctx, cfg.Auth, p.Log)
		case cmd == "import" && len(rest) <= 1:
			path := ""
			if len(rest) == 1 {
				path = rest[0]
			}
			return catalogapp.Import(ctx, cfg.Catalog, p.Log, path)
		case cmd == "serve" && len(rest) == 0:
		default:
			return fmt.Errorf("usage: %s [-target=...] [serve|migrate|import [file]]", p.Name)
		}
		p.Log.Info("modules", "targets", strings.Join(targets, ","))
		a := &assembly{cfg: cfg, log: p.Log, tracing: p.Tracing}
		if err := a.build(ctx, targets); err != nil {
			return err
		}
		return p.Serve(ctx, a.comps...)
	})
}
