package app_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// replicaCatalog is catalog-svc on a replicated pair, reached through its
// HTTP client as the gateway reaches it.
type replicaCatalog struct {
	t   *testing.T
	svc catalog.Service
	reg *prometheus.Registry
}

func startReplicaCatalog(t *testing.T, primaryDSN, replicaDSN string, interval time.Duration) replicaCatalog {
	t.Helper()
	keyDir, keys := servicetokentest.Files(t, servicetoken.Gateway, servicetoken.Search)
	cfg := app.Config{DBDriver: "mysql", DBDSN: primaryDSN, ReplicaDSNs: []string{replicaDSN},
		ReplicaMaxLag: 2 * time.Second, ReplicaCheckInterval: interval, Migrate: true,
		Addr: "127.0.0.1:0", Identity: servicetoken.Config{TrustedKeys: keyDir}}
	reg := prometheus.NewRegistry()
	a, err := app.New(context.Background(), cfg, logging.Discard(), reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	// The gateway reads and writes, search-svc follows the feed.
	svc, err := catalog.NewHTTPClient(srv.URL, keys.ClientAs(catalogtest.CallerOf, catalog.ServiceName, nil))
	if err != nil {
		t.Fatal(err)
	}
	return replicaCatalog{t: t, svc: svc.Service(), reg: reg}
}

func as(actor string) context.Context { return catalog.WithActor(context.Background(), actor) }

func (c replicaCatalog) create(actor, name string) contract.Movie {
	c.t.Helper()
	m, err := c.svc.Create(as(actor), contract.MovieWrite{Name: &name, Director: new("Someone"),
		Popularity: new(50.0), IMDBScore: new(5.0), Genre: &[]contract.Genre{{Name: "Drama"}}})
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

func (c replicaCatalog) rename(actor string, id int64, name string) {
	c.t.Helper()
	if _, err := c.svc.Patch(as(actor), id, contract.MovieWrite{Name: &name}); err != nil {
		c.t.Fatal(err)
	}
}

// name reads movie id as actor: its name, or "" when the catalog has none.
func (c replicaCatalog) name(actor string, id int64) string {
	c.t.Helper()
	m, err := c.svc.Get(as(actor), id)
	if errors.Is(err, catalog.ErrNotFound) {
		return ""
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return m.Name
}

// reads returns sqldb_reads_total for route.
func (c replicaCatalog) reads(route string) float64 {
	c.t.Helper()
	families, err := c.reg.Gather()
	if err != nil {
		c.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "sqldb_reads_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetLabel()[0].GetValue() == route {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestReadYourWritesWhileTheReplicaLags pauses the replica's applier, so it
// serves old data for as long as the test wants, and keeps it in rotation
// (one check, at start). The writer reads its writes at once; others read
// the replica and see the old values.
func TestReadYourWritesWhileTheReplicaLags(t *testing.T) {
	pair := sqltest.ReplicatedMySQL(t)
	c := startReplicaCatalog(t, pair.PrimaryDSN, pair.ReplicaDSN, time.Hour)
	m := c.create("alice", "Before")
	pair.WaitReplicated(t)

	replicaReads := c.reads(sqldb.RouteReplica)
	if got := c.name("bob", m.ID); got != "Before" {
		t.Fatalf("bob reads %q, want Before", got)
	}
	if c.reads(sqldb.RouteReplica) != replicaReads+1 {
		t.Fatal("bob's read did not go to the replica")
	}

	pair.Exec(t, pair.Replica, "STOP SLAVE SQL_THREAD")
	c.rename("alice", m.ID, "After")
	added := c.create("alice", "Brand new")

	if got := c.name("alice", m.ID); got != "After" {
		t.Errorf("alice reads %q right after renaming it After", got)
	}
	if got := c.name("alice", added.ID); got != "Brand new" {
		t.Errorf("alice cannot read the movie she just created (got %q)", got)
	}
	page, err := c.svc.List(as("alice"), contract.ListQuery{Search: "Brand new"})
	if err != nil || len(page.Movies) != 1 {
		t.Errorf("alice's search for her new movie: %v, %v", page.Movies, err)
	}
	if c.reads(sqldb.RoutePrimaryPinned) < 3 {
		t.Errorf("alice's reads were not pinned to the primary: %v", c.reads(sqldb.RoutePrimaryPinned))
	}

	// Within the bound, others may read the old state: here they do,
	// which shows their reads are on the replica.
	for _, reader := range []string{"bob", ""} {
		if got := c.name(reader, m.ID); got != "Before" {
			t.Errorf("%q reads %q from the paused replica, want Before", reader, got)
		}
		if got := c.name(reader, added.ID); got != "" {
			t.Errorf("%q reads %q from the paused replica, want no movie yet", reader, got)
		}
	}
	feed, err := c.svc.Changes(as(""), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(feed.Changes); n != 1 {
		t.Errorf("the feed read from the paused replica has %d changes, want the 1 before the pause", n)
	}

	pair.Exec(t, pair.Replica, "START SLAVE SQL_THREAD")
	pair.WaitReplicated(t)
	if got := c.name("bob", m.ID); got != "After" {
		t.Errorf("bob reads %q once the replica caught up, want After", got)
	}
}

// TestReadsLeaveAFailedReplicaAndComeBack stops replication on the replica
// (its lag is then unknown), then cuts it off the network: each time reads
// go to the primary, see current data, and return to the replica once it
// is healthy.
func TestReadsLeaveAFailedReplicaAndComeBack(t *testing.T) {
	pair := sqltest.ReplicatedMySQL(t)
	proxy := sqltest.NewProxy(t, pair.ReplicaAddr(t))
	c := startReplicaCatalog(t, pair.PrimaryDSN, proxy.DSN(t, pair.ReplicaDSN), 100*time.Millisecond)
	m := c.create("alice", "One")
	pair.WaitReplicated(t)

	onReplica := func() bool {
		before := c.reads(sqldb.RouteReplica)
		c.name("bob", m.ID)
		return c.reads(sqldb.RouteReplica) > before
	}
	onPrimary := func() bool {
		before := c.reads(sqldb.RoutePrimaryFallback)
		c.name("bob", m.ID)
		return c.reads(sqldb.RoutePrimaryFallback) > before
	}
	if !onReplica() {
		t.Fatal("bob's read did not go to the healthy replica")
	}

	t.Run("replication stopped", func(t *testing.T) {
		pair.Exec(t, pair.Replica, "STOP SLAVE")
		sqltest.Eventually(t, "reads go to the primary", onPrimary)
		c.rename("alice", m.ID, "Two")
		if got := c.name("bob", m.ID); got != "Two" {
			t.Errorf("with the replica out bob reads %q, want the primary's Two", got)
		}
		pair.Exec(t, pair.Replica, "START SLAVE")
		sqltest.Eventually(t, "reads go back to the replica", onReplica)
	})
	t.Run("replica unreachable", func(t *testing.T) {
		proxy.Cut()
		// No failed request: the read the dead replica fails is retried on
		// the primary.
		c.rename("alice", m.ID, "Three")
		if got := c.name("bob", m.ID); got != "Three" {
			t.Errorf("with the replica gone bob reads %q, want Three", got)
		}
		sqltest.Eventually(t, "reads go to the primary", onPrimary)
		proxy.Restore(t)
		pair.WaitReplicated(t)
		sqltest.Eventually(t, "reads go back to the replica", onReplica)
		if got := c.name("bob", m.ID); got != "Three" {
			t.Errorf("from the recovered replica bob reads %q, want Three", got)
		}
	})
}

func TestReplicaSettingsAreChecked(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range map[string]app.Config{
		"replicas on sqlite": {DBDriver: "sqlite", DBDSN: sqltest.SQLite(t), ReplicaDSNs: []string{"x"}},
	} {
		if _, err := app.New(ctx, cfg, logging.Discard(), prometheus.NewRegistry(), nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
