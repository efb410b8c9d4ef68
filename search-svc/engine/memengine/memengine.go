// Package memengine is the embedded search engine built for throughput: an
// in-memory inverted index with Roaring bitmap postings numbered in
// popularity order, a Vellum FST term dictionary walked by Levenshtein
// automata for typos, and precomputed short-prefix postings, ranked by
// Meilisearch's rules (typo, attribute, exactness, then popularity). It keeps
// a snapshot on disk so a restart reloads the index instead of replaying the
// whole feed.
//
// Writes (the indexer's batches) add docs at the end of the index; a
// rebuild renumbers them in popularity order and refreshes the term
// dictionary, off the search path: searches keep reading the old index
// until the new one is swapped in.
package memengine

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// Config tunes an engine; the zero value keeps everything in memory with
// the default thresholds.
type Config struct {
	// Path is the snapshot file; "" keeps nothing on disk.
	Path string
	// SnapshotEvery is how often changed data is written to Path
	// (default 30s); Close and Swap always write it.
	SnapshotEvery time.Duration
	Log           *slog.Logger
}

const (
	// A rebuild runs once the writes quiesce (no batch for idleRebuild)
	// with at least rebuildMinTail docs or rebuildMinTerms terms added, and
	// during a long catch-up as soon as the tail outgrows the built part,
	// which keeps the total rebuild work within twice the catalog.
	idleRebuild     = time.Second
	rebuildMinTail  = 4096
	rebuildMinTerms = 1024
)

// Engine is an engine.Engine held in memory.
type Engine struct {
	cfg   Config
	an    analyzer
	typos *typoAutomata
	snap  *snapshotter

	writeMu sync.Mutex // one writer: batches, rebuilds, swaps

	mu        sync.RWMutex // guards live and lastWrite
	live      *index
	lastWrite time.Time
	dirty     bool

	stop chan struct{}
	done chan struct{}
}

var _ engine.Engine = (*Engine)(nil)

// Open loads the snapshot at cfg.Path, if any, and starts the background
// rebuilds and snapshots.
func Open(cfg Config) (*Engine, error) {
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, an: newAnalyzer(), typos: newTypoAutomata(), snap: &snapshotter{path: cfg.Path}, stop: make(chan struct{}), done: make(chan struct{})}
	var err error
	e.live, err = e.snap.load(e.an)
	if err != nil {
		// Starting empty makes the indexer replay the whole feed: slower
		// than a reload, but a bad file must not keep search down.
		cfg.Log.Warn("search index snapshot unusable, reindexing from the feed", "err", err)
		e.live = nil
	}
	if e.live == nil {
		if e.live, err = buildIndex(e.an, nil, 0); err != nil {
			return nil, err
		}
	}
	go e.maintain()
	return e, nil
}

// Apply implements engine.Writer.
func (e *Engine) Apply(ctx context.Context, b engine.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.mu.Lock()
	applyBatch(e.live, b)
	e.lastWrite, e.dirty = time.Now(), true
	ix := e.live
	e.mu.Unlock()
	if ix.tail() > max(rebuildMinTail, int(ix.ordered)) {
		return e.rebuildLocked()
	}
	return nil
}

func applyBatch(ix *index, b engine.Batch) {
	for _, id := range b.Deletes {
		ix.remove(id)
	}
	for _, m := range b.Upserts {
		ix.upsert(m)
	}
	ix.cursor = b.Cursor
}

// rebuildLocked renumbers the live index in popularity order (mapping its
// postings through the permutation, see renumbered) with a fresh term
// dictionary. The caller holds writeMu, so docs do not change while
// the copy is built; searches go on against the old index meanwhile.
func (e *Engine) rebuildLocked() error {
	e.mu.RLock()
	old := e.live
	e.mu.RUnlock()
	collectAroundRebuild(len(old.docs))
	fresh, err := old.renumbered()
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.live = fresh
	e.mu.Unlock()
	collectAroundRebuild(len(fresh.docs))
	return nil
}

// collectAroundRebuildDocs is the index size from which a rebuild
// collects before and after.
const collectAroundRebuildDocs = 1 << 18

// collectAroundRebuild runs a collection before a rebuild of an index of
// docs docs and again once the index it replaced is garbage. A rebuild holds two copies of the index
// for a moment, and the collector sets its next heap goal (twice the live
// heap) from what it last found live: left to its pacing, the garbage of
// the writes before the rebuild and the old copy after it let the heap
// grow to three or four times the index, which set the process's peak
// memory (2.1 GB at 5M for a 0.7 GB index). Collecting at the two points
// where the most memory has just become garbage costs a marking of the
// index each, small beside the rebuild; only the writer waits, searches go
// on. Small indexes are left to the collector's pacing.
func collectAroundRebuild(docs int) {
	if docs >= collectAroundRebuildDocs {
		runtime.GC()
	}
}

