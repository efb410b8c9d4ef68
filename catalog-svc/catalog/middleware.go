package catalog

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/svcmetrics"
)

// Middleware decorates a Service.
type Middleware func(Service) Service

// LoggingMiddleware logs every write at info level (they are rare and worth
// an audit line), reads at debug level, and failures that are not the
// caller's fault at error level.
func LoggingMiddleware(log *slog.Logger) Middleware {
	return func(next Service) Service { return logging{next: next, log: log} }
}

type logging struct {
	next Service
	log  *slog.Logger
}

func (l logging) done(ctx context.Context, method string, write bool, start time.Time, err error, attrs ...any) {
	level := slog.LevelDebug
	if write {
		level = slog.LevelInfo
	}
	if err != nil && apierr.KindOf(err) == apierr.Internal {
		level = slog.LevelError
	}
	attrs = append(attrs, "method", method, "took", time.Since(start), "actor", Actor(ctx))
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	l.log.Log(ctx, level, "catalog call", attrs...)
}

func (l logging) List(ctx context.Context, q contract.ListQuery) (p contract.Page, err error) {
	defer func(start time.Time) {
		l.done(ctx, "List", false, start, err, "query", q.Values().Encode(), "results", len(p.Movies))
	}(time.Now())
	return l.next.List(ctx, q)
}

func (l logging) Get(ctx context.Context, id int64) (m contract.Movie, err error) {
	defer func(start time.Time) { l.done(ctx, "Get", false, start, err, "id", id) }(time.Now())
	return l.next.Get(ctx, id)
}

func (l logging) Create(ctx context.Context, in contract.MovieWrite) (m contract.Movie, err error) {
	defer func(start time.Time) { l.done(ctx, "Create", true, start, err, "id", m.ID) }(time.Now())
	return l.next.Create(ctx, in)
}

func (l logging) Replace(ctx context.Context, id int64, in contract.MovieWrite) (m contract.Movie, err error) {
	defer func(start time.Time) { l.done(ctx, "Replace", true, start, err, "id", id) }(time.Now())
	return l.next.Replace(ctx, id, in)
}

func (l logging) Patch(ctx context.Context, id int64, p contract.MovieWrite) (m contract.Movie, err error) {
	defer func(start time.Time) { l.done(ctx, "Patch", true, start, err, "id", id) }(time.Now())
	return l.next.Patch(ctx, id, p)
}

func (l logging) Delete(ctx context.Context, id int64) (err error) {
	defer func(start time.Time) { l.done(ctx, "Delete", true, start, err, "id", id) }(time.Now())
	return l.next.Delete(ctx, id)
}

func (l logging) Changes(ctx context.Context, after int64, limit int) (p contract.ChangePage, err error) {
	defer func(start time.Time) {
		l.done(ctx, "Changes", false, start, err, "after", after, "returned", len(p.Changes))
	}(time.Now())
	return l.next.Changes(ctx, after, limit)
}

// InstrumentingMiddleware counts calls by method and outcome and times them,
// on reg (catalog_service_calls_total, catalog_service_call_duration_seconds).
func InstrumentingMiddleware(reg prometheus.Registerer) Middleware {
	calls := svcmetrics.NewCalls(reg, "catalog")
	return func(next Service) Service { return instrumenting{next: next, observe: calls.Observe} }
}

type instrumenting struct {
	next    Service
	observe func(method string, start time.Time, err error)
}

func (m instrumenting) List(ctx context.Context, q contract.ListQuery) (p contract.Page, err error) {
	defer func(start time.Time) { m.observe("List", start, err) }(time.Now())
	return m.next.List(ctx, q)
}

func (m instrumenting) Get(ctx context.Context, id int64) (mv contract.Movie, err error) {
	defer func(start time.Time) { m.observe("Get", start, err) }(time.Now())
	return m.next.Get(ctx, id)
}

func (m instrumenting) Create(ctx context.Context, in contract.MovieWrite) (mv contract.Movie, err error) {
	defer func(start time.Time) { m.observe("Create", start, err) }(time.Now())
	return m.next.Create(ctx, in)
}

func (m instrumenting) Replace(ctx context.Context, id int64, in contract.MovieWrite) (mv contract.Movie, err error) {
	defer func(start time.Time) { m.observe("Replace", start, err) }(time.Now())
	return m.next.Replace(ctx, id, in)
}

func (m instrumenting) Patch(ctx context.Context, id int64, p contract.MovieWrite) (mv contract.Movie, err error) {
	defer func(start time.Time) { m.observe("Patch", start, err) }(time.Now())
	return m.next.Patch(ctx, id, p)
}

func (m instrumenting) Delete(ctx context.Context, id int64) (err error) {
	defer func(start time.Time) { m.observe("Delete", start, err) }(time.Now())
	return m.next.Delete(ctx, id)
}

func (m instrumenting) Changes(ctx context.Context, after int64, limit int) (p contract.ChangePage, err error) {
	defer func(start time.Time) { m.observe("Changes", start, err) }(time.Now())
	return m.next.Changes(ctx, after, limit)
}
