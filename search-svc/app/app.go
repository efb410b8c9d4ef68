// Package app assembles search-svc from its configuration: the engine
// (embedded Bleve by default, Meilisearch in production), the indexer that
// follows the catalog's change feed, the service with its middlewares, the
// HTTP handler, readiness and the indexer's lag in /readyz. cmd/search-svc
// and the all-in-one binary both build it here.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/telemetry"

	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/bleveengine"
	"github.com/moviesplatform/search-svc/engine/meiliengine"
	"github.com/moviesplatform/search-svc/engine/memengine"
	"github.com/moviesplatform/search-svc/indexer"
	"github.com/moviesplatform/search-svc/search"
)

// Engine names accepted by MOVIES_SEARCH_ENGINE.
const (
	EngineBleve       = "bleve"
	EngineMeilisearch = "meilisearch"
	// EngineMemory keeps the whole index in RAM (postings as roaring
	// bitmaps, terms in an FST), snapshotted to MemoryPath: the fastest
	// embedded engine, for a corpus that fits the pod's memory.
	EngineMemory = "memory"
)

// Config is search-svc's configuration (variables under MOVIES_).
type Config struct {
	// Addr is search-svc's port; empty serves none (moviesd when the
	// gateway runs in its process).
	Addr string `env:"SEARCH_ADDR" envDefault:":8083"`
	// Identity holds the key search-svc presents to the catalog's feed and
	// the keys of the callers allowed on its port
	// (MOVIES_SEARCH_SERVICE_KEY_FILE, MOVIES_SEARCH_SERVICE_TRUSTED_KEYS).
	Identity servicetoken.Config `envPrefix:"SEARCH_"`
	Engine   string              `env:"SEARCH_ENGINE" envDefault:"bleve"`
	// BlevePath holds the embedded engine's indexes; the feed cursor is
	// stored inside the live index.
	BlevePath string `env:"SEARCH_BLEVE_PATH" envDefault:"data/search"`
	// MemoryPath is the memory engine's snapshot file, written every
	// SnapshotEvery and at shutdown so a restart resumes from its cursor;
	// empty keeps nothing across restarts.
	MemoryPath string `env:"SEARCH_MEMORY_PATH" envDefault:"data/search-memory.snapshot"`
	MeiliURL   string `env:"SEARCH_MEILI_URL"`
	// MeiliKey is the indexer's key (writes, settings, swaps); MeiliSearchKey
	// a search-only key, the only one queries carry (empty: MeiliKey).
	MeiliKey       string `env:"SEARCH_MEILI_KEY" secret:"true"`
	MeiliSearchKey string `env:"SEARCH_MEILI_SEARCH_KEY" secret:"true"`
	// MeiliIndex is the live index uid; reindexes build "<uid>_staging_*".
	MeiliIndex string `env:"SEARCH_MEILI_INDEX" envDefault:"movies"`
	// CatalogURL is where the change feed is read when none is passed in.
	CatalogURL string `env:"SEARCH_CATALOG_URL" envDefault:"http://127.0.0.1:8081"`
	// PollInterval is the wait between feed polls once caught up: the
	// longest a change takes to become searchable, plus indexing time.
	PollInterval time.Duration `env:"SEARCH_POLL_INTERVAL" envDefault:"250ms"`
	// IndexerLeaseTTL is the index lease's length: of the replicas sharing
	// one index, only the lease holder indexes, renewing every third of it;
	// a dead holder's standby takes over within it. 0 turns the lease off.
	IndexerLeaseTTL time.Duration `env:"SEARCH_INDEXER_LEASE_TTL" envDefault:"15s"`
}

// prefix starts search-svc's variables, for errors that name one.
const prefix = "MOVIES_SEARCH_"

// Deps are what search-svc can be given instead of building from Config.
type Deps struct {
	// Feed is the catalog's change feed; nil reads it over HTTP from
	// Config.CatalogURL. The all-in-one binary passes the catalog service.
	Feed indexer.Feed
	// Leases are the catalog's feed-consumer leases; nil with Feed nil
	// uses the catalog over HTTP, nil with a Feed runs without a lease.
	// The all-in-one binary passes the catalog service.
	Leases indexer.Leases
	// Engine, when set, is used instead of the configured one.
	Engine engine.Engine
}

// App is a built search-svc.
type App struct {
	Service search.Service
	// Handler serves the search routes (not the operational endpoints).
	Handler http.Handler
	// Health has the engine and index readiness checks and the indexer's
	// progress as detail.
	Health  *server.Health
	Indexer *indexer.Indexer
	Engine  engine.Engine
	// Leader runs the indexer while this replica holds the index's lease;
	// nil without one.
	Leader *indexer.Leader

	httpClient *http.Client
}

