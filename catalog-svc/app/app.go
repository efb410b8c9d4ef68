// Package app assembles catalog-svc from its configuration: database,
// migrations, the first import of the reference data, the service with its
// middlewares, and the HTTP handler. cmd/catalog-svc and the all-in-one
// binary both build it here.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/cache"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/importer"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/telemetry"
)

// Config is catalog-svc's configuration (variables under MOVIES_).
type Config struct {
	// Addr is the catalog's port; empty serves none (moviesd when every
	// caller runs in its process).
	Addr string `env:"CATALOG_ADDR" envDefault:":8081"`
	// Identity holds the keys of the services allowed to call the port
	// (MOVIES_CATALOG_SERVICE_TRUSTED_KEYS).
	Identity servicetoken.Config `envPrefix:"CATALOG_"`
	DBDriver string              `env:"CATALOG_DB_DRIVER" envDefault:"sqlite"`
	// DBDSN may hold a database password, so the start-up log masks it.
	DBDSN string `env:"CATALOG_DB_DSN" envDefault:"file:data/catalog.db" secret:"true"`
	// DBMigrateDSN is the migrate account's DSN (DDL on the catalog's
	// schema), which migrations use when set; DBDSN's account then needs
	// rows only (sqldb.RuntimeRole). Empty: migrations use DBDSN.
	DBMigrateDSN string `env:"CATALOG_DB_MIGRATE_DSN" secret:"true"`
	// ReplicaDSNs are read replicas (mysql only): Get, List and the change
	// feed read from a healthy one, writes go to DBDSN. Behind vtgate, DBDSN
	// ends in /<keyspace>@primary and the one replica DSN in @replica.
	ReplicaDSNs []string `env:"CATALOG_DB_REPLICA_DSNS" envSeparator:"," secret:"true"`
	// DBMaxOpenConns caps each MySQL pool (the primary's and every
	// replica's); 0 keeps sqldb's 64.
	DBMaxOpenConns int `env:"CATALOG_DB_MAX_OPEN_CONNS"`
	// ReplicaMaxLag takes a replica lagging more out of read rotation. 0
	// turns the lag check off, as do replica DSNs through vtgate
	// (keyspace@replica), which checks lag itself.
	ReplicaMaxLag time.Duration `env:"CATALOG_DB_REPLICA_MAX_LAG" envDefault:"5s"`
	// ReplicaCheckInterval is the time between two replica health checks.
	ReplicaCheckInterval time.Duration `env:"CATALOG_DB_REPLICA_CHECK_INTERVAL" envDefault:"1s"`
	// ReadYourWritesWindow is how long a writer's reads go to the primary
	// after its write; 0 derives it from the lag bound (see replicas.go).
	ReadYourWritesWindow time.Duration `env:"CATALOG_READ_YOUR_WRITES_WINDOW"`
	// ReadStatementTimeout is how long the database server lets one
	// statement of a list or `?search=` scan run before it stops it, so a
	// scan whose client gave up does not keep a core (the gateway waits 3s
	// by default). 0 turns the limit off. SQLite stops statements when
	// their client goes away and needs none.
	ReadStatementTimeout time.Duration `env:"CATALOG_DB_READ_STATEMENT_TIMEOUT" envDefault:"3s"`
	Migrate              bool          `env:"CATALOG_MIGRATE" envDefault:"true"`
	// ImportIfEmpty loads ImportFile into a catalog with no movies at start.
	ImportIfEmpty bool `env:"CATALOG_IMPORT_IF_EMPTY" envDefault:"true"`
	// ImportFile is an imdb.json-format file; empty means the reference
	// dataset built into the binary.
	ImportFile string `env:"CATALOG_IMPORT_FILE"`
	// RequireIfMatch refuses PUT, PATCH and DELETE without If-Match (428):
	// every write must name the version it changes.
	RequireIfMatch bool `env:"CATALOG_REQUIRE_IF_MATCH" envDefault:"false"`
	// IdempotencyTTL is how long a create's Idempotency-Key is remembered
	// (a retry within it gets the first answer); older keys are trimmed.
	// 0 or less means the default: keys that expire at once would make
	// every retry a new movie.
	IdempotencyTTL time.Duration `env:"CATALOG_IDEMPOTENCY_TTL" envDefault:"24h"`
	// FeedMaxAge: change-feed rows older than this are trimmed (when a
	// later change of their movie supersedes them) even if a registered
	// consumer has not passed them; 0 trims only what every consumer passed.
	FeedMaxAge time.Duration `env:"CATALOG_FEED_MAX_AGE" envDefault:"168h"`
	// FeedTrimInterval is how often feed retention runs (0: never).
	FeedTrimInterval time.Duration `env:"CATALOG_FEED_TRIM_INTERVAL" envDefault:"1m"`
	// Cache is the read-through cache (MOVIES_CATALOG_REDIS_*, MOVIES_CATALOG_CACHE_*).
	Cache cache.Config
}

