package sqldb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/moviesplatform/platform/promtest"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// Every statement is timed under its kind, however database/sql runs it
// (directly, prepared, inside a transaction), with tracing off and on; the
// pool's stats carry the db_name given.
func TestMetricsTimeStatementsAndExportThePool(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		for _, traced := range []bool{false, true} {
			name := string(b.Driver)
			opts := []sqldb.Option{}
			if traced {
				name += "/traced"
				opts = append(opts, sqldb.WithTracing(sdktrace.NewTracerProvider()))
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				reg := prometheus.NewPedanticRegistry()
				m := sqldb.NewMetrics(reg)
				db, err := sqldb.Open(ctx, b.Driver, b.DSN(t), append(opts, sqldb.WithMetrics(m, "primary"))...)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				exec := func(q string, args ...any) {
					t.Helper()
					if _, err := db.ExecContext(ctx, q, args...); err != nil {
						t.Fatal(err)
					}
				}
				exec("CREATE TABLE things (id INTEGER PRIMARY KEY, name VARCHAR(20))")
				exec("INSERT INTO things (id, name) VALUES (?, ?)", 1, "a")
				stmt, err := db.PrepareContext(ctx, "INSERT INTO things (id, name) VALUES (?, ?)")
				if err != nil {
					t.Fatal(err)
				}
				for id := 2; id <= 3; id++ {
					if _, err := stmt.ExecContext(ctx, id, "b"); err != nil {
						t.Fatal(err)
					}
				}
				stmt.Close()
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.ExecContext(ctx, "UPDATE things SET name = ? WHERE id = ?", "c", 1); err != nil {
					t.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
				tx, err = db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM things WHERE name <> ?", "x").Scan(&n); err != nil || n != 3 {
					t.Fatalf("count %d, %v", n, err)
				}

				got := statementCounts(t, reg)
				for op, want := range map[string]uint64{"select": 1, "insert": 3, "update": 1, "begin": 2, "commit": 1, "rollback": 1, "delete": 0} {
					if got[op] != want {
						t.Errorf("op %s: %d statements timed, want %d (all: %v)", op, got[op], want, got)
					}
				}
				if got["other"] < 1 { // CREATE TABLE, and the driver's own session statements
					t.Errorf("CREATE TABLE not timed as other: %v", got)
				}
				want := "\n# HELP go_sql_max_open_connections Maximum number of open connections to the database.\n# TYPE go_sql_max_open_connections gauge\n"
				if b.Driver == sqldb.SQLite {
					want += "go_sql_max_open_connections{db_name=\"primary\"} 8\n"
				} else {
					want += "go_sql_max_open_connections{db_name=\"primary\"} 64\n"
				}
				if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "go_sql_max_open_connections"); err != nil {
					t.Error(err)
				}
				if n, err := testutil.GatherAndCount(reg, "go_sql_in_use_connections", "go_sql_idle_connections", "go_sql_wait_count_total", "go_sql_wait_duration_seconds_total"); err != nil || n != 4 {
					t.Errorf("pool series: %d, %v", n, err)
				}
			})
		}
	}
}

// A second pool under the same db_name is refused, not silently merged.
func TestMetricsRefuseADuplicatePoolName(t *testing.T) {
	m := sqldb.NewMetrics(prometheus.NewRegistry())
	db, err := sqldb.Open(context.Background(), sqldb.SQLite, sqltest.SQLite(t), sqldb.WithMetrics(m, "primary"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db2, err := sqldb.Open(context.Background(), sqldb.SQLite, sqltest.SQLite(t), sqldb.WithMetrics(m, "primary")); err == nil {
		db2.Close()
		t.Fatal("a second pool named primary was accepted")
	}
}

// statementCounts is the number of observations per op.
func statementCounts(t *testing.T, g prometheus.Gatherer) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, s := range promtest.Series(t, g, "sqldb_query_duration_seconds") {
		out[s.Labels["op"]] = s.Count
	}
	return out
}

// Each replica's pool is exported under the replica's name, beside the
// primary's, on the one registry of the service.
func TestMetricsNameEachReplicaPool(t *testing.T) {
	dsn := sqltest.MySQL(t)
	reg := prometheus.NewPedanticRegistry()
	m := sqldb.NewMetrics(reg)
	primary, err := sqldb.Open(context.Background(), sqldb.MySQL, dsn, sqldb.WithMetrics(m, "primary"))
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	replicas, err := sqldb.OpenReplicas(sqldb.MySQL, []string{dsn}, sqldb.WithMetrics(m, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer replicas[0].DB.Close()
	if err := replicas[0].DB.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"primary", replicas[0].Name} {
		if s := promtest.Of(t, reg, "go_sql_open_connections", map[string]string{"db_name": name}); s.Labels == nil || s.Value < 1 {
			t.Errorf("pool %q: %+v", name, s)
		}
	}
}
