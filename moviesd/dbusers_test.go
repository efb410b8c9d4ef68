package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/sqldb/sqltest"

	authapp "github.com/moviesplatform/auth-svc/app"
	catalogapp "github.com/moviesplatform/catalog-svc/app"
)

func accountSettings(fx sqltest.ServiceAccounts) settings {
	var cfg settings
	cfg.DBAdminDSN = fx.Admin
	cfg.Catalog = catalogapp.Config{DBDriver: "mysql", DBDSN: fx.Catalog, DBMigrateDSN: fx.CatalogMigrate}
	cfg.Auth = authapp.Config{DBDriver: "mysql", DBDSN: fx.Auth, DBMigrateDSN: fx.AuthMigrate}
	return cfg
}

// TestDBUsers: db-users makes the four accounts (twice, the second run
// changing nothing); migrations then run only with the migrate accounts,
// and both services start, import and write with their runtime accounts.
func TestDBUsers(t *testing.T) {
	ctx := context.Background()
	fx := sqltest.NewServiceAccounts(t)
	cfg := accountSettings(fx)
	for range 2 {
		var out bytes.Buffer
		if err := dbUsers(ctx, cfg, nil, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "SELECT, INSERT, UPDATE, DELETE on "+fx.CatalogSchema+".*") {
			t.Errorf("db-users said:\n%s", out.String())
		}
	}

	// The runtime accounts cannot migrate; the migrate accounts can.
	rtCatalog, rtAuth := cfg.Catalog, cfg.Auth
	rtCatalog.DBMigrateDSN, rtAuth.DBMigrateDSN = "", ""
	if err := catalogapp.Migrate(ctx, rtCatalog, logging.Discard()); err == nil || !strings.Contains(err.Error(), "1142") {
		t.Errorf("catalog migrated with its runtime account: %v", err)
	}
	if err := authapp.Migrate(ctx, rtAuth, logging.Discard()); err == nil || !strings.Contains(err.Error(), "1142") {
		t.Errorf("auth migrated with its runtime account: %v", err)
	}
	if err := catalogapp.Migrate(ctx, cfg.Catalog, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	if err := authapp.Migrate(ctx, cfg.Auth, logging.Discard()); err != nil {
		t.Fatal(err)
	}

	rtCatalog.ImportIfEmpty = true
	c, err := catalogapp.New(ctx, rtCatalog, logging.Discard(), server.NewRegistry(), nil)
	if err != nil {
		t.Fatalf("catalog on its runtime account: %v", err)
	}
	defer c.Close()
	p, err := c.Service.List(ctx, contract.ListQuery{})
	if err != nil || p.Total == nil || *p.Total != 248 {
		t.Fatalf("catalog imported as its runtime account: %v, %+v", err, p)
	}
	rtAuth.AdminUsername, rtAuth.AdminPassword, rtAuth.BcryptCost = "admin", "a-long-enough-password", 4
	a, err := authapp.New(ctx, rtAuth, logging.Discard(), server.NewRegistry(), nil)
	if err != nil {
		t.Fatalf("auth on its runtime account: %v", err)
	}
	a.Close()
}

func TestDBUsersPrintsTheSQL(t *testing.T) {
	var cfg settings
	cfg.Catalog = catalogapp.Config{DBDriver: "mysql", DBDSN: "cat:pw1@tcp(db)/movies_catalog", DBMigrateDSN: "cat_mig:pw2@tcp(db)/movies_catalog"}
	cfg.Auth = authapp.Config{DBDriver: "mysql", DBDSN: "auth:pw3@tcp(db)/movies_auth", DBMigrateDSN: "auth_mig:pw4@tcp(db)/movies_auth"}
	var out bytes.Buffer
	if err := dbUsers(context.Background(), cfg, []string{"-print", "-host", "10.0.%"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CREATE USER IF NOT EXISTS 'cat'@'10.0.%' IDENTIFIED BY 'pw1';",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON `movies_catalog`.* TO 'cat'@'10.0.%';",
		"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES ON `movies_auth`.* TO 'auth_mig'@'10.0.%';",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("db-users -print lacks %q:\n%s", want, out.String())
		}
	}
}

// Each bad setting is refused before anything connects.
func TestDBUsersRefuses(t *testing.T) {
	good := func() settings {
		var cfg settings
		cfg.DBAdminDSN = "root@tcp(127.0.0.1:1)/"
		cfg.Catalog = catalogapp.Config{DBDriver: "mysql", DBDSN: "cat:pw@tcp(db)/c", DBMigrateDSN: "cat_mig:pw@tcp(db)/c"}
		cfg.Auth = authapp.Config{DBDriver: "mysql", DBDSN: "auth:pw@tcp(db)/a", DBMigrateDSN: "auth_mig:pw@tcp(db)/a"}
		return cfg
	}
	for name, tc := range map[string]struct {
		edit func(*settings)
		args []string
		want string
	}{
		"sqlite":          {func(c *settings) { c.Auth.DBDriver = "sqlite" }, nil, "MOVIES_AUTH_DB_DRIVER"},
		"no migrate DSN":  {func(c *settings) { c.Catalog.DBMigrateDSN = "" }, nil, "MOVIES_CATALOG_DB_MIGRATE_DSN is not set"},
		"shared schema":   {func(c *settings) { c.Auth.DBDSN, c.Auth.DBMigrateDSN = "auth:pw@tcp(db)/c", "auth_mig:pw@tcp(db)/c" }, nil, "share the schema c"},
		"shared user":     {func(c *settings) { c.Auth.DBMigrateDSN = "auth:pw@tcp(db)/a" }, nil, "user auth already has another account"},
		"split schema":    {func(c *settings) { c.Catalog.DBMigrateDSN = "cat_mig:pw@tcp(db)/other" }, nil, "different schemas"},
		"vitess":          {func(c *settings) { c.Catalog.DBDSN = "cat:pw@tcp(db)/movies@primary" }, nil, "Vitess"},
		"no admin":        {func(c *settings) { c.DBAdminDSN = "" }, nil, "no admin DSN"},
		"admin file":      {func(c *settings) {}, []string{"-admin-dsn-file", "/nonexistent/admin"}, "no such file"},
		"extra arguments": {func(c *settings) {}, []string{"now"}, "unexpected arguments"},
		"bad host":        {func(c *settings) {}, []string{"-print", "-host", "x' OR '1"}, "not a host"},
	} {
		cfg := good()
		tc.edit(&cfg)
		err := dbUsers(context.Background(), cfg, tc.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.want)
		}
	}
}
