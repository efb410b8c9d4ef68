package indexer

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The error and reindex series exist from the start, at zero, so the first
// of either is seen by rate() and increase().
func TestErrorAndReindexSeriesExistFromStart(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	newMetrics(reg)
	for name, want := range map[string]int{"search_indexer_errors_total": 3, "search_indexer_reindexes_total": 2, "search_indexer_head_confirmations_total": 2} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != want {
			t.Errorf("%s: %d series, err %v; want %d", name, n, err, want)
		}
	}
}
