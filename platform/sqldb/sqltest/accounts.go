package sqltest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/moviesplatform/platform/sqldb"
)

// ServiceAccounts are the DSNs of two services' runtime and migrate
// accounts on the EnvMySQL server, as `moviesd db-users` would make them:
// unique users and schemas that do not exist yet, dropped when the test
// ends. Admin is the server's DSN (a user that may create users).
type ServiceAccounts struct {
	Admin                     string
	Catalog, CatalogMigrate   string
	Auth, AuthMigrate         string
	CatalogSchema, AuthSchema string
}

// NewServiceAccounts picks the names of ServiceAccounts and drops their
// users and schemas when the test ends. Without EnvMySQL it skips the
// test, or fails it under CI=true (ServerDSN).
func NewServiceAccounts(t testing.TB) ServiceAccounts {
	t.Helper()
	base := ServerDSN(t)
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	id := uniqueName()[len("movies_test_"):] // 12 hex digits: users stay within MySQL's 32 characters
	dsn := func(user, schema string) string {
		c := cfg.Clone()
		c.User, c.Passwd, c.DBName = user, "pw-"+user, schema
		return c.FormatDSN()
	}
	a := ServiceAccounts{Admin: base, CatalogSchema: "mt_" + id + "_catalog", AuthSchema: "mt_" + id + "_auth"}
	users := []string{"mt_" + id + "_cat", "mt_" + id + "_catmig", "mt_" + id + "_auth", "mt_" + id + "_authmig"}
	a.Catalog, a.CatalogMigrate = dsn(users[0], a.CatalogSchema), dsn(users[1], a.CatalogSchema)
	a.Auth, a.AuthMigrate = dsn(users[2], a.AuthSchema), dsn(users[3], a.AuthSchema)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sqldb.Open(ctx, sqldb.MySQL, base)
		if err != nil {
			t.Errorf("drop test accounts: %v", err)
			return
		}
		defer admin.Close()
		for _, u := range users {
			_, _ = admin.ExecContext(ctx, "DROP USER IF EXISTS '"+u+"'@'%'")
		}
		for _, s := range []string{a.CatalogSchema, a.AuthSchema} {
			_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+s)
		}
	})
	return a
}

// ServerDSN is the EnvMySQL server's DSN. Without it the test is skipped,
// or fails under CI=true, where the MySQL tests are mandatory.
func ServerDSN(t testing.TB) string {
	t.Helper()
	if base := os.Getenv(EnvMySQL); base != "" {
		return base
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not set: the MySQL tests cannot be skipped in CI (make test sets it)", EnvMySQL)
	}
	t.Skipf("%s not set: MySQL tests skipped (make test runs them)", EnvMySQL)
	return ""
}
