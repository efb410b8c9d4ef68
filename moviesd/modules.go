package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/telemetry"

	authapp "github.com/moviesplatform/auth-svc/app"
	"github.com/moviesplatform/auth-svc/auth"
	catalogapp "github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/catalog-svc/catalog"
	gatewayapp "github.com/moviesplatform/gateway/app"
	searchapp "github.com/moviesplatform/search-svc/app"
	"github.com/moviesplatform/search-svc/search"
)

// Module names, as -target takes them.
const (
	targetAll     = "all"
	targetCatalog = "catalog"
	targetAuth    = "auth"
	targetSearch  = "search"
	targetGateway = "gateway"
)

// modules lists every module in dependency order: a module is built after
// the ones it may call in-process.
var modules = []string{targetCatalog, targetAuth, targetSearch, targetGateway}

// callers are the modules that call each module. A module whose callers
// all run in this process is called in-process only, and opens no port:
// with -target=all, nothing but the gateway listens, and the internal
// services need no keys, since no call between them leaves the process.
var callers = map[string][]string{
	targetCatalog: {targetGateway, targetSearch},
	targetAuth:    {targetGateway},
	targetSearch:  {targetGateway},
}

// settings is the whole configuration of the process; each service reads
// its own MOVIES_<SERVICE>_* variables.
type settings struct {
	config.Common
	// DBAdminDSN is the MySQL account `moviesd db-users` creates the
	// services' accounts with; nothing else reads it.
	DBAdminDSN string `env:"DB_ADMIN_DSN" secret:"true"`
	Catalog    catalogapp.Config
	Auth       authapp.Config
	Search     searchapp.Config
	Gateway    gatewayapp.Config
}

// assembly builds the modules of one process. Services built here are
// handed to the later modules, so calls between modules of one process stay
// in-process; a module not built here is reached over HTTP at its URL.
type assembly struct {
	cfg settings
	log *slog.Logger
	// tracing traces every module; in-process calls between modules keep
	// a span per service hop (endpointmw), as over HTTP.
	tracing *telemetry.Tracing
	catalog catalog.Service
	auth    auth.Service
	search  search.Service
	comps   []runner.Component
}

// parseTargets turns "-target=all" or "-target=catalog,auth" into modules.
func parseTargets(raw string) ([]string, error) {
	if raw == targetAll || raw == "" {
		return modules, nil
	}
	var out []string
	for _, t := range strings.Split(raw, ",") {
		t = strings.TrimSpace(t)
		if !slices.Contains(modules, t) {
			return nil, fmt.Errorf("unknown target %q (want all or any of %s)", t, strings.Join(modules, ", "))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	// Build in dependency order whatever order they were named in.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(modules, a) - slices.Index(modules, b) })
	return out, nil
}

// build initializes the targets, closing what it built if one fails.
func (a *assembly) build(ctx context.Context, targets []string) (err error) {
	defer func() {
		if err != nil {
			for _, c := range slices.Backward(a.comps) {
				if c.Close != nil {
					_ = c.Close()
				}
			}
		}
	}()
	for t, cs := range callers {
		if slices.Contains(targets, t) && !slices.ContainsFunc(cs, func(c string) bool { return !slices.Contains(targets, c) }) {
			a.noPort(t)
		}
	}
	for _, t := range targets {
		reg := server.NewRegistry()
		log := a.log.With("module", t)
		var c runner.Component
		switch t {
		case targetCatalog:
			c, err = a.buildCatalog(ctx, log, reg)
		case targetAuth:
			c, err = a.buildAuth(ctx, log, reg)
		case targetSearch:
			c, err = a.buildSearch(ctx, log, reg)
		case targetGateway:
			c, err = a.buildGateway(ctx, log, reg)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		c.Name, c.Registry = t, reg
		a.comps = append(a.comps, c)
	}
	return nil
}

// noPort keeps module t from opening its port.
func (a *assembly) noPort(t string) {
	switch t {
	case targetCatalog:
		a.cfg.Catalog.Addr = ""
	case targetAuth:
		a.cfg.Auth.Addr = ""
	case targetSearch:
		a.cfg.Search.Addr = ""
	}
}

func (a *assembly) buildCatalog(ctx context.Context, log *slog.Logger, reg *prometheus.Registry) (runner.Component, error) {
	app, err := catalogapp.New(ctx, a.cfg.Catalog, log, reg, a.tracing)
	if err != nil {
		return runner.Component{}, err
	}
	a.catalog = app.Service
	return runner.Component{Addr: a.cfg.Catalog.Addr, Handler: app.Handler, Health: app.Health, Close: app.Close, Background: app.Run}, nil
}

func (a *assembly) buildAuth(ctx context.Context, log *slog.Logger, reg *prometheus.Registry) (runner.Component, error) {
	app, err := authapp.New(ctx, a.cfg.Auth, log, reg, a.tracing)
	if err != nil {
		return runner.Component{}, err
	}
	a.auth = app.Service
	return runner.Component{Addr: a.cfg.Auth.Addr, Handler: app.Handler, Health: app.Health, Close: app.Close}, nil
}

func (a *assembly) buildSearch(ctx context.Context, log *slog.Logger, reg *prometheus.Registry) (runner.Component, error) {
	deps := searchapp.Deps{}
	if a.catalog != nil {
		deps.Feed, deps.Leases = a.catalog, a.catalog
	}
	app, err := searchapp.New(ctx, a.cfg.Search, log, reg, a.tracing, deps)
	if err != nil {
		return runner.Component{}, err
	}
	a.search = app.Service
	return runner.Component{
		Addr: a.cfg.Search.Addr, Handler: app.Handler, Health: app.Health, Close: app.Close, Background: app.Run,
	}, nil
}

func (a *assembly) buildGateway(ctx context.Context, log *slog.Logger, reg *prometheus.Registry) (runner.Component, error) {
	deps := gatewayapp.Deps{Catalog: a.catalog, Auth: a.auth}
	if a.search != nil {
		deps.Search = a.search
	}
	app, err := gatewayapp.New(ctx, a.cfg.Gateway, log, reg, a.tracing, deps)
	if err != nil {
		return runner.Component{}, err
	}
	return runner.Component{Addr: a.cfg.Gateway.Addr, Handler: app.Handler, Health: app.Health, Close: app.Close, Edge: app.Edge}, nil
}
