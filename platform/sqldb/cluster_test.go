package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/readpref"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// whoAnswers reads the name of the database db is, from its "who" table.
func whoAnswers(t *testing.T, db *sql.DB) string {
	t.Helper()
	var name string
	err := db.QueryRowContext(context.Background(), "SELECT name FROM who ORDER BY id DESC LIMIT 1").Scan(&name)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func namedSQLite(t *testing.T, name string) *sql.DB {
	db := sqltest.Open(t, sqltest.Backend{Driver: sqldb.SQLite, DSN: sqltest.SQLite})
	for _, q := range []string{"CREATE TABLE who (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO who (id, name) VALUES (1, '" + name + "')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// fakeLag is a lag probe the test sets per database.
type fakeLag struct {
	mu  sync.Mutex
	lag map[*sql.DB]error
}

func (f *fakeLag) set(db *sql.DB, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lag[db] = err
}

func (f *fakeLag) probe(_ context.Context, db *sql.DB) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Second, f.lag[db]
}

// metric returns the value of the counter or gauge name whose first label
// is label, or of its only series when label is "".
func metric(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label == "" || m.GetLabel()[0].GetValue() == label {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no %s{%q}", name, label)
	return 0
}

func TestClusterRoutesReadsToReplicasInRotation(t *testing.T) {
	ctx := context.Background()
	primary, a, b := namedSQLite(t, "primary"), namedSQLite(t, "a"), namedSQLite(t, "b")
	lag := &fakeLag{lag: map[*sql.DB]error{}}
	reg := prometheus.NewRegistry()
	c, err := sqldb.NewCluster(ctx, primary, []sqldb.Replica{{Name: "a", DB: a}, {Name: "b", DB: b}},
		sqldb.ClusterConfig{MaxLag: 5 * time.Second, Lag: lag.probe}, quiet, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	seen := map[string]int{}
	for range 10 {
		seen[whoAnswers(t, c.Reader(ctx))]++
	}
	if seen["a"] != 5 || seen["b"] != 5 {
		t.Fatalf("reads over two healthy replicas = %v, want 5 each (round-robin)", seen)
	}
	if got := whoAnswers(t, c.Reader(readpref.WithPrimary(ctx))); got != "primary" {
		t.Fatalf("a read asking for the primary went to %s", got)
	}

	lag.set(a, errors.New("replication is not running"))
	c.Check(ctx)
	for range 4 {
		if got := whoAnswers(t, c.Reader(ctx)); got != "b" {
			t.Fatalf("with a out of rotation a read went to %s", got)
		}
	}
	if v := metric(t, reg, "sqldb_replica_up", "a"); v != 0 {
		t.Fatalf("sqldb_replica_up{a} = %v, want 0", v)
	}

	b.Close() // dead: the ping fails
	c.Check(ctx)
	if got := whoAnswers(t, c.Reader(ctx)); got != "primary" {
		t.Fatalf("with no replica in rotation a read went to %s", got)
	}

	lag.set(a, nil)
	c.Check(ctx)
	if got := whoAnswers(t, c.Reader(ctx)); got != "a" {
		t.Fatalf("a recovered replica is not read from: the read went to %s", got)
	}
	if got := c.Healthy(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("Healthy() = %v, want [a]", got)
	}
	want := map[string]float64{sqldb.RouteReplica: 15, sqldb.RoutePrimaryPinned: 1, sqldb.RoutePrimaryFallback: 1}
	for route, n := range want {
		if got := metric(t, reg, "sqldb_reads_total", route); got != n {
			t.Errorf("sqldb_reads_total{route=%q} = %v, want %v", route, got, n)
		}
	}
}

func TestRecentWritersRememberForTheWindow(t *testing.T) {
	w := sqldb.NewRecentWriters(50 * time.Millisecond)
	w.Wrote("alice")
	w.Wrote("")
	if !w.Recent("alice") || w.Recent("bob") || w.Recent("") {
		t.Fatal("only alice has written")
	}
	time.Sleep(60 * time.Millisecond)
	if w.Recent("alice") {
		t.Fatal("alice is remembered past the window")
	}
}

// TestClusterOnReplicatedMariaDB runs the cluster against a real primary and
// GTID replica (scripts/test-replica.sh): reads land on the replica, and a
// replica that dies, stops replicating or lags past the bound leaves
// rotation and comes back when healthy.
func TestClusterOnReplicatedMariaDB(t *testing.T) {
	pair := sqltest.ReplicatedMySQL(t)
	ctx := context.Background()
	pair.Exec(t, pair.Primary, "CREATE TABLE "+dbName(t, pair.PrimaryDSN)+".who (id INT PRIMARY KEY, name VARCHAR(20))")
	pair.Exec(t, pair.Primary, "INSERT INTO "+dbName(t, pair.PrimaryDSN)+".who VALUES (1, 'primary')")
	pair.WaitReplicated(t)
	// A row only the replica has, kept out of its binlog: reading it proves
	// where a read went. The primary never writes id 2, so replication
	// cannot trip on it.
	pair.Exec(t, pair.Replica, "SET STATEMENT sql_log_bin=0 FOR INSERT INTO "+dbName(t, pair.ReplicaDSN)+".who VALUES (2, 'replica')")

	primary, err := sqldb.Open(ctx, sqldb.MySQL, pair.PrimaryDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	proxy := sqltest.NewProxy(t, pair.ReplicaAddr(t))
	replicas, err := sqldb.OpenReplicas(sqldb.MySQL, []string{proxy.DSN(t, pair.ReplicaDSN)})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	c, err := sqldb.NewCluster(ctx, primary, replicas,
		sqldb.ClusterConfig{MaxLag: 2 * time.Second, CheckInterval: 100 * time.Millisecond, CheckTimeout: time.Second}, quiet, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Start()

	if got := whoAnswers(t, c.Reader(ctx)); got != "replica" {
		t.Fatalf("a read went to the %s, want the replica", got)
	}
	if got := whoAnswers(t, c.Reader(readpref.WithPrimary(ctx))); got != "primary" {
		t.Fatalf("a pinned read went to the %s", got)
	}
	read := func() string {
		var name string
		if err := c.Read(ctx, func(db *sql.DB) error {
			return db.QueryRowContext(ctx, "SELECT name FROM who ORDER BY id DESC LIMIT 1").Scan(&name)
		}); err != nil {
			t.Fatalf("a read failed: %v", err)
		}
		return name
	}
	readsPrimary := func() bool { return read() == "primary" }
	readsReplica := func() bool { return read() == "replica" }

	t.Run("query the replica refuses", func(t *testing.T) {
		// A table the replica lacks (kept out of the binlog), as after a
		// migration it has not applied yet: the read is answered by the
		// primary and the replica stays in rotation.
		pair.Exec(t, pair.Primary, "SET STATEMENT sql_log_bin=0 FOR CREATE TABLE "+dbName(t, pair.PrimaryDSN)+".fresh (id INT)")
		err := c.Read(ctx, func(db *sql.DB) error {
			_, err := db.ExecContext(ctx, "SELECT COUNT(*) FROM fresh")
			return err
		})
		if err != nil {
			t.Fatalf("the read the replica refused was not answered by the primary: %v", err)
		}
		if !readsReplica() {
			t.Fatal("the replica left rotation over a query it refused")
		}
	})
	t.Run("read stopped at its limit", func(t *testing.T) {
		// The primary would take as long: the timeout is the answer, the
		// read is not run again there, and the replica stays.
		fallbacks := metric(t, reg, "sqldb_reads_total", sqldb.RoutePrimaryFallback)
		limit := sqldb.NewStatementLimit(sqldb.FlavorMariaDB, 100*time.Millisecond)
		runs := 0
		err := c.Read(ctx, func(db *sql.DB) error {
			runs++
			var slept int
			return db.QueryRowContext(ctx, limit.Apply(ctx, "SELECT SLEEP(5)")).Scan(&slept)
		})
		if !sqldb.StatementTimedOut(err) || runs != 1 {
			t.Fatalf("read ran %d times, err %v: want once, stopped at its limit", runs, err)
		}
		if metric(t, reg, "sqldb_reads_total", sqldb.RoutePrimaryFallback) != fallbacks || !readsReplica() {
			t.Fatal("a read stopped at its limit went to the primary, or took the replica out")
		}
	})
	t.Run("dead replica", func(t *testing.T) {
		proxy.Cut()
		// The very next read already goes to the primary: the replica fails
		// it and leaves rotation without waiting for a check.
		if !readsPrimary() {
			t.Fatal("a read right after the replica died did not go to the primary")
		}
		proxy.Restore(t)
		sqltest.Eventually(t, "reads go back to the replica", readsReplica)
	})
	t.Run("replication stopped", func(t *testing.T) {
		pair.Exec(t, pair.Replica, "STOP SLAVE")
		sqltest.Eventually(t, "reads go to the primary", readsPrimary)
		pair.Exec(t, pair.Replica, "START SLAVE")
		sqltest.Eventually(t, "reads go back to the replica", readsReplica)
	})
	t.Run("lag past the bound", func(t *testing.T) {
		// MASTER_DELAY holds each event back: the replica keeps running and
		// reports a real, growing Seconds_Behind_Master.
		setDelay(t, pair, 30)
		t.Cleanup(func() { setDelay(t, pair, 0) })
		sqltest.Eventually(t, "replication runs again", func() bool {
			_, err := sqldb.ReplicationLag(ctx, pair.Replica)
			return err == nil
		})
		sqltest.Eventually(t, "the restarted replica is back", readsReplica)
		pair.Exec(t, pair.Primary, "CREATE TABLE "+dbName(t, pair.PrimaryDSN)+".beat (at DATETIME(6))")
		sqltest.Eventually(t, "the replica lags past the bound and reads go to the primary", func() bool {
			return metric(t, reg, "sqldb_replica_lag_seconds", "") > 2 && readsPrimary()
		})
		setDelay(t, pair, 0)
		sqltest.Eventually(t, "reads go back to the replica", readsReplica)
	})
	sqltest.Eventually(t, "sqldb_replica_up is 1 again", func() bool { return metric(t, reg, "sqldb_replica_up", "") == 1 })
	if metric(t, reg, "sqldb_reads_total", sqldb.RoutePrimaryFallback) == 0 || metric(t, reg, "sqldb_reads_total", sqldb.RouteReplica) == 0 {
		t.Error("the routing counters did not move")
	}

	if _, err := sqldb.ReplicationLag(ctx, primary); err == nil || !strings.Contains(err.Error(), "not a replica") {
		t.Errorf("ReplicationLag(primary) = %v, want a not-a-replica error", err)
	}
}

func setDelay(t *testing.T, pair sqltest.Pair, seconds int) {
	t.Helper()
	pair.Exec(t, pair.Replica, "STOP SLAVE")
	pair.Exec(t, pair.Replica, fmt.Sprintf("CHANGE MASTER TO MASTER_DELAY=%d", seconds))
	pair.Exec(t, pair.Replica, "START SLAVE")
}

func dbName(t *testing.T, dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.DBName
}

func TestVitessTarget(t *testing.T) {
	for dsn, want := range map[string]bool{
		"u:p@tcp(vtgate:3306)/movies@replica": true,
		"u:p@tcp(vtgate:3306)/movies@primary": true,
		"u:p@tcp(127.0.0.1:3306)/movies":      false,
		"not a dsn":                           false,
	} {
		if got := sqldb.VitessTarget(dsn); got != want {
			t.Errorf("VitessTarget(%q) = %v", dsn, got)
		}
	}
}
