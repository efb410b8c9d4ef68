package bleveengine_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/promtest"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/bleveengine"
	"github.com/moviesplatform/search-svc/engine/enginetest"
)

// The instrumented engine behaves as the engine it wraps (the conformance
// suite through it), and times every kind of call the suite makes.
func TestConformanceInstrumented(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := engine.NewMetrics(reg)
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		e, err := bleveengine.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return engine.Instrumented(e, "bleve", m)
	})
	for _, op := range []string{"search", "apply", "cursor", "count", "staging", "apply_staging", "swap"} {
		if n := timed(t, reg, op); n == 0 {
			t.Errorf("op %s: no call timed", op)
		}
	}
}

// A call the engine fails is counted under its operation.
func TestInstrumentedCountsFailures(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e, err := bleveengine.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	inst := engine.Instrumented(e, "bleve", engine.NewMetrics(reg))
	if n, err := testutil.GatherAndCount(reg, "search_engine_errors_total"); err != nil || n != 8 {
		t.Fatalf("error series at start: %d, %v; want one per operation", n, err)
	}
	if _, err := inst.Search(context.Background(), contract.SearchQuery{Text: "star", Limit: 5}); err != nil {
		t.Fatal(err)
	}
	e.Close()
	if _, err := inst.Search(context.Background(), contract.SearchQuery{Text: "star", Limit: 5}); err == nil {
		t.Fatal("a closed index answered")
	}
	for _, s := range promtest.Series(t, reg, "search_engine_errors_total") {
		want := 0.0
		if s.Labels["op"] == "search" {
			want = 1
		}
		if s.Value != want || s.Labels["engine"] != "bleve" {
			t.Errorf("errors %v = %v, want %v", s.Labels, s.Value, want)
		}
	}
	if n := timed(t, reg, "search"); n != 2 {
		t.Errorf("searches timed %d, want 2", n)
	}
}

// timed is how many calls of op the engine histogram timed.
func timed(t *testing.T, reg prometheus.Gatherer, op string) uint64 {
	return promtest.Of(t, reg, "search_engine_request_duration_seconds", map[string]string{"op": op}).Count
}
