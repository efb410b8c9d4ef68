// Package sqldb opens the platform's SQL databases, the embedded SQLite
// (modernc.org/sqlite, pure Go) and MySQL/MariaDB/Vitess
// (github.com/go-sql-driver/mysql), with pool and session settings that suit
// each, and applies a service's versioned, embedded migrations (goose).
package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/XSAM/otelsql"
	"github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
)

// Driver names a supported database.
type Driver string

// The supported drivers.
const (
	SQLite Driver = "sqlite"
	MySQL  Driver = "mysql"
)

// ParseDriver validates a configured driver name.
func ParseDriver(s string) (Driver, error) {
	switch d := Driver(strings.ToLower(s)); d {
	case SQLite, MySQL:
		return d, nil
	}
	return "", fmt.Errorf("unknown database driver %q (want sqlite or mysql)", s)
}

// Open connects to dsn and checks the connection.
//
// SQLite: dsn is a path or file: URI; WAL, a busy timeout, foreign keys and
// immediate write transactions are switched on, and the parent directory is
// created. MySQL: a go-sql-driver DSN; parseTime and UTC are forced, utf8mb4 is the default.
func Open(ctx context.Context, driver Driver, dsn string, opts ...Option) (*sql.DB, error) {
	o := newOptions(opts)
	var (
		db  *sql.DB
		err error
	)
	switch driver {
	case SQLite:
		db, err = openSQLite(dsn, o)
	case MySQL:
		db, err = openMySQL(dsn, o)
	default:
		return nil, fmt.Errorf("unknown database driver %q", driver)
	}
	if err != nil {
		return nil, err
	}
	if o.metrics != nil {
		if err := o.metrics.register(db, o.dbName); err != nil {
			db.Close()
			return nil, err
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", driver, err)
	}
	return db, nil
}

func openSQLite(dsn string, o options) (*sql.DB, error) {
	path, query, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == "" {
		return nil, fmt.Errorf("sqlite: empty path in DSN %q", dsn)
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("sqlite DSN: %w", err)
	}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	// Writers take the lock at BEGIN, so two writers queue on busy_timeout
	// instead of failing with SQLITE_BUSY on lock upgrade.
	q.Set("_txlock", "immediate")
	connector, err := sqlite.NewConnector("file:" + path + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite DSN: %w", err)
	}
	db := o.openDB(connector, SQLite)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

func openMySQL(dsn string, o options) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mysql DSN: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Collation == "" {
		cfg.Collation = "utf8mb4_unicode_ci" // case-insensitive, as DRF's icontains
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := o.openDB(connector, MySQL)
	maxOpen := 64
	if o.maxOpen > 0 {
		maxOpen = o.maxOpen
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxLifetime(5 * time.Minute)
	db.SetConnMaxIdleTime(time.Minute)
	return db, nil
}

// openDB is the pool over c, its statements timed and traced as o says.
func (o options) openDB(c driver.Connector, d Driver) *sql.DB {
	if o.metrics != nil {
		c = timedConnector{Connector: c, m: o.metrics}
	}
	if o.traced() {
		return otelsql.OpenDB(c, o.otelsql(d)...)
	}
	return sql.OpenDB(c)
}

// Migrate applies the migrations in fsys (goose SQL files, 00001_name.sql)
// that db has not seen yet. table names the version table, so services that
// share one database keep separate histories.
func Migrate(ctx context.Context, db *sql.DB, driver Driver, fsys fs.FS, table string) error {
	dialect := goose.DialectSQLite3
	if driver == MySQL {
		dialect = goose.DialectMySQL
	}
	table, err := versionTable(ctx, db, driver, table)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, db, fsys, goose.WithTableName(table), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// WithMigrateDB calls fn with the database a service's migrations run on:
// db itself when migrateDSN is empty (one account does both), else a
// connection to migrateDSN, the service's migrate account (DDL), opened for
// fn and closed after, so the pool db serves from never holds DDL rights.
func WithMigrateDB(ctx context.Context, driver Driver, db *sql.DB, migrateDSN string, fn func(*sql.DB) error) error {
	if migrateDSN == "" {
		return fn(db)
	}
	mdb, err := Open(ctx, driver, migrateDSN)
	if err != nil {
		return fmt.Errorf("migrate account: %w", err)
	}
	defer mdb.Close()
	return fn(mdb)
}
