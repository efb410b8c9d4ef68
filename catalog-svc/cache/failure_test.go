package cache

import (
	"errors"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
)

// exercise reads and writes through p while Redis misbehaves: every call
// must succeed with the database's answer, and the pod must read its own
// writes.
func exercise(t *testing.T, p pod, store *memStore) {
	t.Helper()
	for id := int64(1); id <= 3; id++ {
		if m := mustGet(t, p.svc, id); m.ID != id {
			t.Fatalf("got %+v for %d", m, id)
		}
	}
	page, err := p.svc.List(ctx, contract.ListQuery{PageSize: 10})
	if err != nil || len(page.Movies) != 3 {
		t.Fatalf("list: %d movies, %v", len(page.Movies), err)
	}
	if _, err := p.svc.Patch(ctx, 1, named("patched")); err != nil {
		t.Fatalf("patch with Redis away: %v", err)
	}
	if got := nameOf(p.svc, 1); got != "patched" {
		t.Fatalf("read %q after writing patched", got)
	}
	created, err := p.svc.Create(ctx, named("created"))
	if err != nil {
		t.Fatalf("create with Redis away: %v", err)
	}
	if got := nameOf(p.svc, created.ID); got != "created" {
		t.Fatalf("read %q after creating", got)
	}
	if err := p.svc.Delete(ctx, 2); err != nil {
		t.Fatalf("delete with Redis away: %v", err)
	}
	if _, err := p.svc.Get(ctx, 2); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("read after delete: %v", err)
	}
	page, err = p.svc.List(ctx, contract.ListQuery{PageSize: 10})
	if err != nil || len(page.Movies) != 3 {
		t.Fatalf("list after writes: %d movies, %v", len(page.Movies), err)
	}
	if p.pending.count() == 0 {
		t.Fatal("no invalidation pending although Redis never took one")
	}
}

func TestRedisDownStillServes(t *testing.T) {
	cfg := testConfig(t, closedAddr(t))
	cfg.L1Size = 0 // every read tries Redis
	cfg.BreakerOpen = time.Hour
	store := newMemStore(3)
	p := newUnreachablePod(t, cfg, ShapeVersion, store)

	exercise(t, p, store)
	if n := counter(p.m.errors.WithLabelValues("get", "error")); n == 0 {
		t.Fatal("Redis errors not counted")
	}
	// After redisx.TripAfter failures the breaker opens: later calls fail fast
	// without dialing.
	if st := p.remote.state(); st != "open" {
		t.Fatalf("breaker %s after repeated failures", st)
	}
	mustGet(t, p.svc, 3)
	if n := counter(p.m.errors.WithLabelValues("get", "breaker_open")); n == 0 {
		t.Fatal("no call short-circuited by the open breaker")
	}
	if got := counter(p.m.breaker); got != 2 {
		t.Fatalf("breaker gauge %v, want 2 (open)", got)
	}
}

func TestRedisSlowStillServes(t *testing.T) {
	addr := redisAddr(t)
	px := startProxy(t, addr)
	px.delay.Store(int64(time.Second))
	cfg := testConfig(t, px.addr())
	cfg.Timeout = 20 * time.Millisecond
	cfg.L1Size = 0
	cfg.BreakerOpen = time.Hour
	store := newMemStore(3)
	p := newUnreachablePod(t, cfg, ShapeVersion, store)

	exercise(t, p, store)
	if n := counter(p.m.errors.WithLabelValues("get", "timeout")); n == 0 {
		t.Fatal("no Redis lookup abandoned at the budget")
	}
	if hits := counter(p.m.lookups.WithLabelValues("movie", "l2", "hit")); hits != 0 {
		t.Fatalf("%v answers came from a Redis slower than the budget", hits)
	}
	if st := p.remote.state(); st != "open" {
		t.Fatalf("breaker %s after repeated timeouts", st)
	}
}

// A write whose invalidation Redis missed: the writer's pod reads its write
// at once, other pods may read the old movie from Redis until the writer's
// retry lands, and then they all read the new one.
func TestMissedInvalidationIsRetried(t *testing.T) {
	store := newMemStore(3)
	other, writer, px := podsWithOneBehindProxy(t, store, func(c *Config) { c.L1Size = 0 })

	mustGet(t, other.svc, 1)
	other.fills.Wait()
	px.cut()
	if _, err := writer.svc.Patch(ctx, 1, named("new")); err != nil {
		t.Fatal(err)
	}
	if writer.pending.count() == 0 {
		t.Fatal("invalidation not pending")
	}
	if got := nameOf(writer.svc, 1); got != "new" {
		t.Fatalf("writer reads %q", got)
	}
	if got := nameOf(other.svc, 1); got == "new" {
		t.Fatal("Redis was invalidated although the writer could not reach it")
	}
	px.restore()
	eventually(t, "the retry lands", func() bool { return writer.pending.count() == 0 })
	if got := nameOf(other.svc, 1); got != "new" {
		t.Fatalf("other pod reads %q after the retry", got)
	}
	if n := counter(writer.m.invalidations.WithLabelValues("retry", "ok")); n == 0 {
		t.Fatal("retry not counted")
	}
}

// A pod that lost its subscription missed invalidations: when it subscribes
// again it empties its L1, so it does not serve what it missed for a whole
// L1 TTL.
func TestResubscribingEmptiesTheL1(t *testing.T) {
	store := newMemStore(3)
	writer, other, px := podsWithOneBehindProxy(t, store, func(c *Config) { c.L1TTL = time.Minute })

	mustGet(t, other.svc, 1)
	px.cut()
	if _, err := writer.svc.Patch(ctx, 1, named("new")); err != nil {
		t.Fatal(err)
	}
	if got := nameOf(other.svc, 1); got == "new" {
		t.Fatal("the cut-off pod learnt of the write")
	}
	px.restore()
	eventually(t, "the pod resubscribes and forgets what it missed", func() bool { return nameOf(other.svc, 1) == "new" })
}

// podsWithOneBehindProxy starts two pods on one Redis, the second through a
// proxy the test can cut.
func podsWithOneBehindProxy(t *testing.T, store *memStore, tune func(*Config)) (direct, behind pod, px *proxy) {
	addr := redisAddr(t)
	px = startProxy(t, addr)
	cfg := testConfig(t, addr)
	tune(&cfg)
	direct = newPod(t, cfg, store)
	cfg.Redis.Addr = px.addr()
	return direct, newPod(t, cfg, store), px
}