// App is a built catalog-svc.
type App struct {
	// Service is the catalog with its logging and metrics.
	Service catalog.Service
	// Handler serves the catalog's routes (not the operational endpoints).
	Handler http.Handler
	// Health has the database readiness check.
	Health *server.Health

	db *sql.DB
	// trimmer runs feed retention (Run).
	trimmer *feedTrimmer
	// replicas is nil without replica DSNs.
	replicas *replicaReads
	// cache is nil when disabled.
	cache *cache.Cache
}

// New opens the database, migrates it when cfg.Migrate, imports the
// dataset into an empty catalog when cfg.ImportIfEmpty, and builds the
// service and its handler. Metrics go to reg; the service's calls and its
// SQL statements are traced on tr (nil: tracing off).
func New(ctx context.Context, cfg Config, log *slog.Logger, reg *prometheus.Registry, tr *telemetry.Tracing) (*App, error) {
	var guard *servicetoken.Guard
	if cfg.Addr != "" {
		var err error
		if guard, err = cfg.Identity.Guard(catalog.ServiceName, "MOVIES_CATALOG_", log); err != nil {
			return nil, err
		}
	}
	sqlm := sqldb.NewMetrics(reg)
	db, s, err := open(ctx, cfg, cfg.Migrate, log, sqldb.WithTracing(tr.TracerProvider()), sqldb.WithMetrics(sqlm, "primary"), sqldb.WithMaxOpenConns(cfg.DBMaxOpenConns))
	if err != nil {
		return nil, err
	}
	if cfg.ImportIfEmpty {
		if err := importIfEmpty(ctx, cfg, db, s, log); err != nil {
			db.Close()
			return nil, err
		}
	}
	a := &App{Health: server.NewHealth(), db: db, trimmer: newFeedTrimmer(s, cfg, log.With("component", "feed-retention"), reg)}
	a.Health.AddCheck("database", s.Ping)
	mws := endpointmw.Standard(catalog.ServiceName, endpointmw.Observers{Log: log, Metrics: reg, Tracer: tr.TracerProvider()})
	if a.replicas, err = openReplicaReads(ctx, cfg, db, log, reg, sqldb.WithTracing(tr.TracerProvider()), sqldb.WithMetrics(sqlm, ""), sqldb.WithMaxOpenConns(cfg.DBMaxOpenConns)); err != nil {
		db.Close()
		return nil, err
	}
	if a.replicas != nil {
		s = s.With(a.replicas.storeOption)
		a.Health.AddDetail("replicas", a.replicas.status)
	}
	if a.cache, err = newCache(cfg, a.replicas, log, reg, tr, a.Health); err != nil {
		a.Close()
		return nil, err
	}
	if a.replicas != nil {
		// Above the cache, which must see that a read wants the primary.
		mws = append(mws, a.replicas.middleware(cfg, a.cache, log))
	}
	e := catalog.New(cachedStore(a.cache, s, a.Health), catalog.Options{RequireIfMatch: cfg.RequireIfMatch}, mws...)
	a.Service = e.Service()
	if guard != nil {
		a.Handler = httpx.Chain(catalog.NewHTTPHandler(e, log, httpx.NewHTTPMetrics(reg), guard),
			httpx.Recover(log), httpx.WithRequestID, httpx.AccessLog(log))
	}
	return a, nil
}

