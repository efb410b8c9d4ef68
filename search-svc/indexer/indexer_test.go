package indexer

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/readpref"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/bleveengine"
	"github.com/moviesplatform/search-svc/internal/feedtest"
)

var ctx = context.Background()

func openEngine(t *testing.T, dir string) engine.Engine {
	t.Helper()
	e, err := bleveengine.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newIndexer(feed Feed, e engine.Engine, opts Options) (*Indexer, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	if opts.PageSize == 0 {
		opts.PageSize = 37 // pages end mid-stream, so page boundaries get exercised
	}
	return New(feed, e, logging.Discard(), reg, opts), reg
}

// recordingFeed remembers the cursors the indexer asks after.
type recordingFeed struct {
	Feed
	afters []int64
}

func (r *recordingFeed) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	r.afters = append(r.afters, after)
	return r.Feed.Changes(ctx, after, limit)
}

// wantState replays the feed into the set of movies the index must hold.
func wantState(t *testing.T, f *feedtest.Feed) map[int64]contract.Movie {
	t.Helper()
	page, err := f.Changes(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]contract.Movie{}
	for _, c := range page.Changes {
		if c.Op == contract.OpDelete {
			delete(out, c.MovieID)
		} else {
			out[c.MovieID] = *c.Movie
		}
	}
	return out
}

