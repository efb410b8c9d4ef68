package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Role is what a service's MySQL account may do on the service's own
// schema: the one place that says which grants each role has.
type Role string

// The roles of a service's two accounts.
const (
	// RuntimeRole is the account a service's pods connect with: rows only
	// (SELECT, INSERT, UPDATE, DELETE), no DDL.
	RuntimeRole Role = "runtime"
	// MigrateRole is the account migrations run with (the migrate subcommand,
	// the chart's migration Job): the runtime's rows, for goose's version
	// table and data migrations, plus the DDL a migration uses.
	MigrateRole Role = "migrate"
)

var rolePrivileges = map[Role][]string{
	RuntimeRole: {"SELECT", "INSERT", "UPDATE", "DELETE"},
	MigrateRole: {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX", "DROP", "REFERENCES"},
}

// schemaPrivileges are the schema-level privileges MySQL and MariaDB both
// know; a role's account is refused the ones not in its list, so that
// re-running the setup takes back what someone granted by hand.
var schemaPrivileges = []string{
	"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "REFERENCES", "INDEX", "ALTER",
	"CREATE TEMPORARY TABLES", "LOCK TABLES", "EXECUTE", "CREATE VIEW", "SHOW VIEW",
	"CREATE ROUTINE", "ALTER ROUTINE", "EVENT", "TRIGGER",
}

// Privileges lists the schema privileges of r.
func (r Role) Privileges() []string { return slices.Clone(rolePrivileges[r]) }

// Account is one service account: User@Host with Password, holding Role's
// privileges on Schema and nothing else.
type Account struct {
	User, Host, Password, Schema string
	Role                         Role
}

var (
	validUser   = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)
	validSchema = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	validHost   = regexp.MustCompile(`^[A-Za-z0-9_.%:-]{1,255}$`)
)

// AccountFromDSN is the account of role whose user, password and schema a
// service's go-sql-driver DSN names, at host ("%" when empty). So the
// accounts are made from the very DSNs the services connect with.
func AccountFromDSN(dsn string, role Role, host string) (Account, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return Account{}, fmt.Errorf("mysql DSN: %w", err)
	}
	if host == "" {
		host = "%"
	}
	a := Account{User: cfg.User, Host: host, Password: cfg.Passwd, Schema: cfg.DBName, Role: role}
	return a, a.validate()
}

func (a Account) validate() error {
	if _, ok := rolePrivileges[a.Role]; !ok {
		return fmt.Errorf("unknown account role %q (want %s or %s)", a.Role, RuntimeRole, MigrateRole)
	}
	switch {
	case a.User == "root":
		return fmt.Errorf("%s account: the user is root; a service account needs its own user", a.Role)
	case !validUser.MatchString(a.User):
		return fmt.Errorf("%s account: user %q: want 1 to 32 letters, digits or _", a.Role, a.User)
	case a.Password == "":
		return fmt.Errorf("%s account %s: no password", a.Role, a.User)
	case strings.Contains(a.Schema, "@"):
		return fmt.Errorf("%s account %s: schema %q is a Vitess keyspace target; vtgate's users are not MySQL accounts", a.Role, a.User, a.Schema)
	case !validSchema.MatchString(a.Schema):
		return fmt.Errorf("%s account %s: schema %q: want 1 to 64 letters, digits or _ (the DSN's database)", a.Role, a.User, a.Schema)
	case !validHost.MatchString(a.Host):
		return fmt.Errorf("%s account %s: host %q is not a host name, address or pattern", a.Role, a.User, a.Host)
	}
	return nil
}

func (a Account) name() string { return quoteString(a.User) + "@" + quoteString(a.Host) }

// Statements are the SQL that makes a's account, idempotently: its schema
// and user if missing, its password set, its role's privileges granted on
// its schema and the schema's other privileges revoked, and no global
// privilege. Grants before revocations, so a running service never loses
// what it needs. ApplyAccounts also revokes what it finds granted on other
// schemas and tables, which static SQL cannot know.
func (a Account) Statements() ([]string, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	schema := quoteIdent(a.Schema) + ".*"
	var others []string
	for _, p := range schemaPrivileges {
		if !slices.Contains(rolePrivileges[a.Role], p) {
			others = append(others, p)
		}
	}
	return []string{
		"CREATE DATABASE IF NOT EXISTS " + quoteIdent(a.Schema) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
		"CREATE USER IF NOT EXISTS " + a.name() + " IDENTIFIED BY " + quoteString(a.Password),
		"ALTER USER " + a.name() + " IDENTIFIED BY " + quoteString(a.Password),
		"GRANT " + strings.Join(rolePrivileges[a.Role], ", ") + " ON " + schema + " TO " + a.name(),
		"REVOKE " + strings.Join(others, ", ") + " ON " + schema + " FROM " + a.name(),
		"REVOKE GRANT OPTION ON " + schema + " FROM " + a.name(),
		"REVOKE ALL PRIVILEGES ON *.* FROM " + a.name(),
		"REVOKE GRANT OPTION ON *.* FROM " + a.name(),
	}, nil
}

// ApplyAccounts runs each account's Statements on admin (a connection
// allowed to create users and grant), then revokes every privilege the
// account holds on another schema or on single tables and columns, so each
// ends with exactly its role's grants on its own schema. Running it again
// changes nothing but the passwords, to the ones given.
func ApplyAccounts(ctx context.Context, admin *sql.DB, accounts []Account) error {
	for _, a := range accounts {
		stmts, err := a.Statements()
		if err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := admin.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s account %s: %s: %w", a.Role, a.User, strings.SplitN(s, " IDENTIFIED BY ", 2)[0], err)
			}
		}
		stray, err := strayGrants(ctx, admin, a)
		if err != nil {
			return fmt.Errorf("%s account %s: read its grants: %w", a.Role, a.User, err)
		}
		for _, s := range stray {
			if _, err := admin.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s account %s: %s: %w", a.Role, a.User, s, err)
			}
		}
	}
	return nil
}

// strayGrants are the REVOKE statements for what a holds beyond its own
// schema: other schemas, and table or column grants anywhere.
func strayGrants(ctx context.Context, admin *sql.DB, a Account) ([]string, error) {
	grantee := a.name()
	var out []string
	rows, err := admin.QueryContext(ctx, `
		SELECT TABLE_SCHEMA, '', IS_GRANTABLE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ? AND TABLE_SCHEMA <> ?
		UNION SELECT TABLE_SCHEMA, TABLE_NAME, IS_GRANTABLE FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?
		UNION SELECT TABLE_SCHEMA, TABLE_NAME, IS_GRANTABLE FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = ?`,
		grantee, a.Schema, grantee, grantee)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	grantable := map[string]bool{}
	var objects []string
	for rows.Next() {
		var schema, table, opt string
		if err := rows.Scan(&schema, &table, &opt); err != nil {
			return nil, err
		}
		on := quoteIdent(schema) + ".*"
		if table != "" {
			on = quoteIdent(schema) + "." + quoteIdent(table)
		}
		if _, seen := grantable[on]; !seen {
			objects = append(objects, on)
		}
		grantable[on] = grantable[on] || opt == "YES"
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, on := range objects {
		if grantable[on] {
			out = append(out, "REVOKE GRANT OPTION ON "+on+" FROM "+grantee)
		}
		out = append(out, "REVOKE ALL PRIVILEGES ON "+on+" FROM "+grantee)
	}
	return out, nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}