// Run trims the change feed until ctx ends (runner.Component's
// Background).
func (a *App) Run(ctx context.Context) error { return a.trimmer.Run(ctx) }

// Close stops the replica checks and closes the databases.
func (a *App) Close() error {
	if a.cache != nil {
		a.cache.Close()
	}
	if a.replicas != nil {
		a.replicas.cluster.Close()
	}
	return a.db.Close()
}

// Migrate brings the catalog schema up to date.
func Migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, _, err := open(ctx, cfg, true, log)
	if err != nil {
		return err
	}
	return db.Close()
}

// Import loads the imdb.json-format file at path ("" = the reference
// dataset) into the catalog, skipping movies already there. It migrates
// first when cfg.Migrate.
func Import(ctx context.Context, cfg Config, log *slog.Logger, path string) error {
	db, s, err := open(ctx, cfg, cfg.Migrate, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := runImport(ctx, cfg, db, s, log, path); err != nil {
		return err
	}
	announceImport(ctx, cfg, log)
	return nil
}

func importIfEmpty(ctx context.Context, cfg Config, db *sql.DB, s *store.SQL, log *slog.Logger) error {
	n, err := s.Count(ctx)
	if err != nil {
		return fmt.Errorf("count movies: %w", err)
	}
	if n > 0 {
		return nil
	}
	return runImport(ctx, cfg, db, s, log, cfg.ImportFile)
}

// runImport imports the file at path ("" = the reference dataset): into an
// empty catalog with the bulk loader, else movie by movie through s,
// skipping those present.
func runImport(ctx context.Context, cfg Config, db *sql.DB, s *store.SQL, log *slog.Logger, path string) error {
	var src io.Reader = importer.ReferenceDataset()
	name := "reference dataset"
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		src, name = f, path
	}
	driver, err := sqldb.ParseDriver(cfg.DBDriver)
	if err != nil {
		return err
	}
	began := time.Now()
	method := "bulk"
	res, err := importer.ImportEmpty(ctx, src, db, driver)
	if errors.Is(err, importer.ErrNotEmpty) {
		method = "row by row"
		res, err = importer.Import(ctx, src, s, importer.DefaultBatchSize)
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(began)
	log.Info("catalog import done", "source", name, "method", method, "read", res.Read, "added", res.Added, "skipped", res.Skipped,
		"elapsed", elapsed.Round(time.Millisecond), "movies_per_s", int(float64(res.Read)/max(elapsed.Seconds(), 1e-9)))
	return nil
}

// open connects to the configured database, migrating it when asked; opts
// trace and time its statements.
func open(ctx context.Context, cfg Config, migrate bool, log *slog.Logger, opts ...sqldb.Option) (*sql.DB, *store.SQL, error) {
	driver, err := sqldb.ParseDriver(cfg.DBDriver)
	if err != nil {
		return nil, nil, fmt.Errorf("MOVIES_CATALOG_DB_DRIVER: %w", err)
	}
	db, err := sqldb.Open(ctx, driver, cfg.DBDSN, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog database: %w", err)
	}
	if migrate {
		if err := sqldb.WithMigrateDB(ctx, driver, db, cfg.DBMigrateDSN, func(mdb *sql.DB) error {
			return store.Migrate(ctx, mdb, driver)
		}); err != nil {
			db.Close()
			return nil, nil, err
		}
		log.Info("catalog database migrated", "driver", driver)
	}
	flavor, err := sqldb.DetectFlavor(ctx, db, driver)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("catalog database: %w", err)
	}
	s, err := store.New(db, driver, store.LimitReads(sqldb.NewStatementLimit(flavor, cfg.ReadStatementTimeout)),
		store.IdempotencyTTL(cfg.IdempotencyTTL))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	log.Debug("catalog database", "flavor", flavor, "read_statement_timeout", cfg.ReadStatementTimeout)
	return db, s, nil
}
