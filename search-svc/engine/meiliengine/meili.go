// Package meiliengine is the production search engine: Meilisearch, through
// its official Go client. Index settings are applied (and waited for) before
// any document is written, documents are written in batches, every task is
// waited for with a deadline, and a full reindex builds a staging index that
// swap-indexes makes live atomically.
//
// The feed cursor lives in a small companion index ("<index>_meta", one
// document per index uid). It is written after the documents' tasks succeed,
// so a crash in between replays changes rather than skipping them.
package meiliengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// Config locates and tunes the Meilisearch engine.
type Config struct {
	URL string
	// APIKey is the indexer's key: index creation, settings, documents,
	// tasks, swaps. It never carries a query.
	APIKey string
	// SearchKey is a search-only key (actions ["search"]), the only one
	// queries carry, so the query path cannot write or read settings
	// whatever a request makes it send. Empty: queries use APIKey (a
	// Meilisearch without keys, in development).
	SearchKey string
	// Index is the live index uid ("movies").
	Index string
	// BatchSize is how many documents one write carries (1000).
	BatchSize int
	// TaskTimeout bounds the wait for one Meilisearch task (2m).
	TaskTimeout time.Duration
	// PollInterval is how often a task's status is asked for (25ms).
	PollInterval time.Duration
	// HTTPClient, when set, carries every call (timeouts, tracing).
	HTTPClient *http.Client
}

// Engine is a Meilisearch-backed engine.Engine.
type Engine struct {
	*index // the live index: Apply, Cursor, Count
	cli    meilisearch.ServiceManager
	// searcher carries queries with Config.SearchKey.
	searcher meilisearch.ServiceManager
	cfg      Config
	meta     string
}

type index struct {
	e   *Engine
	uid string
}

// Settings are the index settings both the live and staging indexes get:
// name before director (attribute rule), every word must match, Meilisearch's
// default typo thresholds, relevance then popularity, and an explicit sort
// that wins over relevance when asked for, as in the embedded engine.
func Settings() *meilisearch.Settings {
	return &meilisearch.Settings{
		SearchableAttributes: []string{engine.FieldName, engine.FieldDirector},
		FilterableAttributes: []string{engine.FieldGenre, engine.FieldGenreKey, engine.FieldDirectorKey, engine.FieldPopularity, engine.FieldIMDBScore},
		SortableAttributes:   []string{engine.FieldNameSort, engine.FieldDirectorKey, engine.FieldPopularity, engine.FieldIMDBScore, engine.FieldID},
		RankingRules:         []string{"sort", "words", "typo", "proximity", "attribute", "exactness", engine.FieldPopularity + ":desc"},
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled: true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{
				OneTypo: engine.MinWordSizeOneTypo, TwoTypos: engine.MinWordSizeTwoTypos,
			},
			DisableOnWords: []string{}, DisableOnAttributes: []string{},
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: contract.MaxSearchWindow},
		Faceting:   &meilisearch.Faceting{MaxValuesPerFacet: 100},
	}
}

const primaryKey = engine.FieldID

// Open connects to Meilisearch and makes sure the live and meta indexes
// exist with their settings.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.URL == "" {
		return nil, errors.New("meilisearch: no URL configured")
	}
	if cfg.Index == "" {
		cfg.Index = "movies"
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.TaskTimeout <= 0 {
		cfg.TaskTimeout = 2 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 25 * time.Millisecond
	}
	client := func(key string) meilisearch.ServiceManager {
		opts := []meilisearch.Option{meilisearch.WithAPIKey(key)}
		if cfg.HTTPClient != nil {
			opts = append(opts, meilisearch.WithCustomClient(cfg.HTTPClient))
		}
		return meilisearch.New(cfg.URL, opts...)
	}
	e := &Engine{cli: client(cfg.APIKey), cfg: cfg, meta: cfg.Index + "_meta"}
	e.searcher = e.cli
	if cfg.SearchKey != "" {
		e.searcher = client(cfg.SearchKey)
	}
	e.index = &index{e: e, uid: cfg.Index}
	if err := e.ensureIndex(ctx, e.meta, nil); err != nil {
		return nil, err
	}
	if err := e.ensureIndex(ctx, e.index.uid, Settings()); err != nil {
		return nil, err
	}
	return e, nil
}

// ensureIndex creates uid if missing and applies settings, waiting for both,
// so no document is ever indexed under default settings.
func (e *Engine) ensureIndex(ctx context.Context, uid string, settings *meilisearch.Settings) error {
	if _, err := e.cli.GetIndex(ctx, uid); err != nil {
		if !isNotFound(err) {
			return fmt.Errorf("meilisearch: get index %s: %w", uid, err)
		}
		task, err := e.cli.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: primaryKey})
		if err != nil {
			return fmt.Errorf("meilisearch: create index %s: %w", uid, err)
		}
		if err := e.wait(ctx, task.TaskUID, "index_already_exists"); err != nil {
			return fmt.Errorf("meilisearch: create index %s: %w", uid, err)
		}
	}
	if settings == nil {
		return nil
	}
	task, err := e.cli.Index(uid).UpdateSettings(ctx, settings)
	if err != nil {
		return fmt.Errorf("meilisearch: settings of %s: %w", uid, err)
	}
	if err := e.wait(ctx, task.TaskUID); err != nil {
		return fmt.Errorf("meilisearch: settings of %s: %w", uid, err)
	}
	return nil
}

