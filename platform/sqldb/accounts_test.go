package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

func TestAccountStatements(t *testing.T) {
	a, err := sqldb.AccountFromDSN("catalog_app:s3cr'et@tcp(db:3306)/catalog?parseTime=true", sqldb.RuntimeRole, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.User != "catalog_app" || a.Host != "%" || a.Schema != "catalog" || a.Password != "s3cr'et" {
		t.Fatalf("account from DSN = %+v", a)
	}
	stmts, err := a.Statements()
	if err != nil {
		t.Fatal(err)
	}
	sql := strings.Join(stmts, ";\n")
	for _, want := range []string{
		"CREATE USER IF NOT EXISTS 'catalog_app'@'%' IDENTIFIED BY 's3cr''et'",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON `catalog`.* TO 'catalog_app'@'%'",
		"REVOKE ALL PRIVILEGES ON *.* FROM 'catalog_app'@'%'",
	} {
		if !strings.Contains(sql, want) {
			t.Errorf("runtime statements lack %q:\n%s", want, sql)
		}
	}
	if !slices.Contains(sqldb.MigrateRole.Privileges(), "ALTER") || slices.Contains(sqldb.RuntimeRole.Privileges(), "ALTER") {
		t.Errorf("role privileges: runtime %v, migrate %v", sqldb.RuntimeRole.Privileges(), sqldb.MigrateRole.Privileges())
	}
	for dsn, want := range map[string]string{
		"root:pw@tcp(db)/catalog":                            "root",
		"app@tcp(db)/catalog":                                "no password",
		"app:pw@tcp(db)/movies@primary":                      "Vitess",
		"app:pw@tcp(db)/":                                    "schema",
		"app:pw@tcp(db)/cat;DROP":                            "schema",
		"a-very-long-user-name-of-more-than-32:pw@tcp(db)/c": "user",
	} {
		if _, err := sqldb.AccountFromDSN(dsn, sqldb.RuntimeRole, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("AccountFromDSN(%q) error = %v, want one mentioning %q", dsn, err, want)
		}
	}
	if _, err := sqldb.AccountFromDSN("app:pw@tcp(db)/c", sqldb.RuntimeRole, "10.0.0.%' OR '"); err == nil {
		t.Error("a host with a quote was accepted")
	}
}

// TestAccountsOnMySQL: the runtime account reads and writes its own schema
// and is refused DDL and the other service's schema; the migrate account
// migrates; applying twice, after a stray grant by hand, ends with exactly
// the role's grants.
func TestAccountsOnMySQL(t *testing.T) {
	ctx := context.Background()
	fx := sqltest.NewServiceAccounts(t)
	var accounts []sqldb.Account
	for _, a := range []struct {
		dsn  string
		role sqldb.Role
	}{{fx.Catalog, sqldb.RuntimeRole}, {fx.CatalogMigrate, sqldb.MigrateRole}, {fx.Auth, sqldb.RuntimeRole}, {fx.AuthMigrate, sqldb.MigrateRole}} {
		acc, err := sqldb.AccountFromDSN(a.dsn, a.role, "")
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, acc)
	}
	admin := open(t, fx.Admin)
	if err := sqldb.ApplyAccounts(ctx, admin, accounts); err != nil {
		t.Fatal(err)
	}
	// A grant made by hand on the other schema, and DDL on its own, are
	// taken back by the second run.
	if _, err := admin.ExecContext(ctx, "GRANT SELECT, ALTER ON "+fx.AuthSchema+".* TO '"+accounts[0].User+"'@'%'"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, "GRANT CREATE ON "+fx.CatalogSchema+".* TO '"+accounts[0].User+"'@'%'"); err != nil {
		t.Fatal(err)
	}
	if err := sqldb.ApplyAccounts(ctx, admin, accounts); err != nil {
		t.Fatalf("second run: %v", err)
	}

	migrations := os.DirFS("testdata/migrations")
	for _, dsn := range []string{fx.CatalogMigrate, fx.AuthMigrate} {
		if err := sqldb.Migrate(ctx, open(t, dsn), sqldb.MySQL, migrations, "test_schema_migrations"); err != nil {
			t.Fatalf("migrate account: %v", err)
		}
	}

	rt := open(t, fx.Catalog)
	for _, q := range []string{
		"INSERT INTO things (id, name) VALUES (1, 'x')",
		"UPDATE things SET name = 'y' WHERE id = 1",
		"SELECT COUNT(*) FROM things",
		"DELETE FROM things WHERE id = 1",
	} {
		if _, err := rt.ExecContext(ctx, q); err != nil {
			t.Errorf("runtime account: %s: %v", q, err)
		}
	}
	for q, codes := range map[string][]uint16{
		"CREATE TABLE more_things (id INT PRIMARY KEY)":     {1142},
		"ALTER TABLE things ADD COLUMN extra INT":           {1142},
		"DROP TABLE things":                                 {1142},
		"CREATE INDEX things_name ON things (name)":         {1142},
		"SELECT COUNT(*) FROM " + fx.AuthSchema + ".things": {1142},
		"DELETE FROM " + fx.AuthSchema + ".things":          {1142},
		"USE " + fx.AuthSchema:                              {1044},
		"CREATE DATABASE " + fx.AuthSchema + "_x":           {1044},
	} {
		_, err := rt.ExecContext(ctx, q)
		var myErr *mysql.MySQLError
		if !errors.As(err, &myErr) || !slices.Contains(codes, myErr.Number) {
			t.Errorf("runtime account: %s: error %v, want MySQL error %v", q, err, codes)
		}
	}
	var grants []string
	rows, err := admin.QueryContext(ctx, "SHOW GRANTS FOR '"+accounts[0].User+"'@'%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(g, "GRANT USAGE ON *.*") {
			grants = append(grants, g)
		}
	}
	want := "GRANT SELECT, INSERT, UPDATE, DELETE ON `" + fx.CatalogSchema + "`.* TO `" + accounts[0].User + "`@`%`"
	if len(grants) != 1 || grants[0] != want {
		t.Errorf("runtime account's grants after two runs:\n%s\nwant only\n%s", strings.Join(grants, "\n"), want)
	}
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), sqldb.MySQL, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
