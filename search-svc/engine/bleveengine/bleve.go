// Package bleveengine is the embedded search engine: Bleve indexes on local
// disk (or in memory), queried to behave as close to Meilisearch as Bleve
// allows. Searches go through an index alias, so a full reindex swaps the
// new index in atomically.
//
// On disk, Path holds one directory per index and a CURRENT file naming the
// live one; a swap rewrites CURRENT atomically (write + rename) before the
// old directory is removed, so a crash at any point reopens a whole index.
package bleveengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

const (
	currentFile = "CURRENT"
	// cursorKey is where the feed cursor lives in the index's internal
	// storage; it is written in the same batch as the documents.
	cursorKey = "feed_cursor"
	// schemaKey records the mapping an index was built with. An index of an
	// older schema is replaced by an empty one at open, which the indexer
	// then rebuilds from the feed.
	schemaKey     = "schema"
	schemaVersion = "3" // 3: apostrophes split words
)

// Engine is a Bleve-backed engine.Engine.
type Engine struct {
	path string // "" keeps every index in memory

	mu       sync.Mutex // serializes writes and swaps
	live     *index
	alias    bleve.IndexAlias
	closed   bool
	nameFunc func() string
}

type index struct {
	idx bleve.Index
	dir string // "" in memory
}

// Open opens the live index under path, creating one if there is none. An
// empty path keeps everything in memory (tests).
func Open(path string) (*Engine, error) {
	e := &Engine{path: path, nameFunc: func() string { return "movies-" + strconv.FormatInt(time.Now().UnixNano(), 36) }}
	live, err := e.openLive()
	if err != nil {
		return nil, err
	}
	e.live = live
	e.alias = bleve.NewIndexAlias(live.idx)
	return e, nil
}

func (e *Engine) openLive() (*index, error) {
	if e.path == "" {
		return e.create()
	}
	if err := os.MkdirAll(e.path, 0o755); err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	name, err := os.ReadFile(filepath.Join(e.path, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		ix, err := e.create()
		if err != nil {
			return nil, err
		}
		if err := e.writeCurrent(ix.dir); err != nil {
			_ = ix.idx.Close()
			return nil, err
		}
		return ix, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	dir := filepath.Join(e.path, strings.TrimSpace(string(name)))
	idx, err := bleve.OpenUsing(dir, runtimeConfig())
	if err != nil {
		return nil, fmt.Errorf("bleve: open %s: %w", dir, err)
	}
	old := &index{idx: idx, dir: dir}
	if v, err := idx.GetInternal([]byte(schemaKey)); err == nil && string(v) == schemaVersion {
		return old, nil
	}
	fresh, err := e.create()
	if err != nil {
		_ = idx.Close()
		return nil, err
	}
	if err := e.writeCurrent(fresh.dir); err != nil {
		_ = fresh.drop()
		_ = idx.Close()
		return nil, err
	}
	return fresh, old.drop()
}

func (e *Engine) create() (*index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	if e.path == "" {
		// Scorch keeps an index in memory when its path is empty; bleve's
		// NewMemOnly would use the much slower upsidedown+gtreap index.
		idx, err := bleve.NewUsing("", m, scorch.Name, bleve.Config.DefaultKVStore, nil)
		if err != nil {
			return nil, fmt.Errorf("bleve: %w", err)
		}
		return &index{idx: idx}, nil
	}
	dir := filepath.Join(e.path, e.nameFunc())
	idx, err := bleve.NewUsing(dir, m, scorch.Name, bleve.Config.DefaultKVStore, runtimeConfig())
	if err != nil {
		return nil, fmt.Errorf("bleve: create %s: %w", dir, err)
	}
	if err := idx.SetInternal([]byte(schemaKey), []byte(schemaVersion)); err != nil {
		_ = idx.Close()
		return nil, fmt.Errorf("bleve: create %s: %w", dir, err)
	}
	return &index{idx: idx, dir: dir}, nil
}

// runtimeConfig lets a batch return once it is searchable rather than once
// it is on disk. That is safe here because the feed cursor travels in the
// same batch (SetInternal) and scorch persists a batch's segment and its
// internal values in one snapshot: a crash loses the newest batches and
// their cursor together, and the indexer replays them.
func runtimeConfig() map[string]any { return map[string]any{"unsafe_batch": true} }

func (e *Engine) writeCurrent(dir string) error {
	tmp := filepath.Join(e.path, currentFile+".tmp")
	if err := os.WriteFile(tmp, []byte(filepath.Base(dir)+"\n"), 0o644); err != nil {
		return fmt.Errorf("bleve: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(e.path, currentFile)); err != nil {
		return fmt.Errorf("bleve: %w", err)
	}
	return nil
}

// Apply implements engine.Writer.
func (e *Engine) Apply(ctx context.Context, b engine.Batch) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errClosed
	}
	return e.live.apply(b)
}

// Cursor implements engine.Writer.
func (e *Engine) Cursor(context.Context) (int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.live.cursor()
}

// Count implements engine.Writer.
func (e *Engine) Count(context.Context) (int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.live.count()
}

// Search implements engine.Engine.
func (e *Engine) Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	req, err := buildRequest(e.alias.Mapping(), q)
	if err != nil {
		return contract.SearchResult{}, err
	}
	res, err := e.alias.SearchInContext(ctx, req)
	if err != nil {
		return contract.SearchResult{}, fmt.Errorf("bleve: search: %w", err)
	}
	return decodeResult(q, res)
}

