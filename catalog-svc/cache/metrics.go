package cache

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/redisx"
)

type metrics struct {
	lookups       *prometheus.CounterVec
	fills         *prometheus.CounterVec
	errors        *prometheus.CounterVec
	invalidations *prometheus.CounterVec
	breaker       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, pending func() float64) *metrics {
	m := &metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "catalog_cache_lookups_total",
			Help: "Catalog cache lookups, by kind (movie, list), level (l1 in-process, l2 Redis) and result (hit, miss, error).",
		}, []string{"kind", "level", "result"}),
		fills: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "catalog_cache_fills_total",
			Help: "Answers read from the store to fill the cache (one per key at a time per pod), by kind.",
		}, []string{"kind"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "catalog_cache_redis_errors_total",
			Help: "Redis operations that failed, by operation and reason (timeout, breaker_open, error).",
		}, []string{"op", "reason"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "catalog_cache_invalidations_total",
			Help: "Invalidations, by source (write; message: from another pod; retry) and result (received; ok: Redis took it; deferred: Redis missed it, a retry is pending).",
		}, []string{"source", "result"}),
		breaker: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "catalog_cache_breaker_state",
			Help: "State of the Redis circuit breaker: 0 closed, 1 half-open, 2 open.",
		}),
	}
	reg.MustRegister(m.lookups, m.fills, m.errors, m.invalidations, m.breaker,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "catalog_cache_pending_invalidations",
			Help: "Movie invalidations Redis has not accepted yet (lists count as one).",
		}, pending))
	// The Redis operations' error series exist from the start, at zero, so
	// the dashboards and an increase() over them see the first error.
	for _, op := range []string{"get", "fill", "invalidate", "recent"} {
		for _, reason := range redisx.Reasons() {
			m.errors.WithLabelValues(op, reason)
		}
	}
	return m
}

func (m *metrics) lookup(kind, level, result string) {
	m.lookups.WithLabelValues(kind, level, result).Inc()
}

func (m *metrics) redisError(op string, err error) {
	m.errors.WithLabelValues(op, redisx.Reason(err)).Inc()
}
