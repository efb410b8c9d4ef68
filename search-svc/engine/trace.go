package engine

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/moviesplatform/platform/contract"
)

// Traced wraps e so that its searches and writes made inside a trace get a
// span on tp, named "<system> <operation>" ("bleve search") with the
// search.engine attribute; a Meilisearch call's HTTP span then nests in it.
// Calls outside any trace (readiness pings, cursor reads) make none.
func Traced(e Engine, system string, tp trace.TracerProvider) Engine {
	return tracedEngine{Engine: e, t: spanner{
		tracer: tp.Tracer("github.com/moviesplatform/search-svc/engine"),
		system: system,
		attr:   attribute.String("search.engine", system),
	}}
}

type spanner struct {
	tracer trace.Tracer
	system string
	attr   attribute.KeyValue
}

// run calls f inside a span named after op when ctx is in a trace.
func (s spanner) run(ctx context.Context, op string, f func(context.Context) error, attrs ...attribute.KeyValue) error {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return f(ctx)
	}
	ctx, span := s.tracer.Start(ctx, s.system+" "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(append(attrs, s.attr)...))
	defer span.End()
	err := f(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

func batchAttrs(b Batch) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.Int("search.batch.upserts", len(b.Upserts)),
		attribute.Int("search.batch.deletes", len(b.Deletes)),
		attribute.Int64("search.batch.cursor", b.Cursor),
	}
}

type tracedEngine struct {
	Engine
	t spanner
}

func (e tracedEngine) Search(ctx context.Context, q contract.SearchQuery) (res contract.SearchResult, err error) {
	err = e.t.run(ctx, "search", func(ctx context.Context) error {
		res, err = e.Engine.Search(ctx, q)
		if err == nil {
			trace.SpanFromContext(ctx).SetAttributes(attribute.Int64("search.hits_estimated", res.EstimatedTotal))
		}
		return err
	})
	return res, err
}

func (e tracedEngine) Apply(ctx context.Context, b Batch) error {
	return e.t.run(ctx, "apply", func(ctx context.Context) error { return e.Engine.Apply(ctx, b) }, batchAttrs(b)...)
}

func (e tracedEngine) Staging(ctx context.Context) (st Staging, err error) {
	err = e.t.run(ctx, "staging", func(ctx context.Context) error {
		st, err = e.Engine.Staging(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tracedStaging{Staging: st, t: e.t}, nil
}

type tracedStaging struct {
	Staging
	t spanner
}

func (s tracedStaging) Apply(ctx context.Context, b Batch) error {
	return s.t.run(ctx, "apply staging", func(ctx context.Context) error { return s.Staging.Apply(ctx, b) }, batchAttrs(b)...)
}

func (s tracedStaging) Swap(ctx context.Context) error {
	return s.t.run(ctx, "swap", s.Staging.Swap)
}
