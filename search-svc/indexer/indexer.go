// Package indexer keeps the search index in step with the catalog: it pulls
// the catalog's change feed after the cursor stored in the index, applies
// each page as one idempotent batch together with the new cursor, and retries
// with backoff while the catalog is away. Delivery is at-least-once: a crash
// between reading and storing replays changes, which upserts and deletes by
// movie id absorb.
//
// The catalog may read the feed from replicas, so a page's head can be
// behind the index's cursor merely because a replica lags. Before acting on
// such a head the indexer asks the primary (readpref.WithPrimary): a primary
// at or past the cursor means replica lag, and the indexer polls again
// later; only a primary behind the cursor too (the catalog was restored)
// starts a reindex, in the background, while the live loop keeps running.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/readpref"
	"github.com/moviesplatform/search-svc/engine"
)

// Feed is the catalog's change feed. catalog.Service and the catalog's HTTP
// client satisfy it. A call whose context carries readpref.WithPrimary must
// read the feed from the catalog's primary database (the HTTP client sends
// it as ?primary=true); the indexer asks so only to confirm a head behind
// its cursor.
type Feed interface {
	Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error)
}

// Options tune the indexer; zero values take the defaults.
type Options struct {
	// PageSize is how many changes one feed call asks for (500).
	PageSize int
	// PollInterval is the wait between polls once caught up (250ms), which
	// bounds how long a change takes to become searchable.
	PollInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failure (100ms, 30s).
	MinBackoff, MaxBackoff time.Duration
	// CallTimeout bounds one feed call or one batch write (30s).
	CallTimeout time.Duration
	// Now is the clock (tests).
	Now func() time.Time
	// Tracer gets a span per batch applied (nil: none), the root of a
	// trace of its own when the indexer follows the feed.
	Tracer trace.TracerProvider
}

