package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/readpref"
)

var ctx = context.Background()

func mustGet(t *testing.T, svc catalog.Service, id int64) contract.Movie {
	t.Helper()
	m, err := svc.Get(ctx, id)
	if err != nil {
		t.Fatalf("get %d: %v", id, err)
	}
	return m
}

func nameOf(svc catalog.Service, id int64) string {
	m, err := svc.Get(ctx, id)
	if err != nil {
		return err.Error()
	}
	return m.Name
}

func TestReadsAreCachedInL1ThenRedis(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	store := newMemStore(3)
	a, b := newPod(t, cfg, store), newPod(t, cfg, store)

	mustGet(t, a.svc, 1)
	mustGet(t, a.svc, 1)
	if n := store.gets.Load(); n != 1 {
		t.Fatalf("store read %d times, want 1 (second read from L1)", n)
	}
	a.fills.Wait()
	// The version, which the movie's JSON leaves out, comes back from Redis:
	// the ETag of a cached read is the movie's.
	if got := mustGet(t, b.svc, 1); got.ID != 1 || got.Version != 1 {
		t.Fatalf("pod b got %+v", got)
	}
	if n := store.gets.Load(); n != 1 {
		t.Fatalf("store read %d times, want 1 (pod b reads Redis)", n)
	}
	if hits := counter(b.m.lookups.WithLabelValues("movie", "l2", "hit")); hits != 1 {
		t.Fatalf("pod b L2 hits %v", hits)
	}
}

// A write through one pod is seen at once by that pod and by any pod
// reading Redis, and by pods with the movie in their L1 once the
// invalidation message arrives (the L1 TTL here is far too long to help).
func TestWriteInvalidatesAcrossPods(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	cfg.L1TTL = time.Minute
	store := newMemStore(3)
	a, b := newPod(t, cfg, store), newPod(t, cfg, store)

	for _, p := range []pod{a, b} {
		mustGet(t, p.svc, 2)
		p.fills.Wait()
	}
	for i, name := range []string{"first", "second", "third"} {
		writer, other := a, b
		if i%2 == 1 {
			writer, other = b, a
		}
		if _, err := writer.svc.Patch(ctx, 2, named(name)); err != nil {
			t.Fatal(err)
		}
		if got := nameOf(writer.svc, 2); got != name {
			t.Fatalf("writer reads %q after writing %q", got, name)
		}
		fresh := newPod(t, cfg, store)
		if got := nameOf(fresh.svc, 2); got != name {
			t.Fatalf("a third pod (L2) reads %q after %q was written", got, name)
		}
		eventually(t, "the other pod reads "+name, func() bool { return nameOf(other.svc, 2) == name })
	}

	if err := a.svc.Delete(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Get(ctx, 2); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	eventually(t, "pod b sees the delete", func() bool {
		_, err := b.svc.Get(ctx, 2)
		return errors.Is(err, catalog.ErrNotFound)
	})
}

// Every write moves the list generation: every cached page is dropped at
// once, in Redis and in each pod's L1.
func TestWriteDropsEveryListPage(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	cfg.L1TTL = time.Minute
	store := newMemStore(3)
	a, b := newPod(t, cfg, store), newPod(t, cfg, store)
	queries := []contract.ListQuery{{PageSize: 10}, {PageSize: 20, Genres: []string{"Drama"}}}
	list := func(p pod, q contract.ListQuery) int {
		page, err := p.svc.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Movies)
	}
	for _, q := range queries {
		list(a, q)
		a.fills.Wait()
		list(b, q)
		list(b, q)
	}
	if n := store.lists.Load(); n != 2 {
		t.Fatalf("store listed %d times, want 2 (one per query)", n)
	}
	gen := a.remote.rdb.Get(ctx, a.keys.listGen()).Val()

	if _, err := b.svc.Create(ctx, named("new")); err != nil {
		t.Fatal(err)
	}
	if gen2 := a.remote.rdb.Get(ctx, a.keys.listGen()).Val(); gen2 == gen || gen2 == "" {
		t.Fatalf("list generation %q after a write, was %q", gen2, gen)
	}
	for _, q := range queries {
		if n := list(b, q); n != 4 {
			t.Fatalf("writer lists %d movies, want 4", n)
		}
		eventually(t, "pod a lists the new movie", func() bool { return list(a, q) == 4 })
	}
}

