package exemplar_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/trace"

	"github.com/moviesplatform/platform/exemplar"
)

func TestObserveCarriesTheSampledTraceOnly(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	for name, tc := range map[string]struct {
		ctx  context.Context
		want string
	}{
		"sampled":   {trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})), tid.String()},
		"unsampled": {trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})), ""},
		"no trace":  {context.Background(), ""},
	} {
		t.Run(name, func(t *testing.T) {
			h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h_seconds", Help: "h", Buckets: []float64{1}})
			exemplar.Observe(tc.ctx, h, 0.5)
			var m dto.Metric
			if err := h.Write(&m); err != nil {
				t.Fatal(err)
			}
			if m.GetHistogram().GetSampleCount() != 1 {
				t.Fatalf("not observed: %v", m.GetHistogram())
			}
			got := ""
			for _, b := range m.GetHistogram().GetBucket() {
				for _, l := range b.GetExemplar().GetLabel() {
					if l.GetName() == exemplar.Label {
						got = l.GetValue()
					}
				}
			}
			if got != tc.want {
				t.Errorf("exemplar trace_id %q, want %q", got, tc.want)
			}
		})
	}
}