// Settle finishes now what the background work would do once writes
// quiesce: the docs added since the last rebuild are renumbered and the term
// dictionary covers every term. A bulk load calls it to measure the index it
// leaves behind.
func (e *Engine) Settle(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.mu.RLock()
	ix := e.live
	e.mu.RUnlock()
	if ix.tail() == 0 && len(ix.recentTerms()) == 0 {
		return nil
	}
	return e.rebuildLocked()
}

// Cursor implements engine.Writer.
func (e *Engine) Cursor(context.Context) (int64, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.live.cursor, nil
}

// Count implements engine.Writer.
func (e *Engine) Count(context.Context) (int64, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return int64(e.live.alive.GetCardinality()), nil
}

// Search implements engine.Engine.
func (e *Engine) Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	if err := ctx.Err(); err != nil {
		return contract.SearchResult{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.live.search(q, e.typos)
}

// Ping implements engine.Engine: an open in-memory engine can always serve.
func (e *Engine) Ping(context.Context) error {
	select {
	case <-e.stop:
		return errors.New("memengine: closed")
	default:
		return nil
	}
}

// Staging implements engine.Engine.
func (e *Engine) Staging(context.Context) (engine.Staging, error) {
	ix, err := buildIndex(e.an, nil, 0)
	if err != nil {
		return nil, err
	}
	return &staging{e: e, ix: ix}, nil
}

// Close stops the background work and writes the final snapshot.
func (e *Engine) Close() error {
	select {
	case <-e.stop:
		return nil
	default:
	}
	close(e.stop)
	<-e.done
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return e.snapshotLocked()
}

// maintain rebuilds after writes quiesce and writes snapshots.
func (e *Engine) maintain() {
	defer close(e.done)
	tick := time.NewTicker(idleRebuild / 2)
	defer tick.Stop()
	lastSnap := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case <-tick.C:
		}
		e.writeMu.Lock()
		e.mu.RLock()
		ix, idle := e.live, time.Since(e.lastWrite) >= idleRebuild
		e.mu.RUnlock()
		if idle && (ix.tail() >= rebuildMinTail || len(ix.recentTerms()) >= rebuildMinTerms) {
			if err := e.rebuildLocked(); err != nil {
				e.cfg.Log.Error("search index rebuild failed", "err", err)
			}
		}
		if time.Since(lastSnap) >= e.cfg.SnapshotEvery {
			if err := e.snapshotLocked(); err != nil {
				e.cfg.Log.Error("search index snapshot failed", "err", err)
			}
			lastSnap = time.Now()
		}
		e.writeMu.Unlock()
	}
}

// snapshotLocked writes the live index when it changed; the caller holds
// writeMu so no batch lands between the docs and the cursor it records.
func (e *Engine) snapshotLocked() error {
	e.mu.Lock()
	ix, dirty := e.live, e.dirty
	e.dirty = false
	e.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := e.snap.save(ix); err != nil {
		e.mu.Lock()
		e.dirty = true
		e.mu.Unlock()
		return err
	}
	return nil
}

// staging is a fresh index a reindex fills before it is swapped in.
type staging struct {
	e       *Engine
	mu      sync.Mutex
	ix      *index
	swapped bool
}

func (s *staging) Apply(ctx context.Context, b engine.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.swapped {
		return errors.New("memengine: staging index already swapped in")
	}
	applyBatch(s.ix, b)
	if s.ix.tail() > max(rebuildMinTail, int(s.ix.ordered)) {
		collectAroundRebuild(len(s.ix.docs))
		fresh, err := s.ix.renumbered()
		if err != nil {
			return err
		}
		s.ix = fresh
		collectAroundRebuild(len(fresh.docs))
	}
	return nil
}

func (s *staging) Cursor(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ix.cursor, nil
}

func (s *staging) Count(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(s.ix.alive.GetCardinality()), nil
}

// Swap makes the staged index live, renumbered and with a full
// dictionary, and snapshots it.
func (s *staging) Swap(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	collectAroundRebuild(len(s.ix.docs))
	fresh, err := s.ix.renumbered()
	if err != nil {
		return err
	}
	// The staging keeps the live index, not the one renumbered into it,
	// so the collection below frees that; it takes no more writes.
	s.ix, s.swapped = fresh, true
	e := s.e
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.mu.Lock()
	e.live, e.dirty = fresh, true
	e.mu.Unlock()
	collectAroundRebuild(len(fresh.docs))
	return e.snapshotLocked()
}

func (s *staging) Discard(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ix = nil
	return nil
}
