// Package app assembles auth-svc from its configuration: database,
// migrations, the admin account, the service with its middlewares, and the
// HTTP handler. cmd/auth-svc and the all-in-one binary both build it here.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/auth-svc/store"
	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/telemetry"
)

// Config is auth-svc's configuration (variables under MOVIES_).
type Config struct {
	// Addr is auth-svc's port; empty serves none (moviesd when the gateway
	// runs in its process).
	Addr string `env:"AUTH_ADDR" envDefault:":8082"`
	// Identity holds the keys of the services allowed to call the port
	// (MOVIES_AUTH_SERVICE_TRUSTED_KEYS).
	Identity servicetoken.Config `envPrefix:"AUTH_"`
	DBDriver string              `env:"AUTH_DB_DRIVER" envDefault:"sqlite"`
	// DBDSN may hold a database password, so the start-up log masks it.
	DBDSN string `env:"AUTH_DB_DSN" envDefault:"file:data/auth.db" secret:"true"`
	// DBMigrateDSN is the migrate account's DSN (DDL on auth's schema),
	// which migrations use when set; DBDSN's account then needs rows only
	// (sqldb.RuntimeRole). Empty: migrations use DBDSN.
	DBMigrateDSN string `env:"AUTH_DB_MIGRATE_DSN" secret:"true"`
	// DBMaxOpenConns caps the MySQL pool; 0 keeps sqldb's 64.
	DBMaxOpenConns int  `env:"AUTH_DB_MAX_OPEN_CONNS"`
	Migrate        bool `env:"AUTH_MIGRATE" envDefault:"true"`
	// AdminUsername and AdminPassword, when set, are made an admin account
	// at every start (created, or its password and role fixed).
	AdminUsername string `env:"ADMIN_USERNAME"`
	AdminPassword string `env:"ADMIN_PASSWORD" secret:"true"`
	// DevAdmin, when no admin is configured, ensures an admin "admin" with a
	// random password, logged once and written to DevAdminFile, which later
	// starts reuse. For the one-command local run only.
	DevAdmin     bool   `env:"AUTH_DEV_ADMIN" envDefault:"false"`
	DevAdminFile string `env:"AUTH_DEV_ADMIN_FILE"`
	// BcryptCost is the work factor of new password hashes.
	BcryptCost int `env:"AUTH_BCRYPT_COST" envDefault:"10"`
	// Zero or less in code means auth.Options' default.
	// TokenMaxAge is how long a token lives from its login, however much
	// it is used; TokenIdleTimeout how long it lives unused.
	TokenMaxAge      time.Duration `env:"AUTH_TOKEN_MAX_AGE" envDefault:"720h"`
	TokenIdleTimeout time.Duration `env:"AUTH_TOKEN_IDLE_TIMEOUT" envDefault:"168h"`
	// TokenLastUsedStep is how stale a token's recorded last use may get
	// before a check writes it again: the precision of the idle timeout,
	// bought with one write per token per step instead of per request.
	TokenLastUsedStep time.Duration `env:"AUTH_TOKEN_LAST_USED_STEP" envDefault:"1h"`

	// Redis shares the failed-login throttle between replicas
	// (MOVIES_AUTH_REDIS_ADDR, _USERNAME, _PASSWORD, _DB, _TLS_*); empty
	// keeps it per process. While Redis fails, each replica throttles alone.
	Redis config.Redis `envPrefix:"AUTH_REDIS_"`
	// RedisNamespace starts every key, so environments can share a Redis.
	RedisNamespace string `env:"AUTH_REDIS_NAMESPACE" envDefault:"movies:auth"`
	// RedisTimeout is the budget of each Redis call; past it the login is
	// throttled in process.
	RedisTimeout time.Duration `env:"AUTH_REDIS_TIMEOUT" envDefault:"50ms"`
	// RedisBreakerOpen is how long Redis is left alone after 5 failures in
	// a row.
	RedisBreakerOpen time.Duration `env:"AUTH_REDIS_BREAKER_OPEN" envDefault:"2s"`
}

// App is a built auth-svc.
type App struct {
	// Service is the auth service with its logging and metrics.
	Service auth.Service
	// Handler serves the service's routes (not the operational endpoints).
	Handler http.Handler
	// Health has the database readiness check.
	Health *server.Health

	db    *sql.DB
	redis *redisx.Client
}

