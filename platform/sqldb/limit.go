package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Flavor is the server behind a connection. They share the MySQL protocol
// but each bounds a statement's run time in its own SQL.
type Flavor string

// The flavors.
const (
	FlavorSQLite  Flavor = "sqlite"
	FlavorMariaDB Flavor = "mariadb"
	FlavorMySQL   Flavor = "mysql"
	FlavorVitess  Flavor = "vitess"
)

// DetectFlavor asks db's server what it is: VERSION() names MariaDB and
// vtgate, and behind vtgate DATABASE() is a keyspace@tablet_type target.
// Anything else speaking MySQL is taken for MySQL.
func DetectFlavor(ctx context.Context, db *sql.DB, driver Driver) (Flavor, error) {
	if driver == SQLite {
		return FlavorSQLite, nil
	}
	var version string
	var current sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), DATABASE()").Scan(&version, &current); err != nil {
		return "", fmt.Errorf("sqldb: server version: %w", err)
	}
	switch v := strings.ToLower(version); {
	case strings.Contains(v, "vitess"), strings.Contains(current.String, "@"):
		return FlavorVitess, nil
	case strings.Contains(v, "mariadb"):
		return FlavorMariaDB, nil
	}
	return FlavorMySQL, nil
}

// StatementLimit makes the server itself stop a read that runs too long.
// Cancelling the context is not enough: the driver then drops the
// connection, but the server goes on with the statement until it next sends
// a row, so a scan with few matches that its client gave up on keeps a core
// busy to the end. The zero StatementLimit changes nothing.
type StatementLimit struct {
	flavor Flavor
	max    time.Duration
}

// NewStatementLimit bounds reads on a server of flavor f to max, or to what
// is left of the context's deadline when that is sooner. A max of 0 leaves
// only the deadline.
func NewStatementLimit(f Flavor, max time.Duration) StatementLimit {
	return StatementLimit{flavor: f, max: max}
}

// Apply returns query, a SELECT, with the limit the context leaves it.
// SQLite needs none: its driver interrupts the statement on cancel.
func (l StatementLimit) Apply(ctx context.Context, query string) string {
	d, bounded := l.max, l.max > 0
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); !bounded || left < d {
			d, bounded = left, true
		}
	}
	if !bounded {
		return query
	}
	ms := max(d.Milliseconds(), 1)
	switch l.flavor {
	case FlavorMariaDB:
		return fmt.Sprintf("SET STATEMENT max_statement_time=%d.%03d FOR %s", ms/1000, ms%1000, query)
	case FlavorMySQL:
		return hintSelect(query, fmt.Sprintf("/*+ MAX_EXECUTION_TIME(%d) */", ms))
	case FlavorVitess:
		// vtgate's own directive: it cancels the statement on the tablet.
		return hintSelect(query, fmt.Sprintf("/*vt+ QUERY_TIMEOUT_MS=%d */", ms))
	}
	return query
}

// hintSelect puts hint right after query's leading SELECT, the one place
// MySQL and vtgate read it; a query that does not start so is left alone.
func hintSelect(query, hint string) string {
	const kw = "SELECT "
	if len(query) < len(kw) || !strings.EqualFold(query[:len(kw)], kw) {
		return query
	}
	return query[:len(kw)] + hint + " " + query[len(kw):]
}

// StatementTimedOut reports whether err is the server stopping a statement
// at its limit: MariaDB's max_statement_time (1969), MySQL's
// MAX_EXECUTION_TIME (3024), or an interrupted query as vtgate reports its
// timeout (1317).
func StatementTimedOut(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1969, 3024, 1317:
		return true
	}
	return false
}
