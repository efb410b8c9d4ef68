package sqltest

import (
	"context"
	"database/sql"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/moviesplatform/platform/sqldb"
)

// The replicated pair the replica-routing tests use: a MySQL/MariaDB primary
// and a replica of it, as go-sql-driver DSNs without a database, both as a
// user that may create databases and control replication.
// scripts/test-replica.sh starts such a pair and prints these variables.
const (
	EnvMySQLPrimary = "MOVIES_TEST_MYSQL_PRIMARY_DSN"
	EnvMySQLReplica = "MOVIES_TEST_MYSQL_REPLICA_DSN"
)

// Pair is a throwaway database on a replicated primary and the same
// database seen on its replica.
type Pair struct {
	// PrimaryDSN and ReplicaDSN name the database on each server.
	PrimaryDSN, ReplicaDSN string
	// Primary and Replica are admin connections to each server.
	Primary, Replica *sql.DB
}

// ReplicatedMySQL creates a uniquely named database on the EnvMySQLPrimary
// server, waits until the replica has it, and drops it when the test ends.
// Without the variables it skips the test, or fails it under CI=true.
// Replication is running again when the test ends, even if it stopped it.
func ReplicatedMySQL(t testing.TB) Pair {
	t.Helper()
	primary, replica := os.Getenv(EnvMySQLPrimary), os.Getenv(EnvMySQLReplica)
	if primary == "" || replica == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s and %s are not set: the replica tests cannot be skipped in CI "+
				`(eval "$(scripts/test-replica.sh start)" sets them)`, EnvMySQLPrimary, EnvMySQLReplica)
		}
		t.Skipf(`%s/%s not set: replica tests skipped (eval "$(scripts/test-replica.sh start)" sets them)`,
			EnvMySQLPrimary, EnvMySQLReplica)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := Pair{Primary: openAdmin(ctx, t, primary), Replica: openAdmin(ctx, t, replica)}
	name := uniqueName()
	if _, err := p.Primary.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := p.Replica.ExecContext(ctx, "START SLAVE"); err != nil {
			t.Errorf("restart replication: %v", err)
		}
		_, _ = p.Primary.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name)
	})
	p.WaitReplicated(t)
	p.PrimaryDSN, p.ReplicaDSN = withDB(t, primary, name), withDB(t, replica, name)
	return p
}

// WaitReplicated waits until the replica has applied everything the primary
// has written so far (MariaDB GTIDs), for at most 30 seconds.
func (p Pair) WaitReplicated(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 35*time.Second)
	defer cancel()
	var pos string
	if err := p.Primary.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		t.Fatalf("primary position: %v", err)
	}
	var got int
	if err := p.Replica.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, 30)", pos).Scan(&got); err != nil {
		t.Fatalf("wait for the replica: %v", err)
	}
	if got != 0 {
		t.Fatalf("the replica did not reach the primary's position %s within 30s", pos)
	}
}

// Eventually polls cond until it holds, failing the test after 20 seconds:
// replication and health checks take effect soon, not at once.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ReplicaAddr is the replica server's host:port, for a Proxy in front of it.
func (p Pair) ReplicaAddr(t testing.TB) string {
	cfg, err := mysql.ParseDSN(p.ReplicaDSN)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Addr
}

// Exec runs statement on db (Primary or Replica), failing the test on error.
func (p Pair) Exec(t testing.TB, db *sql.DB, statement string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), statement); err != nil {
		t.Fatalf("%s: %v", statement, err)
	}
}

func openAdmin(ctx context.Context, t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sqldb.Open(ctx, sqldb.MySQL, dsn)
	if err != nil {
		t.Fatalf("replicated test server: %v", err)
	}
	db.SetMaxOpenConns(4)
	t.Cleanup(func() { db.Close() })
	return db
}

func withDB(t testing.TB, dsn, name string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	return cfg.FormatDSN()
}

// Proxy forwards TCP connections from a loopback port to a server, and can
// be cut and restored, so a test can make a real server unreachable and
// bring it back without restarting it.
type Proxy struct {
	// Addr is the proxy's loopback host:port, stable across Cut and Restore.
	Addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// NewProxy starts a proxy to target (host:port), stopped when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

// DSN returns dsn (go-sql-driver) pointed at the proxy.
func (p *Proxy) DSN(t testing.TB, dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = p.Addr
	return cfg.FormatDSN()
}

// Cut closes the listener and every open connection: the server behind is
// as good as dead to the proxy's clients.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore listens again on the same address.
func (p *Proxy) Restore(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		t.Fatalf("proxy restore: %v", err)
	}
	p.serve(ln)
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *Proxy) pipe(c net.Conn) {
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, s) {
		return
	}
	var wg sync.WaitGroup
	for _, dir := range [][2]net.Conn{{c, s}, {s, c}} {
		wg.Go(func() {
			_, _ = io.Copy(dir[0], dir[1])
			dir[0].Close()
		})
	}
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// track registers a piped pair, or closes it when the proxy was cut.
func (p *Proxy) track(c, s net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		s.Close()
		return false
	}
	p.conns[c], p.conns[s] = true, true
	return true
}
