// Package sqltest gives tests a fresh database of each kind: a SQLite file in
// the test's temp dir, and a throwaway database on the real MySQL/MariaDB
// server named by MOVIES_TEST_MYSQL_DSN.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/moviesplatform/platform/sqldb"
)

// EnvMySQL names the server the MySQL tests use, as a go-sql-driver DSN
// without a database (e.g. "root@tcp(127.0.0.1:3306)/").
const EnvMySQL = "MOVIES_TEST_MYSQL_DSN"

// Backend is one database kind a conformance suite runs on.
type Backend struct {
	Driver sqldb.Driver
	// DSN makes a new, empty database and returns its DSN.
	DSN func(t testing.TB) string
}

// Backends lists SQLite and, when EnvMySQL is set, MySQL. Under CI=true a
// missing EnvMySQL fails the test rather than silently skipping it.
func Backends(t testing.TB) []Backend {
	out := []Backend{{Driver: sqldb.SQLite, DSN: SQLite}}
	if os.Getenv(EnvMySQL) != "" {
		out = append(out, Backend{Driver: sqldb.MySQL, DSN: MySQL})
	} else if os.Getenv("CI") != "" {
		t.Fatalf("%s is not set: the MySQL conformance run cannot be skipped in CI (make test sets it)", EnvMySQL)
	} else {
		t.Logf("%s not set: MySQL backend skipped (make test runs it)", EnvMySQL)
	}
	return out
}

// SQLite returns the DSN of a new SQLite file removed with the test.
func SQLite(t testing.TB) string {
	return "file:" + filepath.Join(t.TempDir(), "test.db")
}

// MySQL creates a uniquely named database on the EnvMySQL server, drops it
// when the test ends, and returns its DSN. It skips the test when the
// variable is unset.
func MySQL(t testing.TB) string {
	base := os.Getenv(EnvMySQL)
	if base == "" {
		t.Skipf("%s not set", EnvMySQL)
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	name := uniqueName()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sqldb.Open(ctx, sqldb.MySQL, base)
	if err != nil {
		t.Fatalf("mysql test server: %v", err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name)
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

func uniqueName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "movies_test_" + hex.EncodeToString(b[:])
}

// Open opens a new empty database of backend b for the test.
func Open(t testing.TB, b Backend) *sql.DB {
	db, err := sqldb.Open(context.Background(), b.Driver, b.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
