// Package exemplar links a latency observation to the trace of the request
// it measured, so a dashboard's dot on a latency panel opens that trace.
package exemplar

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Label is the exemplar label holding the trace id, the name Grafana's
// exemplar link to Tempo or Jaeger is set up with.
const Label = "trace_id"

// Observe records v on o, with the trace id of ctx's span as an exemplar
// when that span is sampled: an unsampled trace exists in no backend, so
// its id would link nowhere.
func Observe(ctx context.Context, o prometheus.Observer, v float64) {
	sc := trace.SpanContextFromContext(ctx)
	if eo, ok := o.(prometheus.ExemplarObserver); ok && sc.IsSampled() {
		eo.ObserveWithExemplar(v, prometheus.Labels{Label: sc.TraceID().String()})
		return
	}
	o.Observe(v)
}
