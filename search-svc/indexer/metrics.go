package indexer

import "github.com/prometheus/client_golang/prometheus"

type metricsRegisterer = prometheus.Registerer

type metrics struct {
	cursor, head, lagSequences, lagSeconds, lastSync prometheus.Gauge
	applied, errors, reindexes, headConfirmations    *prometheus.CounterVec
	batchDuration                                    prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "search", Subsystem: "indexer", Name: name, Help: help})
	}
	counter := func(name, help, label string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "search", Subsystem: "indexer", Name: name, Help: help}, []string{label})
	}
	m := &metrics{
		cursor:       gauge("cursor", "Sequence number of the last catalog change applied to the index."),
		head:         gauge("feed_head", "Newest sequence number of the catalog change feed, as last seen."),
		lagSequences: gauge("lag_sequences", "Catalog changes not yet applied to the index."),
		lagSeconds:   gauge("lag_seconds", "Age of the newest applied change while changes remain pending; 0 when caught up."),
		lastSync:     gauge("last_sync_timestamp_seconds", "When the indexer last read the feed successfully (Unix time)."),
		applied:      counter("changes_applied_total", "Movies upserted or deleted in the index, after collapsing each page by movie.", "op"),
		errors:       counter("errors_total", "Failed indexer steps, by stage (cursor, feed, apply).", "stage"),
		reindexes:    counter("reindexes_total", "Full reindexes, by result.", "result"),
		headConfirmations: counter("head_confirmations_total",
			"Feed heads behind the index cursor confirmed on the catalog's primary, by result: replica_lag (the primary is not behind; no reindex) or restored (it is; a reindex starts).", "result"),
		batchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "search", Subsystem: "indexer", Name: "batch_duration_seconds",
			Help:    "Time to write one page of changes to the index.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
	}
	reg.MustRegister(m.cursor, m.head, m.lagSequences, m.lagSeconds, m.lastSync, m.applied, m.errors, m.reindexes, m.headConfirmations, m.batchDuration)
	// At zero from the start, so the first error or reindex is seen by
	// rate() and increase(), and the panels are not empty until then.
	for _, stage := range []string{"cursor", "feed", "apply"} {
		m.errors.WithLabelValues(stage)
	}
	for _, result := range []string{"ok", "error"} {
		m.reindexes.WithLabelValues(result)
	}
	for _, result := range []string{confirmedReplicaLag, confirmedRestored} {
		m.headConfirmations.WithLabelValues(result)
	}
	return m
}
