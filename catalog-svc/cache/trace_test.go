package cache

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A read inside a trace says on its span which layers it asked and what
// they answered: L1 miss then Redis hit on a second pod, L1 hit on a re-read.
func TestLookupsAreOnTheSpan(t *testing.T) {
	cfg := testConfig(t, redisAddr(t))
	store := newMemStore(3)
	a, b := newPod(t, cfg, store), newPod(t, cfg, store)
	mustGet(t, a.svc, 1)
	a.fills.Wait()

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	read := func() map[string]string {
		sctx, span := tp.Tracer("test").Start(ctx, "catalog/Get")
		if _, err := b.svc.Get(sctx, 1); err != nil {
			t.Fatal(err)
		}
		span.End()
		ended := rec.Ended()
		out := map[string]string{}
		for _, kv := range ended[len(ended)-1].Attributes() {
			out[string(kv.Key)] = kv.Value.Emit()
		}
		return out
	}
	if got := read(); got["catalog.cache.l1"] != "miss" || got["catalog.cache.l2"] != "hit" {
		t.Errorf("first read on pod b: %v, want l1 miss, l2 hit", got)
	}
	if got := read(); got["catalog.cache.l1"] != "hit" || got["catalog.cache.l2"] != "" {
		t.Errorf("re-read on pod b: %v, want l1 hit and no l2 lookup", got)
	}
}
