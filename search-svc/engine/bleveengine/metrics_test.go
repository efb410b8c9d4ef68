package bleveengine_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/platform/contract"
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
		if n := sampleCount(t, reg, op); n == 0 {
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
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "search_engine_errors_total" {
			continue
		}
		for _, s := range mf.Metric {
			labels := map[string]string{}
			for _, l := range s.Label {
				labels[l.GetName()] = l.GetValue()
			}
			want := 0.0
			if labels["op"] == "search" {
				want = 1
			}
			if got := s.GetCounter().GetValue(); got != want || labels["engine"] != "bleve" {
				t.Errorf("errors %v = %v, want %v", labels, got, want)
			}
		}
	}
	if n := sampleCount(t, reg, "search"); n != 2 {
		t.Errorf("searches timed %d, want 2", n)
	}
}

// sampleCount is how many calls of op the engine histogram timed.
func sampleCount(t *testing.T, reg prometheus.Gatherer, op string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "search_engine_request_duration_seconds" {
			continue
		}
		for _, s := range mf.Metric {
			for _, l := range s.Label {
				if l.GetName() == "op" && l.GetValue() == op {
					return s.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}
