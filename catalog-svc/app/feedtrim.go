package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/catalog"
)

// feedTrimmer runs feed retention every interval: bounded passes of
// Store.TrimFeed until one says it is done.
type feedTrimmer struct {
	store     catalog.Store
	retention catalog.FeedRetention
	interval  time.Duration
	log       *slog.Logger
	trimmed   prometheus.Counter
	minPos    prometheus.Gauge
}

func newFeedTrimmer(s catalog.Store, cfg Config, log *slog.Logger, reg prometheus.Registerer) *feedTrimmer {
	t := &feedTrimmer{store: s, retention: catalog.FeedRetention{MaxAge: cfg.FeedMaxAge}, interval: cfg.FeedTrimInterval, log: log,
		trimmed: prometheus.NewCounter(prometheus.CounterOpts{Name: "catalog_feed_trimmed_total",
			Help: "Change feed rows removed by retention (superseded by a later change of the same movie)."}),
		minPos: prometheus.NewGauge(prometheus.GaugeOpts{Name: "catalog_feed_min_consumer_position",
			Help: "The lowest feed position acknowledged by a registered consumer (0 with none)."}),
	}
	reg.MustRegister(t.trimmed, t.minPos)
	return t
}

// Run trims until ctx ends; failures are logged and retried next time.
func (t *feedTrimmer) Run(ctx context.Context) error {
	if t.interval <= 0 {
		return nil
	}
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		for ctx.Err() == nil {
			got, err := t.store.TrimFeed(ctx, t.retention)
			if err != nil {
				if ctx.Err() == nil {
					t.log.WarnContext(ctx, "feed retention failed; retrying later", "error", err)
				}
				break
			}
			t.trimmed.Add(float64(got.Deleted))
			t.minPos.Set(float64(got.MinPosition))
			if !got.More {
				break
			}
		}
	}
}