// New opens the engine and builds the indexer and the service. The indexer
// does not run until Run is called. The service's calls, the engine's and
// the indexer's work, and the feed and Meilisearch calls are traced on tr
// (nil: tracing off).
func New(ctx context.Context, cfg Config, log *slog.Logger, reg *prometheus.Registry, tr *telemetry.Tracing, deps Deps) (*App, error) {
	a := &App{Health: server.NewHealth(), httpClient: newHTTPClient(tr)}
	var guard *servicetoken.Guard
	if cfg.Addr != "" {
		var err error
		if guard, err = cfg.Identity.Guard(search.ServiceName, prefix, log); err != nil {
			return nil, err
		}
	}
	feed, leases := deps.Feed, deps.Leases
	if feed == nil {
		signer, err := cfg.Identity.Signer(search.ServiceName, prefix)
		if err != nil {
			return nil, err
		}
		hc := *a.httpClient
		hc.Transport = signer.Transport(catalog.ServiceName, hc.Transport)
		c, err := catalog.NewHTTPClient(cfg.CatalogURL, &hc)
		if err != nil {
			return nil, fmt.Errorf("search-svc: catalog feed: %w", err)
		}
		feed = c.Service()
		leases = c.Service()
	}
	eng := deps.Engine
	if eng == nil {
		var err error
		if eng, err = openEngine(ctx, cfg, a.httpClient, log); err != nil {
			return nil, err
		}
	}
	name := cfg.Engine
	if name == "" {
		name = EngineBleve
	}
	// Timed inside the span, so the span covers what the metric measures.
	eng = engine.Instrumented(eng, name, engine.NewMetrics(reg))
	if tr.Enabled() {
		eng = engine.Traced(eng, name, tr.TracerProvider())
	}
	a.Engine = eng
	a.Indexer = indexer.New(feed, eng, log.With("component", "indexer"), reg, indexer.Options{PollInterval: cfg.PollInterval, Tracer: tr.TracerProvider()})
	if leases != nil && cfg.IndexerLeaseTTL > 0 {
		a.Leader = indexer.NewLeader(a.Indexer, leases, log.With("component", "indexer"), reg,
			indexer.LeaseOptions{Consumer: consumerName(cfg), TTL: cfg.IndexerLeaseTTL})
	}
	e := search.New(eng, a.Indexer, endpointmw.Standard(search.ServiceName, endpointmw.Observers{Log: log, Metrics: reg, Tracer: tr.TracerProvider()})...)
	a.Service = e.Service()
	if guard != nil {
		a.Handler = httpx.Chain(search.NewHTTPHandler(e, log, httpx.NewHTTPMetrics(reg), guard),
			httpx.Recover(log), httpx.WithRequestID, httpx.AccessLog(log))
	}
	a.Health.AddCheck("engine", eng.Ping)
	a.Health.AddCheck("index", a.Indexer.Ready)
	a.Health.AddDetail("indexer", func(context.Context) any { return a.Indexer.Status() })
	if a.Leader != nil {
		// A standby is ready: it serves queries from the index the leader writes.
		a.Health.AddDetail("indexer_lease", func(context.Context) any { return a.Leader.Status() })
	}
	return a, nil
}

// consumerName names the index the lease guards, as a feed consumer: a
// Meilisearch index is shared by every replica; a local one (bleve,
// memory) is this host's own, so its replica is always its leader.
func consumerName(cfg Config) string {
	if cfg.Engine == EngineMeilisearch {
		return "search:" + cfg.MeiliIndex
	}
	return "search:local:" + indexer.HostName()[:min(len(indexer.HostName()), 87)]
}

// Run follows the catalog's change feed until ctx ends (runner.Component's
// Background): under the index's lease when there is one.
func (a *App) Run(ctx context.Context) error {
	if a.Leader != nil {
		return a.Leader.Run(ctx)
	}
	return a.Indexer.Run(ctx)
}

// Close stops a background reindex and closes the engine.
func (a *App) Close() error {
	a.Indexer.Stop()
	a.httpClient.CloseIdleConnections()
	return a.Engine.Close()
}

func openEngine(ctx context.Context, cfg Config, hc *http.Client, log *slog.Logger) (engine.Engine, error) {
	switch cfg.Engine {
	case EngineBleve, "":
		return bleveengine.Open(cfg.BlevePath)
	case EngineMemory:
		return memengine.Open(memengine.Config{Path: cfg.MemoryPath, Log: log})
	case EngineMeilisearch:
		return meiliengine.Open(ctx, meiliengine.Config{URL: cfg.MeiliURL, APIKey: cfg.MeiliKey, SearchKey: cfg.MeiliSearchKey, Index: cfg.MeiliIndex, HTTPClient: hc})
	default:
		return nil, errors.New("search-svc: MOVIES_SEARCH_ENGINE must be bleve, memory or meilisearch, not " + cfg.Engine)
	}
}

// newHTTPClient carries feed and Meilisearch calls; per-call deadlines come
// from contexts (the indexer's and the task waits' timeouts). Calls are
// traced on tr, and carry the trace to the catalog.
func newHTTPClient(tr *telemetry.Tracing) *http.Client {
	return &http.Client{Transport: tr.Transport(&http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
	})}
}
