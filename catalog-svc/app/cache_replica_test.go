package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/catalog-svc/cache"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/redisx/redistest"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// Two pods reading a lagging replica through the cache: the writer reads
// its write on both, others read the old or the new value (the replicas' bound), and
// no value read from the lagging replica gets into Redis, where it would
// outlive the lag.
func TestCacheOverALaggingReplica(t *testing.T) {
	addr := redistest.RedisAddr(t)
	pair := sqltest.ReplicatedMySQL(t)
	cfg := app.Config{DBDriver: "mysql", DBDSN: pair.PrimaryDSN, ReplicaDSNs: []string{pair.ReplicaDSN},
		ReplicaMaxLag: 2 * time.Second, ReplicaCheckInterval: time.Hour, Migrate: true, Cache: cache.DefaultConfig()}
	cfg.Cache.Redis.Addr, cfg.Cache.Namespace = addr, redistest.Namespace()
	var pods []catalog.Service
	for range 2 {
		a, err := app.New(context.Background(), cfg, logging.Discard(), server.NewRegistry(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		pods = append(pods, a.Service)
	}
	name := func(pod int, actor string, id int64) string {
		t.Helper()
		m, err := pods[pod].Get(catalog.WithActor(context.Background(), actor), id)
		if err != nil {
			t.Fatal(err)
		}
		return m.Name
	}
	before, after := "Before", "After"
	m, err := pods[0].Create(catalog.WithActor(context.Background(), "alice"), contract.MovieWrite{Name: &before,
		Director: new("Someone"), Popularity: new(50.0), IMDBScore: new(5.0), Genre: &[]contract.Genre{{Name: "Drama"}}})
	if err != nil {
		t.Fatal(err)
	}
	pair.WaitReplicated(t)
	for pod := range pods {
		if got := name(pod, "bob", m.ID); got != before {
			t.Fatalf("bob reads %q on pod %d", got, pod)
		}
	}

	pair.Exec(t, pair.Replica, "STOP SLAVE SQL_THREAD")
	if _, err := pods[0].Patch(catalog.WithActor(context.Background(), "alice"), m.ID, contract.MovieWrite{Name: &after}); err != nil {
		t.Fatal(err)
	}
	for pod := range pods {
		if got := name(pod, "alice", m.ID); got != after {
			t.Fatalf("alice reads %q on pod %d right after her write on pod 0", got, pod)
		}
	}
	// No cache stands in front of the change feed: only the writers the
	// pods share through Redis send her read of it on pod 1 to the primary.
	head := func(pod int) int64 {
		t.Helper()
		feed, err := pods[pod].Changes(catalog.WithActor(context.Background(), "alice"), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		return feed.Head
	}
	if h0, h1 := head(0), head(1); h1 != h0 {
		t.Fatalf("alice's change feed ends at %d on pod 1, at %d on the writer's pod", h1, h0)
	}
	// Bob reads the lagging replica on both pods, and may see the old name
	// for as long as the replica lags (it is in rotation: no check since).
	for pod := range pods {
		if got := name(pod, "bob", m.ID); got != before && got != after {
			t.Fatalf("bob reads %q on pod %d", got, pod)
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	// The movie key layout of cache/keys.go.
	key := cfg.Cache.Namespace + ":" + cache.ShapeVersion + ":movie:" + strconv.FormatInt(m.ID, 10)
	if v := rdb.Get(context.Background(), key).Val(); strings.Contains(v, before) {
		t.Fatalf("Redis holds %q, read from the lagging replica", v)
	}

	pair.Exec(t, pair.Replica, "START SLAVE SQL_THREAD")
	pair.WaitReplicated(t)
	for pod := range pods {
		sqltest.Eventually(t, "bob reads the write once the replica has it", func() bool { return name(pod, "bob", m.ID) == after })
	}
}