func TestNotFoundIsCachedUntilCreated(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	cfg.L1TTL = time.Minute
	store := newMemStore(3)
	a, b := newPod(t, cfg, store), newPod(t, cfg, store)

	for range 3 {
		if _, err := a.svc.Get(ctx, 4); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("get 4: %v", err)
		}
	}
	a.fills.Wait()
	if _, err := b.svc.Get(ctx, 4); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("pod b get 4: %v", err)
	}
	if n := store.gets.Load(); n != 1 {
		t.Fatalf("store read %d times for a missing movie, want 1", n)
	}
	created, err := a.svc.Create(ctx, named("four"))
	if err != nil || created.ID != 4 {
		t.Fatalf("create: %+v %v", created, err)
	}
	if got := nameOf(a.svc, 4); got != "four" {
		t.Fatalf("writer reads %q", got)
	}
	eventually(t, "pod b finds the new movie", func() bool { return nameOf(b.svc, 4) == "four" })
}

func TestNotFoundExpires(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	cfg.NegativeTTL = 50 * time.Millisecond
	cfg.L1Size = 0
	store := newMemStore(0)
	a := newPod(t, cfg, store)
	if _, err := a.svc.Get(ctx, 1); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatal(err)
	}
	a.fills.Wait()
	// Added behind the cache's back (as a bulk load does): visible once the
	// negative entry expires.
	store.mu.Lock()
	store.movies[1] = contract.Movie{ID: 1, Name: "bulk"}
	store.mu.Unlock()
	eventually(t, "the negative entry expires", func() bool { return nameOf(a.svc, 1) == "bulk" })
}

// N concurrent misses of one key make one store read per pod.
func TestConcurrentMissesFillOnce(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	store := newMemStore(3)
	store.gate, store.inGet = make(chan struct{}), make(chan struct{}, 100)
	a := newPod(t, cfg, store)

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			m, err := a.svc.Get(ctx, 3)
			if err == nil && m.ID != 3 {
				err = errors.New("wrong movie")
			}
			errs <- err
		})
	}
	<-store.inGet
	// Whoever has not joined the fill yet when it ends finds the L1 filled,
	// so the count below holds however the goroutines are scheduled.
	close(store.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := store.gets.Load(); got != 1 {
		t.Fatalf("%d concurrent misses made %d store reads, want 1", n, got)
	}
	if fills := counter(a.m.fills.WithLabelValues("movie")); fills != 1 {
		t.Fatalf("fills %v", fills)
	}
}

// Pods of another shape version never read this version's entries, and a
// write on either still reaches both.
func TestShapeVersionsAreIsolated(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	cfg.L1Size = 0 // every read asks Redis
	store := newMemStore(3)
	v1 := newPodVersion(t, cfg, "v1", store)
	v2 := newPodVersion(t, cfg, "v2", store)

	mustGet(t, v1.svc, 1)
	v1.fills.Wait()
	mustGet(t, v1.svc, 1)
	if n := store.gets.Load(); n != 1 {
		t.Fatalf("v1 store reads %d, want 1", n)
	}
	mustGet(t, v2.svc, 1)
	if n := store.gets.Load(); n != 2 {
		t.Fatalf("v2 read v1's entry: store reads %d, want 2", n)
	}
	if hits := counter(v2.m.lookups.WithLabelValues("movie", "l2", "hit")); hits != 0 {
		t.Fatalf("v2 L2 hits %v", hits)
	}
	v2.fills.Wait()

	// A write on a v2 pod: v1 pods tombstone their own key on its message.
	if _, err := v2.svc.Patch(ctx, 1, named("renamed")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "v1 sees a write made by v2", func() bool { return nameOf(v1.svc, 1) == "renamed" })
}

func TestL1OnlyWithoutRedis(t *testing.T) {
	cfg := DefaultConfig()
	store := newMemStore(3)
	a := newPod(t, cfg, store)
	mustGet(t, a.svc, 1)
	mustGet(t, a.svc, 1)
	if n := store.gets.Load(); n != 1 {
		t.Fatalf("store reads %d, want 1", n)
	}
	if _, err := a.svc.Patch(ctx, 1, named("x")); err != nil {
		t.Fatal(err)
	}
	if got := nameOf(a.svc, 1); got != "x" {
		t.Fatalf("read %q after write", got)
	}
}

