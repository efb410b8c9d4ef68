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
	"io"
	"os"
	"strings"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/telemetry"

	authapp "github.com/moviesplatform/auth-svc/app"
	catalogapp "github.com/moviesplatform/catalog-svc/app"
)

const name = "moviesd"

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", targetAll, "modules to run: all, or a comma-separated list of "+strings.Join(modules, ", "))
	if err := fs.Parse(args); err != nil {
		return err
	}
	cmd, rest := "serve", fs.Args()
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	switch {
	case cmd == "import" && len(rest) <= 1:
	case (cmd == "serve" || cmd == "migrate") && len(rest) == 0:
	default:
		return fmt.Errorf("usage: %s [-target=...] [serve|migrate|import [file]]", name)
	}
	targets, err := parseTargets(*target)
	if err != nil {
		return err
	}

	var common config.Common
	var cfg settings
	if err := config.Load(&common); err != nil {
		return err
	}
	if err := config.Load(&cfg); err != nil {
		return err
	}
	log := logging.New(stderr, common.LogLevel, name)
	log.Info("starting", append([]any{"command", cmd, "targets", strings.Join(targets, ",")},
		append(config.Describe(&common), config.Describe(&cfg)...)...)...)

	ctx, stop := runner.SignalContext()
	defer stop()
	switch cmd {
	case "migrate":
		if err := catalogapp.Migrate(ctx, cfg.Catalog, log); err != nil {
			return err
		}
		return authapp.Migrate(ctx, cfg.Auth, log)
	case "import":
		path := ""
		if len(rest) == 1 {
			path = rest[0]
		}
		return catalogapp.Import(ctx, cfg.Catalog, log, path)
	}

	tracing, err := telemetry.Setup(ctx, name)
	if err != nil {
		return err
	}
	defer tracing.Shutdown(context.WithoutCancel(ctx))
	a := &assembly{cfg: cfg, log: log}
	if err := a.build(ctx, targets); err != nil {
		return err
	}
	return runner.Serve(ctx, log, common, tracing, a.comps...)
}
