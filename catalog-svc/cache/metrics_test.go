package cache

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Every Redis operation's error series exists from the start, at zero, for
// each reason redisx gives.
func TestRedisErrorSeriesExistFromStart(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	newMetrics(reg, func() float64 { return 0 })
	if n, err := testutil.GatherAndCount(reg, "catalog_cache_redis_errors_total"); err != nil || n != 4*3 {
		t.Fatalf("catalog_cache_redis_errors_total: %d series, err %v; want 12", n, err)
	}
}
