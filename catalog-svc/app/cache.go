package app

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/cache"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/telemetry"
)

// newCache builds the read-through cache cfg.Cache describes, or nil when it
// is disabled; Redis refusing our credentials makes the pod unready. With replicas, the quiet period after a write is stretched
// past the read-your-writes window (which outlasts the replicas' staleness),
// so no entry filled from a lagging replica reaches Redis.
func newCache(cfg Config, replicas *replicaReads, log *slog.Logger, reg prometheus.Registerer, tr *telemetry.Tracing, health *server.Health) (*cache.Cache, error) {
	if !cfg.Cache.Enabled {
		return nil, nil
	}
	cc := cfg.Cache
	cc.Tracer = tr.TracerProvider()
	if replicas != nil {
		cc.QuietTTL = max(cc.QuietTTL, replicas.window+2*time.Second)
	}
	level := "l1"
	if cc.Redis.Addr != "" {
		level = "l1+redis"
	}
	log.Info("catalog cache on", "levels", level, "l1_ttl", cc.L1TTL, "quiet_ttl", cc.QuietTTL, "timeout", cc.Timeout)
	c, err := cache.New(cc, log, reg)
	if err != nil {
		return nil, err
	}
	if cc.Redis.Addr != "" {
		health.AddCheck("redis-credentials", redisx.Logged("catalog-cache", log, c.RedisCredentials))
	}
	return c, nil
}

// cachedStore is s read through c, or s itself when c is nil (disabled).
func cachedStore(c *cache.Cache, s catalog.Store, health *server.Health) catalog.Store {
	if c == nil {
		return s
	}
	health.AddDetail("cache", c.Status)
	return c.Store(s)
}
