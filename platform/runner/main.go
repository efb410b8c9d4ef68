package runner

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/telemetry"
)

// Settings is a binary's whole configuration: a struct embedding
// config.Common beside the service's own settings.
type Settings interface {
	CommonConfig() config.Common
}

// Process is what Main has set up before a binary's command runs.
type Process struct {
	Name   string
	Log    *slog.Logger
	Common config.Common
	// Tracing is set up from the OTEL_* variables before the command runs,
	// so the apps it builds pass it to their endpoints, clients and
	// databases; nil when tracing is off.
	Tracing *telemetry.Tracing
}

// Main is the body of every binary's main: it loads cfg (a pointer) from the
// environment, builds the logger, logs the resolved configuration with
// secrets masked, cancels the context on SIGINT/SIGTERM, and runs cmd with
// the command-line arguments. An error is printed and exits with status 1.
func Main(name string, cfg Settings, cmd func(ctx context.Context, p Process, args []string) error) {
	if err := run(name, cfg, cmd, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func run(name string, cfg Settings, cmd func(context.Context, Process, []string) error, args []string) error {
	if err := config.Load(cfg); err != nil {
		return err
	}
	common := cfg.CommonConfig()
	log := logging.New(os.Stderr, common.LogLevel, name)
	log.Info("starting", append([]any{"args", args}, config.Describe(cfg)...)...)
	ctx, stop := SignalContext()
	defer stop()
	tracing, err := telemetry.Setup(ctx, name)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	log.Info("tracing", "enabled", tracing.Enabled())
	// Flush the spans of the last requests, past the cancelled context.
	defer tracing.Shutdown(context.WithoutCancel(ctx))
	return cmd(ctx, Process{Name: name, Log: log, Common: common, Tracing: tracing}, args)
}

// Serve serves the components until ctx ends, their requests traced as
// p.Tracing says (see the package-level Serve).
func (p Process) Serve(ctx context.Context, comps ...Component) error {
	return Serve(ctx, p.Log, p.Common, p.Tracing, comps...)
}
