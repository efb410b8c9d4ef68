package sqldb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

func TestStatementLimitSQL(t *testing.T) {
	const q = "SELECT id FROM movies WHERE name_key LIKE ?"
	bg := context.Background()
	near, cancel := context.WithTimeout(bg, time.Hour)
	defer cancel()
	for _, tc := range []struct {
		name string
		l    sqldb.StatementLimit
		ctx  context.Context
		want string
	}{
		{"mariadb", sqldb.NewStatementLimit(sqldb.FlavorMariaDB, 2500*time.Millisecond), bg,
			"SET STATEMENT max_statement_time=2.500 FOR " + q},
		{"mysql", sqldb.NewStatementLimit(sqldb.FlavorMySQL, 3*time.Second), bg,
			"SELECT /*+ MAX_EXECUTION_TIME(3000) */ id FROM movies WHERE name_key LIKE ?"},
		{"vitess", sqldb.NewStatementLimit(sqldb.FlavorVitess, 40*time.Millisecond), bg,
			"SELECT /*vt+ QUERY_TIMEOUT_MS=40 */ id FROM movies WHERE name_key LIKE ?"},
		{"sqlite", sqldb.NewStatementLimit(sqldb.FlavorSQLite, time.Second), bg, q},
		{"zero", sqldb.StatementLimit{}, near, q},
		{"no max, no deadline", sqldb.NewStatementLimit(sqldb.FlavorMariaDB, 0), bg, q},
		{"a sooner deadline wins", sqldb.NewStatementLimit(sqldb.FlavorMySQL, 2*time.Hour), near,
			"SELECT /*+ MAX_EXECUTION_TIME(35999"},
	} {
		got := tc.l.Apply(tc.ctx, q)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	// MySQL reads the hint only right after the leading SELECT.
	l := sqldb.NewStatementLimit(sqldb.FlavorMySQL, time.Second)
	if got := l.Apply(bg, "(SELECT 1) UNION (SELECT 2)"); got != "(SELECT 1) UNION (SELECT 2)" {
		t.Errorf("a query not starting with SELECT was changed: %q", got)
	}
}

// A client that gives up on a slow read must not leave it running on the
// server: the limit stops it there, however the client left.
func TestStatementLimitStopsTheServer(t *testing.T) {
	dsn := sqltest.MySQL(t)
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.MySQL, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	flavor, err := sqldb.DetectFlavor(ctx, db, sqldb.MySQL)
	if err != nil {
		t.Fatal(err)
	}
	if flavor != sqldb.FlavorMariaDB && flavor != sqldb.FlavorMySQL {
		t.Fatalf("flavor %q", flavor)
	}
	l := sqldb.NewStatementLimit(flavor, 300*time.Millisecond)
	slow := l.Apply(ctx, "SELECT SLEEP(30)")

	var slept any
	err = db.QueryRowContext(ctx, slow).Scan(&slept)
	if !sqldb.StatementTimedOut(err) {
		t.Fatalf("a 30 s read under a 300 ms limit: %v, want the server's timeout", err)
	}

	// Now the client leaves after 50 ms, long before the limit.
	gone, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := db.QueryRowContext(gone, slow).Scan(&slept); err == nil {
		t.Fatal("the abandoned read answered")
	}
	running := func() bool {
		var n int
		err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()",
			"%SLEEP(30)%").Scan(&n)
		return err != nil || n > 0
	}
	sqltest.Eventually(t, "the abandoned read stops on the server", func() bool { return !running() })
}
