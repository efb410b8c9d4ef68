package app_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/sqldb"
)

// EnvVtgate names a vtgate (MySQL protocol, DSN without a database) serving
// a keyspace "movies" with primary and replica tablets, such as the
// vttestserver of scripts/vitess-compat.sh.
const EnvVtgate = "MOVIES_TEST_VTGATE_DSN"

// TestCatalogThroughVtgate is a compatibility check of the replica code
// behind Vitess, run by hand (not in CI): the same app, given
// movies@primary and movies@replica targets, migrates, imports, reads
// through the replica target with the lag check left to vtgate, and
// routes a writer's reads to the primary target.
func TestCatalogThroughVtgate(t *testing.T) {
	base := os.Getenv(EnvVtgate)
	if base == "" {
		t.Skipf("%s not set: the Vitess compatibility check is skipped (scripts/vitess-compat.sh starts one)", EnvVtgate)
	}
	c := startReplicaCatalog(t, base+"movies@primary", base+"movies@replica", 200*time.Millisecond)
	if got := c.reads(sqldb.RoutePrimaryFallback); got != 0 {
		t.Fatalf("%v reads fell back to the primary: the replica target is not in rotation", got)
	}

	for _, name := range []string{"One", "Two", "Three"} {
		m := c.create("loader", name)
		t.Cleanup(func() { _ = c.svc.Delete(as("loader"), m.ID) })
	}
	q := contract.ListQuery{Genres: []string{"Drama"}, PageSize: 2,
		Ordering: []contract.Order{{Field: contract.FieldPopularity, Desc: true}}}
	page, err := c.svc.List(as("bob"), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Movies) == 0 || page.Next == "" {
		t.Fatalf("genre page through vtgate: %d movies, next %q", len(page.Movies), page.Next)
	}
	q.Cursor = page.Next
	if _, err := c.svc.List(as("bob"), q); err != nil {
		t.Fatalf("next page through vtgate: %v", err)
	}
	if c.reads(sqldb.RouteReplica) < 2 {
		t.Fatal("bob's reads did not go to the movies@replica target")
	}

	m := c.create("alice", "Through vtgate")
	t.Cleanup(func() { _ = c.svc.Delete(as("alice"), m.ID) })
	pinned := c.reads(sqldb.RoutePrimaryPinned)
	if got := c.name("alice", m.ID); got != "Through vtgate" {
		t.Fatalf("alice reads %q after her write", got)
	}
	if c.reads(sqldb.RoutePrimaryPinned) != pinned+1 {
		t.Fatal("alice's read after her write did not go to the movies@primary target")
	}
	c.rename("alice", m.ID, "Renamed through vtgate")
	feed, err := c.svc.Changes(context.Background(), 0, 1000)
	if err != nil || len(feed.Changes) == 0 {
		t.Fatalf("change feed through vtgate: %v, %v", feed.Changes, err)
	}

	// The lists above ran under vtgate's QUERY_TIMEOUT_MS directive; one
	// past it is stopped and reported as such.
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.MySQL, base+"movies@replica")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	flavor, err := sqldb.DetectFlavor(ctx, db, sqldb.MySQL)
	if err != nil || flavor != sqldb.FlavorVitess {
		t.Fatalf("vtgate taken for %q (%v)", flavor, err)
	}
	var slept any
	err = db.QueryRowContext(ctx, sqldb.NewStatementLimit(flavor, 100*time.Millisecond).Apply(ctx, "SELECT SLEEP(5)")).Scan(&slept)
	if !sqldb.StatementTimedOut(err) {
		t.Fatalf("a read past vtgate's query timeout: %v", err)
	}
}