// Within the quiet period after a write a replica may lag: a fill that read
// before the write must not put the old movie into Redis, and fills that
// find the tombstone, or lists in the quiet period, read the primary and
// store what it says.
func TestFillsAfterAWriteReadThePrimary(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	cfg.L1Size = 0
	store := newMemStore(3)
	a, b := newPod(t, cfg, store), newPod(t, cfg, store)

	store.gate, store.inGet = make(chan struct{}), make(chan struct{}, 100)
	read := make(chan string)
	go func() { read <- nameOf(a.svc, 1) }()
	<-store.inGet // a looked Redis up and now reads the replica
	heard := func(p pod) float64 { return counter(p.m.invalidations.WithLabelValues("message", "received")) }
	aHeard, bHeard := heard(a), heard(b)
	if _, err := b.svc.Patch(ctx, 1, named("new")); err != nil {
		t.Fatal(err)
	}
	// Both pods must hear the write before the fills below start: a message
	// arriving mid-fill moves the epoch and rightly keeps that fill out of
	// Redis, which is another test's subject.
	eventually(t, "both pods hear the write", func() bool { return heard(a) > aHeard && heard(b) > bHeard })
	store.lag(1, "old")
	close(store.gate)
	if got := <-read; got != "old" {
		t.Fatalf("racing read got %q", got)
	}
	a.fills.Wait()
	if raw, _ := a.remote.rdb.Get(ctx, a.keys.movie(1)).Bytes(); !isTombstone(raw) {
		t.Fatalf("Redis holds %q for the written movie, want the tombstone", raw)
	}

	// The next fill finds the tombstone, reads the primary, replaces it.
	// Replacing is an efficiency, not a guarantee: anything that moves a's
	// epoch during the fill (a late message, a resubscription) rightly keeps
	// it out of Redis, so a later fill may be the one that stores it. What
	// every fill must do is answer from the primary.
	eventually(t, "a fill after the write stores the primary's movie in Redis", func() bool {
		if got := nameOf(a.svc, 1); got != "new" {
			t.Fatalf("fill after the write read %q\npod a: %s", got, a.describe())
		}
		a.fills.Wait()
		raw, _ := a.remote.rdb.Get(ctx, a.keys.movie(1)).Bytes()
		e, err := decode(raw)
		return !isTombstone(raw) && err == nil && e.Movie != nil && e.Movie.Name == "new"
	})
	// Pod b reads what a stored, from Redis. A lookup that fails (a slow
	// moment of a loaded machine) reads the store instead, rightly; it is
	// the next read that must find Redis.
	fromRedis := func() bool {
		gets := store.gets.Load()
		if got := nameOf(b.svc, 1); got != "new" {
			t.Fatalf("pod b read %q\npod a: %s\npod b: %s", got, a.describe(), b.describe())
		}
		return store.gets.Load() == gets
	}
	for try := 0; !fromRedis(); try++ {
		if try == 20 {
			t.Fatalf("pod b never read the movie from Redis\npod a: %s\npod b: %s", a.describe(), b.describe())
		}
		time.Sleep(10 * time.Millisecond)
	}

	primary := store.primaryLists.Load()
	if _, err := b.svc.List(ctx, contract.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if store.primaryLists.Load() != primary+1 {
		t.Fatal("a list fill in the quiet period read a replica")
	}
	b.fills.Wait()
	lists := store.lists.Load()
	if _, err := a.svc.List(ctx, contract.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if store.lists.Load() != lists {
		t.Fatal("the page read from the primary was not stored in Redis")
	}
}

// A caller marked for primary reads (it just wrote, and reads may go to
// replicas) is answered by the store, never by the cache.
func TestPrimaryReadsBypassTheCache(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	store := newMemStore(3)
	a := newPod(t, cfg, store)
	mustGet(t, a.svc, 1)
	if _, err := a.svc.List(ctx, contract.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	primary := readpref.WithPrimary(ctx)
	if _, err := a.svc.Get(primary, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.List(primary, contract.ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if store.gets.Load() != 2 || store.lists.Load() != 2 {
		t.Fatalf("store gets %d lists %d, want 2 and 2", store.gets.Load(), store.lists.Load())
	}
}

// The cache sits below the service, so writes that reach the store without
// a service method (an import) drop the list pages too, on every pod.
func TestAnImportThroughTheStoreDropsTheListPages(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	cfg.L1TTL = time.Minute
	mem := newMemStore(3)
	a, b := newPod(t, cfg, mem), newPod(t, cfg, mem)
	count := func(p pod) int {
		page, err := p.svc.List(ctx, contract.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Movies)
	}
	count(a)
	a.fills.Wait()
	count(b)
	if n, err := a.Store(mem).Import(ctx, []contract.Movie{{Name: "Imported"}}, "loader"); err != nil || n != 1 {
		t.Fatalf("import: %d, %v", n, err)
	}
	if n := count(a); n != 4 {
		t.Fatalf("the importing pod lists %d movies, want 4", n)
	}
	eventually(t, "the other pod lists the imported movie", func() bool { return count(b) == 4 })
}