// wait waits for a task to finish within TaskTimeout; a failed task is an
// error unless its code is one of okCodes.
func (e *Engine) wait(ctx context.Context, taskUID int64, okCodes ...string) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.TaskTimeout)
	defer cancel()
	task, err := e.cli.WaitForTask(ctx, taskUID, e.cfg.PollInterval)
	if err != nil {
		return fmt.Errorf("task %d: %w", taskUID, err)
	}
	if task.Status == meilisearch.TaskStatusSucceeded {
		return nil
	}
	for _, c := range okCodes {
		if string(task.Error.Code) == c {
			return nil
		}
	}
	return fmt.Errorf("task %d %s: %s (%s)", taskUID, task.Status, task.Error.Message, task.Error.Code)
}

func isNotFound(err error) bool {
	var me *meilisearch.Error
	return errors.As(err, &me) && me.StatusCode == http.StatusNotFound
}

// Ping implements engine.Engine.
func (e *Engine) Ping(ctx context.Context) error {
	if _, err := e.cli.Health(ctx); err != nil {
		return fmt.Errorf("meilisearch: %w", err)
	}
	return nil
}

// Close releases the client's connections.
func (e *Engine) Close() error {
	e.cli.Close()
	if e.searcher != e.cli {
		e.searcher.Close()
	}
	return nil
}

// Staging implements engine.Engine.
func (e *Engine) Staging(ctx context.Context) (engine.Staging, error) {
	ix := &index{e: e, uid: e.cfg.Index + "_staging_" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	if err := e.ensureIndex(ctx, ix.uid, Settings()); err != nil {
		return nil, err
	}
	return &staging{index: ix}, nil
}

type staging struct{ *index }

// Swap exchanges the staging and live indexes in one Meilisearch task, moves
// the staging cursor to the live uid and drops the old documents.
func (s *staging) Swap(ctx context.Context) error {
	e := s.e
	cursor, err := s.Cursor(ctx)
	if err != nil {
		return err
	}
	task, err := e.cli.SwapIndexes(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{e.index.uid, s.uid}}})
	if err != nil {
		return fmt.Errorf("meilisearch: swap: %w", err)
	}
	if err := e.wait(ctx, task.TaskUID); err != nil {
		return fmt.Errorf("meilisearch: swap: %w", err)
	}
	if err := e.index.setCursor(ctx, cursor); err != nil {
		return err
	}
	return s.Discard(ctx)
}

// Discard deletes the staging index and its cursor.
func (s *staging) Discard(ctx context.Context) error {
	e := s.e
	task, err := e.cli.DeleteIndex(ctx, s.uid)
	if err != nil {
		return fmt.Errorf("meilisearch: delete %s: %w", s.uid, err)
	}
	if err := e.wait(ctx, task.TaskUID); err != nil {
		return fmt.Errorf("meilisearch: delete %s: %w", s.uid, err)
	}
	task, err = e.cli.Index(e.meta).DeleteDocument(ctx, s.uid, nil)
	if err != nil {
		return fmt.Errorf("meilisearch: delete cursor of %s: %w", s.uid, err)
	}
	return e.wait(ctx, task.TaskUID)
}

// Apply implements engine.Writer.
func (ix *index) Apply(ctx context.Context, b engine.Batch) error {
	e := ix.e
	idx := e.cli.Index(ix.uid)
	var tasks []int64
	if len(b.Upserts) > 0 {
		docs := make([]engine.Document, len(b.Upserts))
		for i, m := range b.Upserts {
			docs[i] = engine.NewDocument(m)
		}
		pk := primaryKey
		infos, err := idx.AddDocumentsInBatches(ctx, docs, e.cfg.BatchSize, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return fmt.Errorf("meilisearch: add documents: %w", err)
		}
		for _, t := range infos {
			tasks = append(tasks, t.TaskUID)
		}
	}
	for start := 0; start < len(b.Deletes); start += e.cfg.BatchSize {
		ids := b.Deletes[start:min(start+e.cfg.BatchSize, len(b.Deletes))]
		strIDs := make([]string, len(ids))
		for i, id := range ids {
			strIDs[i] = engine.DocID(id)
		}
		t, err := idx.DeleteDocuments(ctx, strIDs, nil)
		if err != nil {
			return fmt.Errorf("meilisearch: delete documents: %w", err)
		}
		tasks = append(tasks, t.TaskUID)
	}
	for _, t := range tasks {
		if err := e.wait(ctx, t); err != nil {
			return fmt.Errorf("meilisearch: write %s: %w", ix.uid, err)
		}
	}
	return ix.setCursor(ctx, b.Cursor)
}

