package indexer

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
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

func TestFeedBehindTheIndexTriggersReindex(t *testing.T) {
	var feed feedtest.Feed
	ref := catalogtest.ReferenceMovies()
	feed.Upsert(ref...)
	e := openEngine(t, "")
	defer e.Close()
	ix, _ := newIndexer(&feed, e, Options{MinBackoff: time.Millisecond, PollInterval: time.Millisecond})
	if err := ix.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// The catalog comes back from an old backup with fewer changes.
	feed.Truncate(50)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = ix.Run(runCtx) }()
	feedtest.WaitFor(t, func() bool { n, _ := e.Count(ctx); return n == 50 })
	cancel()
	assertIndexHolds(t, e, wantState(t, &feed))
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