func (o *Options) defaults() {
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// ErrReindexRunning is returned when a reindex is asked for while one runs.
var ErrReindexRunning = apierr.New(apierr.Conflict, "A reindex is already running.")

// errFeedBehind means the catalog's feed ends before the index's cursor,
// on the primary too: the catalog was restored or replaced, and only a full
// reindex can converge.
var errFeedBehind = errors.New("indexer: the feed's head is behind the index cursor")

// errReplicaLag means a page's head was behind the index's cursor but the
// primary's is not: the page came from a lagging replica, and a later poll
// will do.
var errReplicaLag = errors.New("indexer: the feed was read from a replica behind the index cursor")

// Head confirmation results (search_indexer_head_confirmations_total).
const (
	confirmedReplicaLag = "replica_lag"
	confirmedRestored   = "restored"
)

// Status is the indexer's progress, shown in /readyz.
type Status struct {
	Cursor       int64     `json:"cursor"`
	Head         int64     `json:"head"`
	LagSequences int64     `json:"lag_sequences"`
	LagSeconds   float64   `json:"lag_seconds"`
	LastSync     time.Time `json:"last_sync,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	Reindexing   bool      `json:"reindexing"`
}

// Indexer applies the change feed to an engine.
type Indexer struct {
	tracer trace.Tracer
	feed   Feed
	eng    engine.Engine
	log    *slog.Logger
	m      *metrics
	opts   Options

	// writeMu makes the live loop and a reindex's final catch-up and swap
	// take turns on the live index.
	writeMu    sync.Mutex
	reindexing atomic.Bool
	// caughtUpOnce is set when a live step first reaches the feed's head.
	caughtUpOnce atomic.Bool

	statusMu sync.Mutex
	status   Status

	// background reindexes (StartReindex) run under bg until Stop.
	bg     context.Context
	stopBg context.CancelFunc
	bgWG   sync.WaitGroup
}

// New returns an indexer; metrics register on reg.
func New(feed Feed, eng engine.Engine, log *slog.Logger, reg metricsRegisterer, opts Options) *Indexer {
	opts.defaults()
	bg, stop := context.WithCancel(context.Background())
	tp := opts.Tracer
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return &Indexer{feed: feed, eng: eng, log: log, m: newMetrics(reg), opts: opts, bg: bg, stopBg: stop,
		tracer: tp.Tracer("github.com/moviesplatform/search-svc/indexer")}
}

// Stop cancels a background reindex and waits for it to end.
func (ix *Indexer) Stop() {
	ix.stopBg()
	ix.bgWG.Wait()
}

// Status returns the current progress.
func (ix *Indexer) Status() Status {
	ix.statusMu.Lock()
	defer ix.statusMu.Unlock()
	s := ix.status
	s.Reindexing = ix.reindexing.Load()
	return s
}

// Ready is a readiness check: the index can serve once it has been built
// before (its cursor is past 0) or this indexer has caught up with the feed
// once. Until then searches would answer from an empty index, and the
// gateway is better served by its SQL fallback.
func (ix *Indexer) Ready(ctx context.Context) error {
	if ix.caughtUpOnce.Load() {
		return nil
	}
	c, err := ix.eng.Cursor(ctx)
	if err != nil {
		return err
	}
	if c == 0 {
		return errNotBuilt
	}
	return nil
}

var errNotBuilt = errors.New("the index has not caught up with the catalog yet")

// Run follows the feed until ctx ends. Failures are logged, counted and
// retried with jittered exponential backoff; they never end the loop. A
// feed read from a replica behind the index waits for the next poll; a
// feed behind the index on the primary starts a background reindex
// (StartReindex), and the loop goes on polling meanwhile.
func (ix *Indexer) Run(ctx context.Context) error {
	if c, err := ix.eng.Cursor(ctx); err == nil {
		ix.log.InfoContext(ctx, "following the catalog change feed", "after", c)
	}
	backoff := ix.opts.MinBackoff
	// A reindex the loop started that fails is started again no sooner
	// than reindexBackoff after the last start.
	reindexBackoff, nextReindex := ix.opts.MinBackoff, time.Time{}
	lagging := false
	for {
		caughtUp, err := ix.liveStep(ctx)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case errors.Is(err, errReplicaLag):
			if !lagging {
				ix.log.WarnContext(ctx, "the catalog read the feed from a replica behind the index; the primary is not behind, so polling again without reindexing", "error", err)
			}
			lagging = true
			sleep(ctx, ix.opts.PollInterval)
			continue
		case errors.Is(err, errFeedBehind):
			if time.Now().After(nextReindex) {
				switch startErr := ix.StartReindex(ctx); {
				case startErr == nil:
					ix.log.WarnContext(ctx, "the catalog's feed is behind the index on its primary (restored?); reindexing in the background, the live index keeps serving", "error", err)
					nextReindex = time.Now().Add(reindexBackoff)
					reindexBackoff = min(reindexBackoff*2, ix.opts.MaxBackoff)
				case !errors.Is(startErr, ErrReindexRunning):
					ix.log.ErrorContext(ctx, "could not start a reindex", "error", startErr)
				}
			}
			sleep(ctx, ix.opts.PollInterval)
			continue
		case err != nil:
			ix.log.WarnContext(ctx, "indexer step failed; retrying", "error", err, "backoff", backoff)
			// Full jitter keeps many replicas from hammering a recovering catalog in step.
			sleep(ctx, backoff/2+time.Duration(rand.Int64N(int64(backoff/2)+1)))
			backoff = min(backoff*2, ix.opts.MaxBackoff)
			continue
		}
		if lagging {
			ix.log.InfoContext(ctx, "the feed is no longer behind the index")
			lagging = false
		}
		backoff, reindexBackoff = ix.opts.MinBackoff, ix.opts.MinBackoff
		if caughtUp {
			sleep(ctx, ix.opts.PollInterval)
		}
	}
}

// Sync applies the feed until it is caught up with the head it reports.
func (ix *Indexer) Sync(ctx context.Context) error {
	for {
		caughtUp, err := ix.liveStep(ctx)
		if err != nil || caughtUp {
			return err
		}
	}
}

func (ix *Indexer) liveStep(ctx context.Context) (bool, error) {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	caughtUp, err := ix.step(ctx, ix.eng, true)
	if caughtUp {
		ix.caughtUpOnce.Store(true)
	}
	if err != nil {
		ix.statusMu.Lock()
		ix.status.LastError = err.Error()
		ix.statusMu.Unlock()
	}
	return caughtUp, err
}

// step applies one page of the feed to w; live steps also report progress.
func (ix *Indexer) step(ctx context.Context, w engine.Writer, live bool) (caughtUp bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, ix.opts.CallTimeout)
	defer cancel()
	cursor, err := w.Cursor(cctx)
	if err != nil {
		ix.m.errors.WithLabelValues("cursor").Inc()
		return false, fmt.Errorf("read cursor: %w", err)
	}
	page, err := ix.feed.Changes(cctx, cursor, ix.opts.PageSize)
	if err != nil {
		ix.m.errors.WithLabelValues("feed").Inc()
		return false, fmt.Errorf("read feed after %d: %w", cursor, err)
	}
	if page.Head < cursor {
		return false, ix.confirmBehind(cctx, cursor, page.Head, live)
	}
	if len(page.Changes) > 0 {
		start := time.Now()
		b, n := collapse(page.Changes, page.Last)
		if err := ix.apply(cctx, w, b, page, live); err != nil {
			ix.m.errors.WithLabelValues("apply").Inc()
			return false, fmt.Errorf("apply changes %d..%d: %w", page.Changes[0].Seq, page.Last, err)
		}
		ix.m.batchDuration.Observe(time.Since(start).Seconds())
		if live {
			ix.m.applied.WithLabelValues(string(contract.OpUpsert)).Add(float64(n.upserts))
			ix.m.applied.WithLabelValues(string(contract.OpDelete)).Add(float64(n.deletes))
		}
		cursor = page.Last
	}
	caughtUp = cursor >= page.Head
	if live {
		ix.report(cursor, page, caughtUp)
	}
	return caughtUp, nil
}

// confirmBehind asks the primary for the feed's head after a page whose
// head was behind cursor, and tells replica lag (errReplicaLag) from a
// restored catalog (errFeedBehind). While a reindex runs, the live loop
// does not ask: the reindex will swap in an index that follows the feed.
func (ix *Indexer) confirmBehind(ctx context.Context, cursor, head int64, live bool) error {
	if live && ix.reindexing.Load() {
		return fmt.Errorf("%w: head %d, cursor %d; a reindex is running", errFeedBehind, head, cursor)
	}
	p, err := ix.feed.Changes(readpref.WithPrimary(ctx), cursor, 1)
	if err != nil {
		ix.m.errors.WithLabelValues("feed").Inc()
		return fmt.Errorf("confirm the feed's head on the primary (replica head %d, cursor %d): %w", head, cursor, err)
	}
	if p.Head >= cursor {
		ix.m.headConfirmations.WithLabelValues(confirmedReplicaLag).Inc()
		return fmt.Errorf("%w: replica head %d, primary head %d, cursor %d", errReplicaLag, head, p.Head, cursor)
	}
	ix.m.headConfirmations.WithLabelValues(confirmedRestored).Inc()
	return fmt.Errorf("%w: primary head %d, cursor %d", errFeedBehind, p.Head, cursor)
}

// apply writes one batch to w inside an "indexer batch" span: the step
// that makes the page's changes searchable. The span links to the traced
// requests that wrote them (their traceparent rides with the change).
func (ix *Indexer) apply(ctx context.Context, w engine.Writer, b engine.Batch, page contract.ChangePage, live bool) error {
	ctx, span := ix.tracer.Start(ctx, "indexer batch", trace.WithLinks(writeLinks(page.Changes)...), trace.WithAttributes(
		attribute.Int("search.indexer.changes", len(page.Changes)),
		attribute.Int64("search.indexer.first_seq", page.Changes[0].Seq),
		attribute.Int64("search.indexer.last_seq", page.Last),
		attribute.Bool("search.indexer.live", live),
	))
	defer span.End()
	err := w.Apply(ctx, b)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// maxWriteLinks bounds the links of one batch span (the SDK's default
// span limit): a bulk of writes links its first ones.
const maxWriteLinks = 128

// writeLinks are links to the spans that wrote changes, one per distinct
// traceparent.
func writeLinks(changes []contract.Change) []trace.Link {
	var links []trace.Link
	seen := map[string]bool{}
	for _, c := range changes {
		if c.TraceParent == "" || seen[c.TraceParent] || len(links) == maxWriteLinks {
			continue
		}
		seen[c.TraceParent] = true
		ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": c.TraceParent})
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{
				attribute.Int64("search.indexer.seq", c.Seq), attribute.Int64("search.indexer.movie_id", c.MovieID),
			}})
		}
	}
	return links
}

// report records progress. Lag in seconds is the age of the newest applied
// change while changes remain: the oldest pending one is at least that old.
func (ix *Indexer) report(cursor int64, page contract.ChangePage, caughtUp bool) {
	now := ix.opts.Now()
	ix.statusMu.Lock()
	defer ix.statusMu.Unlock()
	s := &ix.status
	s.Cursor, s.Head, s.LastSync, s.LastError = cursor, page.Head, now, ""
	s.LagSequences = max(0, page.Head-cursor)
	switch {
	case caughtUp:
		s.LagSeconds = 0
	case len(page.Changes) > 0:
		s.LagSeconds = max(0, now.Sub(page.Changes[len(page.Changes)-1].At).Seconds())
	}
	ix.m.cursor.Set(float64(s.Cursor))
	ix.m.head.Set(float64(s.Head))
	ix.m.lagSequences.Set(float64(s.LagSequences))
	ix.m.lagSeconds.Set(s.LagSeconds)
	ix.m.lastSync.Set(float64(now.UnixNano()) / 1e9)
}

type opCounts struct{ upserts, deletes int }

// collapse turns a page of changes into one batch in which each movie's last
// change wins, so a page that creates and then deletes a movie leaves no
// trace of it.
func collapse(changes []contract.Change, last int64) (engine.Batch, opCounts) {
	final := make(map[int64]contract.Change, len(changes))
	order := make([]int64, 0, len(changes))
	for _, c := range changes {
		if _, ok := final[c.MovieID]; !ok {
			order = append(order, c.MovieID)
		}
		final[c.MovieID] = c
	}
	b := engine.Batch{Cursor: last}
	var n opCounts
	for _, id := range order {
		c := final[id]
		if c.Op == contract.OpUpsert && c.Movie != nil {
			m := *c.Movie
			m.ID = id
			b.Upserts = append(b.Upserts, m)
			n.upserts++
			continue
		}
		// A delete, or an upsert without a body (never sent by the catalog):
		// removing the movie is the safe reading of both.
		b.Deletes = append(b.Deletes, id)
		n.deletes++
	}
	return b, n
}

// StartReindex starts Reindex in the background and returns at once; it
// fails only when a reindex is already running. Stop cancels it.
func (ix *Indexer) StartReindex(ctx context.Context) error {
	if !ix.reindexing.CompareAndSwap(false, true) {
		return ErrReindexRunning
	}
	ix.bgWG.Add(1)
	go func() {
		defer ix.bgWG.Done()
		defer ix.reindexing.Store(false)
		_ = ix.reindex(ix.bg)
	}()
	return nil
}

// Reindex builds a fresh index from the whole feed and swaps it in. The live
// index keeps serving and following the feed meanwhile; only the final
// catch-up and the swap pause it.
func (ix *Indexer) Reindex(ctx context.Context) error {
	if !ix.reindexing.CompareAndSwap(false, true) {
		return ErrReindexRunning
	}
	defer ix.reindexing.Store(false)
	return ix.reindex(ctx)
}

func (ix *Indexer) reindex(ctx context.Context) (err error) {
	start := time.Now()
	defer func() {
		result := "ok"
		if err != nil {
			result = "error"
		}
		ix.m.reindexes.WithLabelValues(result).Inc()
		ix.log.InfoContext(ctx, "reindex finished", "result", result, "error", err, "duration", time.Since(start))
	}()
	st, err := ix.eng.Staging(ctx)
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	discard := func(cause error) error {
		return errors.Join(cause, st.Discard(context.WithoutCancel(ctx)))
	}
	if err := ix.fill(ctx, st); err != nil {
		return discard(err)
	}
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	if err := ix.fill(ctx, st); err != nil {
		return discard(err)
	}
	if err := st.Swap(ctx); err != nil {
		return discard(fmt.Errorf("reindex: swap: %w", err))
	}
	return nil
}

func (ix *Indexer) fill(ctx context.Context, st engine.Staging) error {
	for {
		caughtUp, err := ix.step(ctx, st, false)
		if errors.Is(err, errReplicaLag) {
			// A replica behind the staging index's cursor: wait for it.
			sleep(ctx, ix.opts.PollInterval)
			if ctx.Err() != nil {
				return fmt.Errorf("reindex: %w", ctx.Err())
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("reindex: %w", err)
		}
		if caughtUp {
			return nil
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