// New opens the database, migrates it when cfg.Migrate, ensures the admin
// account, and builds the service and its handler. Metrics go to reg.
//
// Its calls and SQL statements are traced on tr (nil: tracing off).
func New(ctx context.Context, cfg Config, log *slog.Logger, reg *prometheus.Registry, tr *telemetry.Tracing) (*App, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var guard *servicetoken.Guard
	if cfg.Addr != "" {
		var err error
		if guard, err = cfg.Identity.Guard(auth.ServiceName, "MOVIES_AUTH_", log); err != nil {
			return nil, err
		}
	}
	db, driver, err := open(ctx, cfg, sqldb.WithTracing(tr.TracerProvider()), sqldb.WithMetrics(sqldb.NewMetrics(reg), "primary"), sqldb.WithMaxOpenConns(cfg.DBMaxOpenConns))
	if err != nil {
		return nil, err
	}
	a := &App{Health: server.NewHealth(), db: db}
	if err := a.build(ctx, cfg, driver, log, reg, tr, guard); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context, cfg Config, driver sqldb.Driver, log *slog.Logger, reg *prometheus.Registry, tr *telemetry.Tracing, guard *servicetoken.Guard) error {
	if cfg.Migrate {
		if err := migrate(ctx, cfg, a.db, driver); err != nil {
			return err
		}
	}
	users := store.New(a.db, driver)
	conn, err := redisx.SettingsFor(cfg.Redis)
	if err != nil {
		return fmt.Errorf("MOVIES_AUTH_REDIS_*: %w", err)
	}
	if conn.Addr != "" {
		conn.Budget, conn.BreakerOpen, conn.Name = cfg.RedisTimeout, cfg.RedisBreakerOpen, "auth-throttle-redis"
		a.redis = redisx.New(conn, redisx.Hooks{})
		reg.MustRegister(a.redis.PoolCollector("auth-throttle"))
		// Redis down leaves logins throttled per replica; Redis refusing
		// its credentials is a misconfiguration that must stop a rollout.
		a.Health.AddCheck("redis-credentials", redisx.Logged("auth-throttle", log, a.redis.Credentials))
	}
	basic, err := auth.NewBasicService(users, auth.Options{
		BcryptCost: cfg.BcryptCost, TokenMaxAge: cfg.TokenMaxAge, TokenIdleTimeout: cfg.TokenIdleTimeout, LastUsedStep: cfg.TokenLastUsedStep,
		SharedThrottle: a.redis, ThrottleNamespace: cfg.RedisNamespace,
	})
	if err != nil {
		return err
	}
	if err := ensureAdmin(ctx, cfg, basic, log); err != nil {
		return err
	}
	a.Health.AddCheck("database", users.Ping)

	e := auth.MakeEndpoints(basic).Use(endpointmw.Standard(auth.ServiceName, endpointmw.Observers{Log: log, Metrics: reg, Tracer: tr.TracerProvider()})...)
	a.Service = e.Service()
	if guard != nil {
		a.Handler = httpx.Chain(auth.NewHTTPHandler(e, log, httpx.NewHTTPMetrics(reg), guard),
			httpx.Recover(log), httpx.WithRequestID, httpx.AccessLog(log))
	}
	return nil
}

// Close closes the database and Redis.
func (a *App) Close() error {
	if a.redis != nil {
		a.redis.Close()
	}
	return a.db.Close()
}

// Migrate brings the configured database's schema up to date (the migrate
// subcommand; a Kubernetes Job runs it before a rollout).
func Migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, driver, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrate(ctx, cfg, db, driver); err != nil {
		return err
	}
	log.Info("auth database migrated", "driver", driver)
	return nil
}

// migrate applies auth's migrations with the migrate account when one is
// configured, else on db.
func migrate(ctx context.Context, cfg Config, db *sql.DB, driver sqldb.Driver) error {
	return sqldb.WithMigrateDB(ctx, driver, db, cfg.DBMigrateDSN, func(mdb *sql.DB) error {
		return store.Migrate(ctx, mdb, driver)
	})
}

func open(ctx context.Context, cfg Config, opts ...sqldb.Option) (*sql.DB, sqldb.Driver, error) {
	driver, err := sqldb.ParseDriver(cfg.DBDriver)
	if err != nil {
		return nil, "", fmt.Errorf("MOVIES_AUTH_DB_DRIVER: %w", err)
	}
	db, err := sqldb.Open(ctx, driver, cfg.DBDSN, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("auth database: %w", err)
	}
	return db, driver, nil
}

func (cfg Config) validate() error {
	if (cfg.AdminUsername == "") != (cfg.AdminPassword == "") {
		return errors.New("set both MOVIES_ADMIN_USERNAME and MOVIES_ADMIN_PASSWORD, or neither")
	}
	return nil
}
