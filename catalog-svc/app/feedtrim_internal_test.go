package app

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// TestFeedTrimmerTrimsWhatEveryConsumerPassed: once both consumers'
// positions are past the changes, the background trimmer removes the
// superseded ones and reports it.
func TestFeedTrimmerTrimsWhatEveryConsumerPassed(t *testing.T) {
	b := sqltest.Backends(t)[0]
	db := sqltest.Open(t, b)
	ctx := context.Background()
	if err := store.Migrate(ctx, db, b.Driver); err != nil {
		t.Fatal(err)
	}
	s, err := store.New(db, b.Driver)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Create(ctx, contract.Movie{Name: "A", Director: "D", Genre: []contract.Genre{}}, "tester")
	if err != nil {
		t.Fatal(err)
	}
	for range 4 { // seq 2..5 supersede 1..4
		if _, err := s.Update(ctx, m.ID, contract.IfMatch{}, func(cur contract.Movie) (contract.Movie, error) { return cur, nil }, "tester"); err != nil {
			t.Fatal(err)
		}
	}
	for holder, pos := range map[string]int64{"one": 5, "two": 3} {
		if _, err := s.AcquireFeedLease(ctx, "search:"+holder, contract.FeedLeaseRequest{Holder: holder, TTLMillis: 15000, Position: &pos}); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	tr := newFeedTrimmer(s, Config{FeedTrimInterval: 5 * time.Millisecond}, logging.Discard(), reg)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = tr.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	// Up to 3: rows 1 and 2 are superseded by 3.
	sqltest.Eventually(t, "the trimmer trims up to the lower position", func() bool { return testutil.ToFloat64(tr.trimmed) == 2 })
	if got := testutil.ToFloat64(tr.minPos); got != 3 {
		t.Fatalf("min position gauge = %v, want 3", got)
	}
	p, err := s.Changes(ctx, 0, 100)
	if err != nil || len(p.Changes) != 3 || p.Changes[0].Seq != 3 || p.Head != 5 {
		t.Fatalf("feed after trim = %+v, %v", p, err)
	}
}
