package engine

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/contract"
)

// Metrics time the calls into a search engine and count its failures, by
// engine and operation: search_engine_request_duration_seconds and
// search_engine_errors_total.
type Metrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// operations are the op label's values, each a series from the start.
var operations = []string{"search", "apply", "staging", "apply_staging", "swap", "discard", "count", "cursor"}

// NewMetrics registers the engine metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "search_engine_request_duration_seconds",
			Help:    "Time of calls into the search engine, by engine (bleve, meilisearch) and operation (search, apply, staging, apply_staging, swap, discard, count, cursor).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"engine", "op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "search_engine_errors_total",
			Help: "Calls into the search engine that failed, by engine and operation; a caller that went away is not counted.",
		}, []string{"engine", "op"}),
	}
	reg.MustRegister(m.duration, m.errors)
	return m
}

// Instrumented wraps e so that every call of the index (searches, writes,
// reindex steps, cursor and count reads) is timed on m under engine, and
// every failure counted. Any Engine gets it, whatever its backend.
func Instrumented(e Engine, engine string, m *Metrics) Engine {
	for _, op := range operations {
		m.duration.WithLabelValues(engine, op)
		m.errors.WithLabelValues(engine, op)
	}
	return measuredEngine{Engine: e, o: meter{m: m, engine: engine}}
}

type meter struct {
	m      *Metrics
	engine string
}

func (o meter) observe(op string, start time.Time, err error) {
	o.m.duration.WithLabelValues(o.engine, op).Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(err, context.Canceled) {
		o.m.errors.WithLabelValues(o.engine, op).Inc()
	}
}

type measuredEngine struct {
	Engine
	o meter
}

func (e measuredEngine) Search(ctx context.Context, q contract.SearchQuery) (res contract.SearchResult, err error) {
	defer func(start time.Time) { e.o.observe("search", start, err) }(time.Now())
	return e.Engine.Search(ctx, q)
}

func (e measuredEngine) Apply(ctx context.Context, b Batch) (err error) {
	defer func(start time.Time) { e.o.observe("apply", start, err) }(time.Now())
	return e.Engine.Apply(ctx, b)
}

func (e measuredEngine) Cursor(ctx context.Context) (c int64, err error) {
	defer func(start time.Time) { e.o.observe("cursor", start, err) }(time.Now())
	return e.Engine.Cursor(ctx)
}

func (e measuredEngine) Count(ctx context.Context) (n int64, err error) {
	defer func(start time.Time) { e.o.observe("count", start, err) }(time.Now())
	return e.Engine.Count(ctx)
}

func (e measuredEngine) Staging(ctx context.Context) (st Staging, err error) {
	defer func(start time.Time) { e.o.observe("staging", start, err) }(time.Now())
	if st, err = e.Engine.Staging(ctx); err != nil {
		return nil, err
	}
	return measuredStaging{Staging: st, o: e.o}, nil
}

type measuredStaging struct {
	Staging
	o meter
}

func (s measuredStaging) Apply(ctx context.Context, b Batch) (err error) {
	defer func(start time.Time) { s.o.observe("apply_staging", start, err) }(time.Now())
	return s.Staging.Apply(ctx, b)
}

func (s measuredStaging) Swap(ctx context.Context) (err error) {
	defer func(start time.Time) { s.o.observe("swap", start, err) }(time.Now())
	return s.Staging.Swap(ctx)
}

func (s measuredStaging) Discard(ctx context.Context) (err error) {
	defer func(start time.Time) { s.o.observe("discard", start, err) }(time.Now())
	return s.Staging.Discard(ctx)
}