// assertIndexHolds checks the index holds exactly want: no movie missing,
// none extra, none twice, each as last written.
func assertIndexHolds(t *testing.T, e engine.Engine, want map[int64]contract.Movie) {
	t.Helper()
	var got []contract.Movie
	for off := 0; ; off += 100 {
		res, err := e.Search(ctx, contract.SearchQuery{Sort: []contract.Order{{Field: contract.FieldID}}, Offset: off, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Hits...)
		if len(res.Hits) < 100 {
			break
		}
	}
	if n, _ := e.Count(ctx); n != int64(len(want)) || len(got) != len(want) {
		t.Fatalf("index holds %d movies (count %d), want %d", len(got), n, len(want))
	}
	for _, m := range got {
		if fmt.Sprint(m) != fmt.Sprint(want[m.ID]) {
			t.Errorf("movie %d: got %v, want %v", m.ID, m, want[m.ID])
		}
	}
}

func TestSyncAppliesUpsertsAndDeletes(t *testing.T) {
	var feed feedtest.Feed
	ref := catalogtest.ReferenceMovies()
	feed.Upsert(ref...)
	feed.Delete(2, 7, 7) // a repeated tombstone is harmless
	changed := ref[10]
	changed.Name = "Quxbaz"
	feed.Upsert(changed)
	feed.Upsert(contract.Movie{ID: 500, Name: "Gone Soon"})
	feed.Delete(500) // created and deleted within one page

	e := openEngine(t, t.TempDir())
	defer e.Close()
	ix, reg := newIndexer(&feed, e, Options{})
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	assertIndexHolds(t, e, wantState(t, &feed))
	if res, _ := e.Search(ctx, contract.SearchQuery{Text: "quxbaz", Limit: 5}); len(res.Hits) != 1 {
		t.Errorf("updated movie not found by its new name: %v", res.Hits)
	}
	st := ix.Status()
	if st.Cursor != feed.Head() || st.LagSequences != 0 || st.LagSeconds != 0 {
		t.Errorf("status after sync: %+v (head %d)", st, feed.Head())
	}
	if got := testutil.ToFloat64(ix.m.cursor); got != float64(feed.Head()) {
		t.Errorf("cursor metric %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "search_indexer_lag_seconds", "search_indexer_lag_sequences"); err != nil || n != 2 {
		t.Errorf("lag metrics: %d, %v", n, err)
	}
}

func TestResumesFromPersistedCursorAfterRestart(t *testing.T) {
	var feed feedtest.Feed
	ref := catalogtest.ReferenceMovies()
	feed.Upsert(ref[:100]...)
	dir := t.TempDir()

	e := openEngine(t, dir)
	ix, _ := newIndexer(&feed, e, Options{})
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	cursor := feed.Head()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	// While search-svc is down the catalog keeps changing.
	feed.Upsert(ref[100:]...)
	feed.Delete(1, 2, 3, 150)
	renamed := ref[4]
	renamed.Name = "Renamed While Down"
	feed.Upsert(renamed)

	e = openEngine(t, dir)
	defer e.Close()
	rec := &recordingFeed{Feed: &feed}
	ix, _ = newIndexer(rec, e, Options{})
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.afters) == 0 || rec.afters[0] != cursor {
		t.Errorf("after restart the indexer asked after %v, want %d first", rec.afters, cursor)
	}
	assertIndexHolds(t, e, wantState(t, &feed))
}

func TestReplayedChangesAreIdempotent(t *testing.T) {
	var feed feedtest.Feed
	ref := catalogtest.ReferenceMovies()
	feed.Upsert(ref...)
	feed.Delete(5, 6)
	e := openEngine(t, "")
	defer e.Close()
	ix, _ := newIndexer(&feed, e, Options{})
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Forget progress, as a crash after writing documents but before the
	// cursor would on an engine that stores them apart: everything replays.
	if err := e.Apply(ctx, engine.Batch{Cursor: 0}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	assertIndexHolds(t, e, wantState(t, &feed))
}

func TestRunRetriesWhileTheCatalogIsDown(t *testing.T) {
	var feed feedtest.Feed
	feed.Upsert(catalogtest.ReferenceMovies()...)
	feed.FailNext(4)
	e := openEngine(t, "")
	defer e.Close()
	ix, _ := newIndexer(&feed, e, Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- ix.Run(runCtx) }()
	feedtest.WaitFor(t, func() bool { return ix.Status().Cursor == feed.Head() })
	if got := testutil.ToFloat64(ix.m.errors.WithLabelValues("feed")); got != 4 {
		t.Errorf("feed errors counted: %v, want 4", got)
	}
	// Changes made later are picked up by the same loop.
	feed.Delete(1)
	feedtest.WaitFor(t, func() bool { return ix.Status().Cursor == feed.Head() })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	assertIndexHolds(t, e, wantState(t, &feed))
}

func TestLagIsReported(t *testing.T) {
	var feed feedtest.Feed
	past := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	feed.Now = func() time.Time { return past }
	feed.Upsert(catalogtest.ReferenceMovies()[:25]...)
	e := openEngine(t, "")
	defer e.Close()
	now := past.Add(90 * time.Second)
	ix, _ := newIndexer(&feed, e, Options{PageSize: 10, Now: func() time.Time { return now }})
	if _, err := ix.liveStep(ctx); err != nil {
		t.Fatal(err)
	}
	st := ix.Status()
	if st.Cursor != 10 || st.Head != 25 || st.LagSequences != 15 || st.LagSeconds != 90 {
		t.Errorf("status mid-way: %+v", st)
	}
	if got := testutil.ToFloat64(ix.m.lagSequences); got != 15 {
		t.Errorf("lag_sequences metric %v", got)
	}
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if st := ix.Status(); st.LagSequences != 0 || st.LagSeconds != 0 {
		t.Errorf("status caught up: %+v", st)
	}
}

func TestReindexSwapsInAFreshIndex(t *testing.T) {
	var feed feedtest.Feed
	ref := catalogtest.ReferenceMovies()
	feed.Upsert(ref...)
	feed.Delete(10, 11)
	e := openEngine(t, t.TempDir())
	defer e.Close()
	ix, _ := newIndexer(&feed, e, Options{})
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Damage the live index behind the indexer's back; a reindex repairs it.
	if err := e.Apply(ctx, engine.Batch{Deletes: []int64{1, 2, 3}, Upserts: []contract.Movie{{ID: 9999, Name: "Stray"}}, Cursor: feed.Head()}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	assertIndexHolds(t, e, wantState(t, &feed))
	if c, _ := e.Cursor(ctx); c != feed.Head() {
		t.Errorf("cursor after reindex %d, want %d", c, feed.Head())
	}
	if got := testutil.ToFloat64(ix.m.reindexes.WithLabelValues("ok")); got != 1 {
		t.Errorf("reindexes ok: %v", got)
	}
}

// gatedEngine holds a reindex at Staging until release is closed, so a
// test can watch the live loop while the reindex runs.
type gatedEngine struct {
	engine.Engine
	release chan struct{}
}

func (g gatedEngine) Staging(ctx context.Context) (engine.Staging, error) {
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Engine.Staging(ctx)
}

func reindexes(ix *Indexer) float64 {
	return testutil.ToFloat64(ix.m.reindexes.WithLabelValues("ok")) + testutil.ToFloat64(ix.m.reindexes.WithLabelValues("error"))
}

// A catalog restored from an old backup: the feed is behind the index on
// the primary too. The indexer reindexes in the background; its live loop
// keeps polling while the reindex runs, and follows new writes after the
// swap.
func TestRestoredCatalogReindexesInTheBackground(t *testing.T) {
	var feed feedtest.Feed
	ref := catalogtest.ReferenceMovies()
	feed.Upsert(ref...)
	e := openEngine(t, "")
	defer e.Close()
	gated := gatedEngine{Engine: e, release: make(chan struct{})}
	ix, _ := newIndexer(&feed, gated, Options{MinBackoff: time.Millisecond, PollInterval: time.Millisecond})
	defer ix.Stop()
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// The catalog comes back from an old backup with fewer changes.
	feed.Truncate(50)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ix.Run(runCtx) }()

	feedtest.WaitFor(t, func() bool { return ix.Status().Reindexing })
	if got := testutil.ToFloat64(ix.m.headConfirmations.WithLabelValues(confirmedRestored)); got != 1 || feed.PrimaryCalls() != 1 {
		t.Fatalf("restored confirmations %v, primary calls %d; want 1 and 1", got, feed.PrimaryCalls())
	}
	// Run has not handed its loop to the reindex: it keeps polling, and
	// asks the primary no more while the reindex runs.
	calls := feed.Calls()
	feedtest.WaitFor(t, func() bool { return feed.Calls() >= calls+5 })
	if !ix.Status().Reindexing || feed.PrimaryCalls() != 1 {
		t.Fatalf("while the reindex runs: reindexing %v, primary calls %d", ix.Status().Reindexing, feed.PrimaryCalls())
	}

	close(gated.release)
	feedtest.WaitFor(t, func() bool { return !ix.Status().Reindexing })
	feed.Upsert(contract.Movie{ID: 5000, Name: "Made After The Restore", Genre: []contract.Genre{}})
	feed.Delete(3)
	feedtest.WaitFor(t, func() bool { return ix.Status().Cursor == feed.Head() })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	assertIndexHolds(t, e, wantState(t, &feed))
	if got := testutil.ToFloat64(ix.m.reindexes.WithLabelValues("ok")); got != 1 || reindexes(ix) != 1 {
		t.Errorf("reindexes ok %v of %v, want exactly one, ok", got, reindexes(ix))
	}
}

// A replica behind the index's cursor is not a restored catalog: the
// primary says so, and the indexer polls again instead of reindexing,
// then follows the feed once the replica catches up.
func TestReplicaBehindTheCursorCausesNoReindex(t *testing.T) {
	var feed feedtest.Feed
	ref := catalogtest.ReferenceMovies()
	feed.Upsert(ref[:60]...)
	e := openEngine(t, "")
	defer e.Close()
	ix, _ := newIndexer(&feed, e, Options{MinBackoff: time.Millisecond, PollInterval: time.Millisecond})
	defer ix.Stop()
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Reads now land on a replica stopped at 40, behind the cursor (60);
	// the primary goes on taking writes.
	feed.ReplicaAt(40)
	feed.Upsert(ref[60:]...)
	feed.Delete(1, 2)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ix.Run(runCtx) }()

	lagging := func() float64 { return testutil.ToFloat64(ix.m.headConfirmations.WithLabelValues(confirmedReplicaLag)) }
	feedtest.WaitFor(t, func() bool { return lagging() >= 3 })
	if reindexes(ix) != 0 || ix.Status().Reindexing || testutil.ToFloat64(ix.m.headConfirmations.WithLabelValues(confirmedRestored)) != 0 {
		t.Fatalf("a lagging replica started a reindex (reindexes %v, reindexing %v)", reindexes(ix), ix.Status().Reindexing)
	}
	if c := ix.Status().Cursor; c != 60 {
		t.Fatalf("cursor %d while the replica lags, want 60 (nothing applied, nothing rewound)", c)
	}

	feed.ReplicaAt(0)
	feedtest.WaitFor(t, func() bool { return ix.Status().Cursor == feed.Head() })
	if st := ix.Status(); st.LastError != "" {
		t.Errorf("status keeps an error after catching up: %q", st.LastError)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	assertIndexHolds(t, e, wantState(t, &feed))
	if reindexes(ix) != 0 {
		t.Errorf("%v reindexes, want none", reindexes(ix))
	}
}

// A reindex reading from a replica behind its staging index waits for it,
// rather than failing.
func TestReindexWaitsForALaggingReplica(t *testing.T) {
	var feed feedtest.Feed
	ref := catalogtest.ReferenceMovies()
	feed.Upsert(ref...)
	e := openEngine(t, t.TempDir())
	defer e.Close()
	ix, _ := newIndexer(&lagAfterFirstPage{Feed: &feed}, e, Options{PollInterval: time.Millisecond})
	if err := ix.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	assertIndexHolds(t, e, wantState(t, &feed))
	if got := testutil.ToFloat64(ix.m.headConfirmations.WithLabelValues(confirmedReplicaLag)); got < 1 {
		t.Errorf("replica lag confirmations %v, want at least one", got)
	}
}

// lagAfterFirstPage answers the second replica read from a replica that
// has nothing yet, as a read landing on another, lagging, replica would.
type lagAfterFirstPage struct {
	*feedtest.Feed
	mu    sync.Mutex
	calls int
}

func (l *lagAfterFirstPage) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	l.mu.Lock()
	l.calls++
	n := l.calls
	l.mu.Unlock()
	if n == 2 && !readpref.Primary(ctx) {
		return contract.ChangePage{Changes: []contract.Change{}, Last: after, Head: 0}, nil
	}
	return l.Feed.Changes(ctx, after, limit)
}

func TestCollapseKeepsEachMoviesLastChange(t *testing.T) {
	m := func(id int64, name string) *contract.Movie { return &contract.Movie{ID: id, Name: name} }
	b, _ := collapse([]contract.Change{
		{Seq: 1, MovieID: 1, Op: contract.OpUpsert, Movie: m(1, "a")},
		{Seq: 2, MovieID: 2, Op: contract.OpUpsert, Movie: m(2, "b")},
		{Seq: 3, MovieID: 1, Op: contract.OpDelete},
		{Seq: 4, MovieID: 2, Op: contract.OpUpsert, Movie: m(2, "b2")},
		{Seq: 5, MovieID: 3, Op: contract.OpDelete},
		{Seq: 6, MovieID: 3, Op: contract.OpUpsert, Movie: m(3, "c")},
	}, 6)
	if b.Cursor != 6 || len(b.Upserts) != 2 || b.Upserts[0].Name != "b2" || b.Upserts[1].Name != "c" || !slices.Equal(b.Deletes, []int64{1}) {
		t.Errorf("collapse: %+v", b)
	}
}
