package endpointmw

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/exemplar"
)

// Observers are what the standard middlewares record to. A nil field turns
// its middleware off.
type Observers struct {
	Log     *slog.Logger
	Metrics prometheus.Registerer
	Tracer  trace.TracerProvider
}

// Standard returns the middlewares every service applies to its own
// endpoints, in the one order used everywhere: tracing outermost (so that
// log lines carry the span), then logging, then metrics nearest the service
// (so they time the call alone). A service appends its own middlewares
// (read routing, say) after these.
func Standard(service string, o Observers) []Middleware {
	var mws []Middleware
	if o.Tracer != nil {
		mws = append(mws, Tracing(o.Tracer))
	}
	if o.Log != nil {
		mws = append(mws, Logging(o.Log))
	}
	if o.Metrics != nil {
		mws = append(mws, Instrumenting(o.Metrics, service))
	}
	return mws
}

// Failure is the error a call ended with: the transport's, or the business
// error the response carries (go-kit's endpoint.Failer).
func Failure(resp any, err error) error {
	if err != nil {
		return err
	}
	if f, ok := resp.(endpoint.Failer); ok {
		return f.Failed()
	}
	return nil
}

// Loggable is a request or response that says what a call's log line should
// record of it (ids, counts, a query), never secrets.
type Loggable interface {
	LogAttrs() []slog.Attr
}

// Logging logs every call: writes (and methods tagged log=info) at info,
// reads at debug, throttled calls at warn, server faults at error. The
// logger adds the context's trace, request id and actor.
func Logging(log *slog.Logger) Middleware {
	return func(m Method, next endpoint.Endpoint) endpoint.Endpoint {
		msg := m.Service + " call"
		return func(ctx context.Context, req any) (any, error) {
			start := time.Now()
			resp, err := next(ctx, req)
			failure := Failure(resp, err)
			level := m.LogLevel
			switch {
			case apierr.IsServerFault(failure):
				level = slog.LevelError
			case failure != nil && apierr.KindOf(failure) == apierr.TooManyRequests:
				level = max(level, slog.LevelWarn)
			}
			if !log.Enabled(ctx, level) {
				return resp, err
			}
			attrs := make([]slog.Attr, 0, 8)
			attrs = append(attrs, slog.String("operation", m.Name), slog.Duration("duration", time.Since(start)))
			if l, ok := req.(Loggable); ok {
				attrs = append(attrs, l.LogAttrs()...)
			}
			if failure != nil {
				attrs = append(attrs, slog.String("error", failure.Error()))
			} else if l, ok := resp.(Loggable); ok {
				attrs = append(attrs, l.LogAttrs()...)
			}
			log.LogAttrs(ctx, level, msg, attrs...)
			return resp, err
		}
	}
}

// Instrumenting counts a service's calls by method and outcome and times
// them, on reg: <service>_service_calls_total{method,outcome} and
// <service>_service_call_duration_seconds{method}. Each method's series
// exist from start-up, so dashboards and alerts see zeros, not gaps.
func Instrumenting(reg prometheus.Registerer, service string) Middleware {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: service + "_service_calls_total",
		Help: "Service calls, by method and outcome (ok or the error kind's HTTP status).",
	}, []string{"method", "outcome"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    service + "_service_call_duration_seconds",
		Help:    "Time a service call takes, by method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"method"})
	reg.MustRegister(calls, duration)
	return func(m Method, next endpoint.Endpoint) endpoint.Endpoint {
		ok := calls.WithLabelValues(m.Name, "ok")
		took := duration.WithLabelValues(m.Name)
		return func(ctx context.Context, req any) (any, error) {
			start := time.Now()
			resp, err := next(ctx, req)
			exemplar.Observe(ctx, took, time.Since(start).Seconds())
			if failure := Failure(resp, err); failure != nil {
				calls.WithLabelValues(m.Name, strconv.Itoa(apierr.KindOf(failure).Status())).Inc()
			} else {
				ok.Inc()
			}
			return resp, err
		}
	}
}

// Tracing makes a span of every call made inside a trace, named
// "<service>/<Method>", so that a request served in one process shows the
// same hops as across processes.
// A no-op provider adds no wrapper at all.
func Tracing(tp trace.TracerProvider) Middleware {
	if _, off := tp.(noop.TracerProvider); off {
		return func(_ Method, next endpoint.Endpoint) endpoint.Endpoint { return next }
	}
	tracer := tp.Tracer("github.com/moviesplatform/platform/endpointmw")
	return func(m Method, next endpoint.Endpoint) endpoint.Endpoint {
		name := m.Service + "/" + m.Name
		opts := []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(attribute.String("rpc.service", m.Service), attribute.String("rpc.method", m.Name)),
		}
		return func(ctx context.Context, req any) (any, error) {
			if !trace.SpanContextFromContext(ctx).IsValid() {
				// A call outside any request (the in-process indexer's
				// feed poll) would be a root trace of noise every poll.
				return next(ctx, req)
			}
			ctx, span := tracer.Start(ctx, name, opts...)
			defer span.End()
			resp, err := next(ctx, req)
			if failure := Failure(resp, err); failure != nil {
				span.RecordError(failure)
				if apierr.IsServerFault(failure) {
					span.SetStatus(codes.Error, failure.Error())
				}
			}
			return resp, err
		}
	}
}