// Ping implements engine.Engine.
func (e *Engine) Ping(ctx context.Context) error {
	_, err := e.Count(ctx)
	return err
}

// Close closes the live index.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	return errors.Join(e.live.flush(), e.live.idx.Close())
}

// Staging implements engine.Engine.
func (e *Engine) Staging(context.Context) (engine.Staging, error) {
	ix, err := e.create()
	if err != nil {
		return nil, err
	}
	return &staging{e: e, ix: ix}, nil
}

var errClosed = errors.New("bleve: engine closed")

type staging struct {
	e  *Engine
	ix *index
}

func (s *staging) Apply(_ context.Context, b engine.Batch) error { return s.ix.apply(b) }
func (s *staging) Cursor(context.Context) (int64, error)         { return s.ix.cursor() }
func (s *staging) Count(context.Context) (int64, error)          { return s.ix.count() }

func (s *staging) Swap(context.Context) error {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errClosed
	}
	if e.path != "" {
		if err := s.ix.flush(); err != nil {
			return err
		}
		if err := e.writeCurrent(s.ix.dir); err != nil {
			return err
		}
	}
	old := e.live
	// Swap waits for searches in flight on the old index, so closing it
	// afterwards cannot cut one short.
	e.alias.Swap([]bleve.Index{s.ix.idx}, []bleve.Index{old.idx})
	e.live = s.ix
	return old.drop()
}

func (s *staging) Discard(context.Context) error { return s.ix.drop() }

func (ix *index) apply(b engine.Batch) error {
	batch := ix.idx.NewBatch()
	for _, m := range b.Upserts {
		if err := batch.Index(engine.DocID(m.ID), bleveDoc(m)); err != nil {
			return fmt.Errorf("bleve: index movie %d: %w", m.ID, err)
		}
	}
	for _, id := range b.Deletes {
		batch.Delete(engine.DocID(id))
	}
	batch.SetInternal([]byte(cursorKey), []byte(strconv.FormatInt(b.Cursor, 10)))
	if err := ix.idx.Batch(batch); err != nil {
		return fmt.Errorf("bleve: batch: %w", err)
	}
	return nil
}

// flushTimeout bounds the wait for an index to reach the disk.
const flushTimeout = time.Minute

// flush waits until everything applied so far is on disk: batches return
// once searchable (unsafe_batch), and closing an index does not persist
// what is still in memory. It writes the current cursor again in a batch
// whose persisted callback fires once that batch, and all before it, are
// stored.
func (ix *index) flush() error {
	if ix.dir == "" {
		return nil
	}
	cur, err := ix.idx.GetInternal([]byte(cursorKey))
	if err != nil {
		return fmt.Errorf("bleve: flush: %w", err)
	}
	done := make(chan error, 1)
	b := ix.idx.NewBatch()
	b.SetInternal([]byte(cursorKey), cur)
	b.SetPersistedCallback(func(err error) {
		select {
		case done <- err:
		default:
		}
	})
	if err := ix.idx.Batch(b); err != nil {
		return fmt.Errorf("bleve: flush: %w", err)
	}
	select {
	case err := <-done:
		return err
	case <-time.After(flushTimeout):
		return errors.New("bleve: flush: index not persisted in time")
	}
}

func (ix *index) cursor() (int64, error) {
	raw, err := ix.idx.GetInternal([]byte(cursorKey))
	if err != nil {
		return 0, fmt.Errorf("bleve: read cursor: %w", err)
	}
	if len(raw) == 0 {
		return 0, nil
	}
	return strconv.ParseInt(string(raw), 10, 64)
}

func (ix *index) count() (int64, error) {
	n, err := ix.idx.DocCount()
	return int64(n), err
}

func (ix *index) drop() error {
	err := ix.idx.Close()
	if ix.dir != "" {
		err = errors.Join(err, os.RemoveAll(ix.dir))
	}
	return err
}

// bleveDoc is what Bleve indexes for a movie: the document fields plus the
// movie's JSON, stored (not indexed) so hits rebuild the movie exactly.
func bleveDoc(m contract.Movie) map[string]any {
	d := engine.NewDocument(m)
	src, _ := json.Marshal(d.Movie())
	return map[string]any{
		engine.FieldID:          float64(d.ID),
		engine.FieldName:        d.Name,
		engine.FieldDirector:    d.Director,
		engine.FieldPopularity:  d.Popularity,
		engine.FieldIMDBScore:   d.IMDBScore,
		engine.FieldGenre:       d.Genre,
		engine.FieldGenreKey:    d.GenreKey,
		engine.FieldDirectorKey: d.DirectorKey,
		engine.FieldNameSort:    d.NameSort,
		fieldSource:             string(src),
		fieldPopularityKey:      numberKey(d.Popularity),
		fieldIMDBScoreKey:       numberKey(d.IMDBScore),
		fieldIDKey:              idKey(d.ID),
	}
}
