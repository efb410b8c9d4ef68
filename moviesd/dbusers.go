package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moviesplatform/platform/sqldb"
)

// dbUsers is `moviesd db-users`: it makes the four MySQL accounts the
// services' DSNs name, each with exactly its role's grants on its service's
// schema (sqldb.Account), through the admin DSN; with -print it writes the
// SQL to out instead and connects to nothing. The accounts come from the
// very variables the services read (MOVIES_{CATALOG,AUTH}_DB_DSN and
// _DB_MIGRATE_DSN), so what is created is what connects.
func dbUsers(ctx context.Context, cfg settings, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("db-users", flag.ContinueOnError)
	fs.SetOutput(out)
	printSQL := fs.Bool("print", false, "print the SQL instead of running it")
	host := fs.String("host", "%", "host part of every account ('%': any)")
	adminFile := fs.String("admin-dsn-file", "", "file holding the admin DSN (else MOVIES_DB_ADMIN_DSN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("db-users: unexpected arguments %q", fs.Args())
	}
	accounts, err := serviceAccounts(cfg, *host)
	if err != nil {
		return fmt.Errorf("db-users: %w", err)
	}
	if *printSQL {
		for _, a := range accounts {
			stmts, err := a.Statements()
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "-- %s account of schema %s\n", a.Role, a.Schema)
			for _, s := range stmts {
				fmt.Fprintf(out, "%s;\n", s)
			}
		}
		fmt.Fprintln(out, "-- db-users also revokes whatever these users hold on other schemas, tables or columns.")
		return nil
	}
	admin := cfg.DBAdminDSN
	if *adminFile != "" {
		data, err := os.ReadFile(*adminFile)
		if err != nil {
			return fmt.Errorf("db-users: %w", err)
		}
		admin = strings.TrimSpace(string(data))
	}
	if admin == "" {
		return errors.New("db-users: no admin DSN: set MOVIES_DB_ADMIN_DSN or -admin-dsn-file (or -print the SQL)")
	}
	db, err := sqldb.Open(ctx, sqldb.MySQL, admin)
	if err != nil {
		return fmt.Errorf("db-users: admin: %w", err)
	}
	defer db.Close()
	if err := sqldb.ApplyAccounts(ctx, db, accounts); err != nil {
		return fmt.Errorf("db-users: %w", err)
	}
	for _, a := range accounts {
		fmt.Fprintf(out, "%s@%s: %s on %s.*\n", a.User, a.Host, strings.Join(a.Role.Privileges(), ", "), a.Schema)
	}
	return nil
}

// serviceAccounts are the catalog's and auth's runtime and migrate
// accounts: four users, the catalog's two on one schema and auth's two on
// another.
func serviceAccounts(cfg settings, host string) ([]sqldb.Account, error) {
	type source struct{ service, variable, driver, dsn string }
	var accounts []sqldb.Account
	for _, s := range []struct {
		source
		role sqldb.Role
	}{
		{source{"catalog", "MOVIES_CATALOG_DB_DSN", cfg.Catalog.DBDriver, cfg.Catalog.DBDSN}, sqldb.RuntimeRole},
		{source{"catalog", "MOVIES_CATALOG_DB_MIGRATE_DSN", cfg.Catalog.DBDriver, cfg.Catalog.DBMigrateDSN}, sqldb.MigrateRole},
		{source{"auth", "MOVIES_AUTH_DB_DSN", cfg.Auth.DBDriver, cfg.Auth.DBDSN}, sqldb.RuntimeRole},
		{source{"auth", "MOVIES_AUTH_DB_MIGRATE_DSN", cfg.Auth.DBDriver, cfg.Auth.DBMigrateDSN}, sqldb.MigrateRole},
	} {
		if d, err := sqldb.ParseDriver(s.driver); err != nil || d != sqldb.MySQL {
			return nil, fmt.Errorf("MOVIES_%s_DB_DRIVER=%q: accounts are for MySQL", strings.ToUpper(s.service), s.driver)
		}
		if s.dsn == "" {
			return nil, fmt.Errorf("%s is not set", s.variable)
		}
		a, err := sqldb.AccountFromDSN(s.dsn, s.role, host)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.variable, err)
		}
		for _, b := range accounts {
			if b.User == a.User {
				return nil, fmt.Errorf("%s: user %s already has another account; each of the four needs its own user", s.variable, a.User)
			}
		}
		accounts = append(accounts, a)
	}
	switch {
	case accounts[0].Schema != accounts[1].Schema:
		return nil, fmt.Errorf("MOVIES_CATALOG_DB_DSN and _MIGRATE_DSN name different schemas (%s, %s)", accounts[0].Schema, accounts[1].Schema)
	case accounts[2].Schema != accounts[3].Schema:
		return nil, fmt.Errorf("MOVIES_AUTH_DB_DSN and _MIGRATE_DSN name different schemas (%s, %s)", accounts[2].Schema, accounts[3].Schema)
	case accounts[0].Schema == accounts[2].Schema:
		return nil, fmt.Errorf("catalog and auth share the schema %s: per-service accounts need a schema each", accounts[0].Schema)
	}
	return accounts, nil
}
