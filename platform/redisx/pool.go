package redisx

import "github.com/prometheus/client_golang/prometheus"

// PoolCollector exports c's connection pool, read at scrape time, labelled
// client (what this Redis use is, e.g. "catalog-cache"): connections open,
// idle, and waits for a free connection that ran out of time. A service
// with several clients registers one collector per client.
func (c *Client) PoolCollector(client string) prometheus.Collector {
	labels := prometheus.Labels{"client": client}
	return &poolCollector{
		c:        c,
		conns:    prometheus.NewDesc("redis_pool_connections", "Connections in the go-redis pool, in use or idle.", nil, labels),
		idle:     prometheus.NewDesc("redis_pool_idle_connections", "Idle connections in the go-redis pool.", nil, labels),
		timeouts: prometheus.NewDesc("redis_pool_timeouts_total", "Waits for a free pool connection that ran out of time.", nil, labels),
	}
}

type poolCollector struct {
	c                     *Client
	conns, idle, timeouts *prometheus.Desc
}

func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.conns
	ch <- p.idle
	ch <- p.timeouts
}

func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.c.rdb.PoolStats()
	ch <- prometheus.MustNewConstMetric(p.conns, prometheus.GaugeValue, float64(s.TotalConns))
	ch <- prometheus.MustNewConstMetric(p.idle, prometheus.GaugeValue, float64(s.IdleConns))
	ch <- prometheus.MustNewConstMetric(p.timeouts, prometheus.CounterValue, float64(s.Timeouts))
}
