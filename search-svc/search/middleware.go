package search

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

// observer is called once per service call with its outcome.
type observer func(ctx context.Context, method string, start time.Time, err error, attrs ...any)

// observing calls observe after every method of next.
type observing struct {
	next    Service
	observe observer
}

func (o observing) Search(ctx context.Context, q contract.SearchQuery) (r contract.SearchResult, err error) {
	defer func(start time.Time) {
		o.observe(ctx, "Search", start, err, "query", q.Text, "hits", len(r.Hits), "total", r.EstimatedTotal)
	}(time.Now())
	return o.next.Search(ctx, q)
}

func (o observing) List(ctx context.Context, q contract.ListQuery) (p contract.Page, err error) {
	defer func(start time.Time) { o.observe(ctx, "List", start, err, "query", q.Search, "hits", len(p.Movies)) }(time.Now())
	return o.next.List(ctx, q)
}

func (o observing) StartReindex(ctx context.Context) (err error) {
	defer func(start time.Time) { o.observe(ctx, "StartReindex", start, err) }(time.Now())
	return o.next.StartReindex(ctx)
}

// LoggingMiddleware logs searches at debug level, reindex requests at info,
// and failures that are not the caller's fault at error level.
func LoggingMiddleware(log *slog.Logger) Middleware {
	return func(next Service) Service {
		return observing{next: next, observe: func(ctx context.Context, method string, start time.Time, err error, attrs ...any) {
			level := slog.LevelDebug
			if method == "StartReindex" {
				level = slog.LevelInfo
			}
			if err != nil && apierr.KindOf(err).Status() >= 500 {
				level = slog.LevelError
			}
			attrs = append(attrs, "method", method, "took", time.Since(start))
			if err != nil {
				attrs = append(attrs, "error", err)
			}
			log.Log(ctx, level, "search call", attrs...)
		}}
	}
}

// InstrumentingMiddleware counts calls by method and outcome and times them,
// on reg (search_service_calls_total, search_service_call_duration_seconds).
func InstrumentingMiddleware(reg prometheus.Registerer) Middleware {
	calls := svcmetrics.NewCalls(reg, "search")
	return func(next Service) Service {
		return observing{next: next, observe: func(_ context.Context, method string, start time.Time, err error, _ ...any) {
			calls.Observe(method, start, err)
		}}
	}
}