type cursorDoc struct {
	ID  string `json:"id"`
	Seq int64  `json:"seq"`
}

func (ix *index) setCursor(ctx context.Context, seq int64) error {
	e := ix.e
	pk := primaryKey
	t, err := e.cli.Index(e.meta).AddDocuments(ctx, []cursorDoc{{ID: ix.uid, Seq: seq}}, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	if err != nil {
		return fmt.Errorf("meilisearch: store cursor: %w", err)
	}
	if err := e.wait(ctx, t.TaskUID); err != nil {
		return fmt.Errorf("meilisearch: store cursor: %w", err)
	}
	return nil
}

// Cursor implements engine.Writer.
func (ix *index) Cursor(ctx context.Context) (int64, error) {
	var doc cursorDoc
	if err := ix.e.cli.Index(ix.e.meta).GetDocument(ctx, ix.uid, nil, &doc); err != nil {
		if isNotFound(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("meilisearch: read cursor: %w", err)
	}
	return doc.Seq, nil
}

// Count implements engine.Writer.
func (ix *index) Count(ctx context.Context) (int64, error) {
	st, err := ix.e.cli.Index(ix.uid).GetStats(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("meilisearch: stats: %w", err)
	}
	return st.NumberOfDocuments, nil
}

// Search implements engine.Engine.
func (e *Engine) Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	resp, err := e.searcher.Index(e.index.uid).Search(ctx, q.Text, SearchRequest(q))
	if err != nil {
		return contract.SearchResult{}, fmt.Errorf("meilisearch: search: %w", err)
	}
	return decodeResponse(q, resp)
}

// SearchRequest translates q into Meilisearch's search parameters.
func SearchRequest(q contract.SearchQuery) *meilisearch.SearchRequest {
	req := &meilisearch.SearchRequest{
		Query:            q.Text,
		Offset:           int64(q.Offset),
		Limit:            int64(q.Limit),
		MatchingStrategy: meilisearch.All, // every term must match, as the seed's search
		Filter:           Filter(q),
	}
	for _, o := range q.Sort {
		dir := ":asc"
		if o.Desc {
			dir = ":desc"
		}
		req.Sort = append(req.Sort, engine.SortField(o.Field)+dir)
	}
	for _, f := range q.Facets {
		if f == contract.FacetGenre {
			req.Facets = append(req.Facets, engine.FieldGenre)
		}
	}
	return req
}

// Filter renders q's filters in Meilisearch's filter syntax, as an array of
// expressions that must all hold; nil when there are none.
func Filter(q contract.SearchQuery) []string {
	var out []string
	if len(q.Genres) > 0 {
		keys := make([]string, len(q.Genres))
		for i, g := range q.Genres {
			keys[i] = quote(engine.Key(g))
		}
		out = append(out, engine.FieldGenreKey+" IN ["+strings.Join(keys, ", ")+"]")
	}
	if q.Director != "" {
		out = append(out, engine.FieldDirectorKey+" = "+quote(engine.Key(q.Director)))
	}
	rng := func(field string, r contract.Range) {
		if r.Min != nil {
			out = append(out, field+" >= "+strconv.FormatFloat(*r.Min, 'f', -1, 64))
		}
		if r.Max != nil {
			out = append(out, field+" <= "+strconv.FormatFloat(*r.Max, 'f', -1, 64))
		}
	}
	rng(engine.FieldIMDBScore, q.IMDBScore)
	rng(engine.FieldPopularity, q.Popularity)
	return out
}

// quote makes a Meilisearch filter string literal: double quotes, with
// backslash escapes for quotes and backslashes.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func decodeResponse(q contract.SearchQuery, resp *meilisearch.SearchResponse) (contract.SearchResult, error) {
	var docs []engine.Document
	if err := resp.Hits.DecodeInto(&docs); err != nil {
		return contract.SearchResult{}, fmt.Errorf("meilisearch: decode hits: %w", err)
	}
	out := contract.SearchResult{
		Hits:           make([]contract.Movie, len(docs)),
		EstimatedTotal: resp.EstimatedTotalHits,
		Offset:         q.Offset,
		Limit:          q.Limit,
	}
	if resp.TotalHits > out.EstimatedTotal {
		out.EstimatedTotal = resp.TotalHits
	}
	for i, d := range docs {
		out.Hits[i] = d.Movie()
	}
	if len(q.Facets) > 0 {
		var dist map[string]map[string]int64
		if len(resp.FacetDistribution) > 0 {
			if err := json.Unmarshal(resp.FacetDistribution, &dist); err != nil {
				return contract.SearchResult{}, fmt.Errorf("meilisearch: decode facets: %w", err)
			}
		}
		out.Facets = map[string]map[string]int64{contract.FacetGenre: dist[engine.FieldGenre]}
		if out.Facets[contract.FacetGenre] == nil {
			out.Facets[contract.FacetGenre] = map[string]int64{}
		}
	}
	return out, nil
}
