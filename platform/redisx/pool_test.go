package redisx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/redisx/redistest"
)

// Two clients of one service on one registry stay two series each; after a
// call to a real Redis the pool holds the connection it used, idle.
func TestPoolCollectorReadsThePoolAtScrapeTime(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	used := redisx.New(redisx.Settings{Addr: redistest.RedisAddr(t), Budget: time.Second, BreakerOpen: time.Second}, redisx.Hooks{})
	defer used.Close()
	idle := redisx.New(redisx.Settings{Addr: redistest.RedisAddr(t), Budget: time.Second, BreakerOpen: time.Second}, redisx.Hooks{})
	defer idle.Close()
	reg.MustRegister(used.PoolCollector("used"), idle.PoolCollector("idle"))

	if err := used.Do(context.Background(), "ping", func(ctx context.Context, rdb *redis.Client) error {
		return rdb.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP redis_pool_connections Connections in the go-redis pool, in use or idle.
# TYPE redis_pool_connections gauge
redis_pool_connections{client="idle"} 0
redis_pool_connections{client="used"} 1
# HELP redis_pool_idle_connections Idle connections in the go-redis pool.
# TYPE redis_pool_idle_connections gauge
redis_pool_idle_connections{client="idle"} 0
redis_pool_idle_connections{client="used"} 1
# HELP redis_pool_timeouts_total Waits for a free pool connection that ran out of time.
# TYPE redis_pool_timeouts_total counter
redis_pool_timeouts_total{client="idle"} 0
redis_pool_timeouts_total{client="used"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "redis_pool_connections", "redis_pool_idle_connections", "redis_pool_timeouts_total"); err != nil {
		t.Fatal(err)
	}
}
