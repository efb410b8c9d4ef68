package meiliengine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
	"github.com/moviesplatform/search-svc/engine/enginetest"
)

var ctx = context.Background()

// TestConformance runs the engine conformance suite against a real
// Meilisearch when MEILI_URL is set (MEILI_KEY for its master key), e.g.
//
//	docker run -p 7700:7700 -e MEILI_MASTER_KEY=dev getmeili/meilisearch:v1.x
//	MEILI_URL=http://127.0.0.1:7700 MEILI_KEY=dev go test ./engine/meiliengine/
//
// Each test gets its own index uids and deletes them afterwards.
func TestConformance(t *testing.T) {
	url := os.Getenv("MEILI_URL")
	if url == "" {
		t.Skip("MEILI_URL not set: no Meilisearch to run the conformance suite against")
	}
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		uid := "test_" + strconv.FormatInt(time.Now().UnixNano(), 36)
		e, err := Open(ctx, Config{URL: url, APIKey: os.Getenv("MEILI_KEY"), Index: uid})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			for _, idx := range []string{uid, uid + "_meta"} {
				if task, err := e.cli.DeleteIndex(ctx, idx); err == nil {
					_ = e.wait(ctx, task.TaskUID)
				}
			}
		})
		return e
	})
}

func openFake(t *testing.T, f *fakeMeiliServer, cfg Config) *Engine {
	t.Helper()
	cfg.URL = f.URL
	if cfg.APIKey == "" {
		cfg.APIKey = f.key
	}
	cfg.PollInterval = time.Millisecond
	e, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestSettingsAreAppliedBeforeDocuments(t *testing.T) {
	f := newFakeMeiliServer(t, "secret")
	e := openFake(t, f, Config{Index: "movies"})
	if err := e.Apply(ctx, engine.Batch{Upserts: catalogtest.ReferenceMovies()[:3], Cursor: 3}); err != nil {
		t.Fatal(err)
	}
	movieCalls := f.calls("")
	settings := slices.Index(movieCalls, "PATCH /indexes/movies/settings")
	docs := slices.Index(movieCalls, "POST /indexes/movies/documents")
	if settings < 0 || docs < 0 || settings > docs {
		t.Fatalf("settings must precede documents: %q", movieCalls)
	}
	// The settings task was waited for before the documents were sent.
	if !slices.ContainsFunc(movieCalls[settings:docs], func(c string) bool { return strings.HasPrefix(c, "GET /tasks/") }) {
		t.Errorf("settings task not awaited before documents: %q", movieCalls[settings:docs])
	}
	var got struct {
		SearchableAttributes []string
		RankingRules         []string
		TypoTolerance        struct {
			Enabled             bool
			MinWordSizeForTypos struct{ OneTypo, TwoTypos int }
		}
		Pagination struct{ MaxTotalHits int }
	}
	if err := json.Unmarshal(f.settings["movies"], &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.SearchableAttributes, []string{"name", "director"}) ||
		got.RankingRules[len(got.RankingRules)-1] != "popularity:desc" ||
		!got.TypoTolerance.Enabled || got.TypoTolerance.MinWordSizeForTypos.OneTypo != 5 || got.TypoTolerance.MinWordSizeForTypos.TwoTypos != 9 ||
		got.Pagination.MaxTotalHits != contract.MaxSearchWindow {
		t.Errorf("settings sent: %s", f.settings["movies"])
	}
}

func TestWritesAreBatchedAndCursorStored(t *testing.T) {
	f := newFakeMeiliServer(t, "")
	e := openFake(t, f, Config{Index: "movies", BatchSize: 100})
	ref := catalogtest.ReferenceMovies()
	if err := e.Apply(ctx, engine.Batch{Upserts: ref, Cursor: 248}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.calls("POST /indexes/movies/documents")); n != 3 {
		t.Errorf("248 movies in batches of 100 took %d writes", n)
	}
	var ids []int64
	for i := int64(1); i <= 210; i++ {
		ids = append(ids, i)
	}
	if err := e.Apply(ctx, engine.Batch{Deletes: ids, Cursor: 400}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.calls("POST /indexes/movies/documents/delete-batch")); n != 3 {
		t.Errorf("210 deletes in batches of 100 took %d calls", n)
	}
	if n, err := e.Count(ctx); err != nil || n != 38 {
		t.Errorf("count %d, %v; want 38", n, err)
	}
	if c, err := e.Cursor(ctx); err != nil || c != 400 {
		t.Errorf("cursor %d, %v; want 400", c, err)
	}
	// The stored document keeps the movie exactly plus the filter keys.
	var doc engine.Document
	_ = json.Unmarshal(f.indexes["movies"]["248"], &doc)
	if doc.Movie().Name != ref[247].Name || doc.DirectorKey != strings.ToLower(ref[247].Director) {
		t.Errorf("stored document %+v", doc)
	}
}

func TestAPIKeyIsSent(t *testing.T) {
	f := newFakeMeiliServer(t, "right")
	if _, err := Open(ctx, Config{URL: f.URL, APIKey: "wrong"}); err == nil || !strings.Contains(err.Error(), "invalid_api_key") {
		t.Errorf("wrong key: %v", err)
	}
	openFake(t, f, Config{APIKey: "right"})
}

func TestTaskWaitsHaveATimeout(t *testing.T) {
	f := newFakeMeiliServer(t, "")
	e := openFake(t, f, Config{Index: "movies", TaskTimeout: 50 * time.Millisecond})
	f.mu.Lock()
	f.taskState = func(*fakeTask) (string, string) { return "processing", "" }
	f.mu.Unlock()
	err := e.Apply(ctx, engine.Batch{Upserts: catalogtest.ReferenceMovies()[:1], Cursor: 1})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("a task that never ends gave %v", err)
	}
}

func TestFailedTaskIsAnError(t *testing.T) {
	f := newFakeMeiliServer(t, "")
	e := openFake(t, f, Config{Index: "movies"})
	f.mu.Lock()
	f.taskState = func(*fakeTask) (string, string) { return "failed", "invalid_document_id" }
	f.mu.Unlock()
	err := e.Apply(ctx, engine.Batch{Upserts: catalogtest.ReferenceMovies()[:1], Cursor: 1})
	if err == nil || !strings.Contains(err.Error(), "invalid_document_id") {
		t.Errorf("failed task gave %v", err)
	}
	if c, _ := e.Cursor(ctx); c != 0 {
		t.Errorf("cursor moved past a failed write: %d", c)
	}
}

func TestSearchRequestAndResponse(t *testing.T) {
	f := newFakeMeiliServer(t, "")
	e := openFake(t, f, Config{Index: "movies"})
	if err := e.Apply(ctx, engine.Batch{Upserts: catalogtest.ReferenceMovies()[:2], Cursor: 2}); err != nil {
		t.Fatal(err)
	}
	lo, hi := 7.5, 90.0
	res, err := e.Search(ctx, contract.SearchQuery{
		Text: "star wa", Genres: []string{"Sci-Fi", `Odd "Genre"`}, Director: "George Lucas",
		IMDBScore: contract.Range{Min: &lo}, Popularity: contract.Range{Max: &hi},
		Sort:   []contract.Order{{Field: "name"}, {Field: "popularity", Desc: true}, {Field: "id"}},
		Offset: 20, Limit: 10, Facets: []string{contract.FacetGenre},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := f.searches[0]
	want := map[string]any{
		"q": "star wa", "offset": 20.0, "limit": 10.0, "matchingStrategy": "all",
		"filter": []any{`genre_key IN ["sci-fi", "odd \"genre\""]`, `director_key = "george lucas"`, "imdb_score >= 7.5", "popularity <= 90"},
		"sort":   []any{"name_sort:asc", "popularity:desc", "id:asc"},
		"facets": []any{"genre"},
	}
	for k, v := range want {
		if fmt.Sprint(req[k]) != fmt.Sprint(v) {
			t.Errorf("%s: sent %v, want %v", k, req[k], v)
		}
	}
	if len(res.Hits) != 2 || res.Hits[0].Name != "The Wizard of Oz" || res.EstimatedTotal != 2 {
		t.Errorf("hits %+v total %d", res.Hits, res.EstimatedTotal)
	}
	if res.Facets[contract.FacetGenre]["Drama"] != 2 {
		t.Errorf("facets %v", res.Facets)
	}
}

func TestStagingSwapsWithSwapIndexes(t *testing.T) {
	f := newFakeMeiliServer(t, "")
	e := openFake(t, f, Config{Index: "movies"})
	ref := catalogtest.ReferenceMovies()
	if err := e.Apply(ctx, engine.Batch{Upserts: ref, Cursor: 248}); err != nil {
		t.Fatal(err)
	}
	st, err := e.Staging(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(ctx, engine.Batch{Upserts: ref[:5], Cursor: 260}); err != nil {
		t.Fatal(err)
	}
	if err := st.Swap(ctx); err != nil {
		t.Fatal(err)
	}
	if len(f.calls("POST /swap-indexes")) != 1 {
		t.Error("swap-indexes not called")
	}
	if n, _ := e.Count(ctx); n != 5 {
		t.Errorf("live count after swap %d", n)
	}
	if c, _ := e.Cursor(ctx); c != 260 {
		t.Errorf("live cursor after swap %d", c)
	}
	if len(f.indexes) != 2 { // movies and movies_meta; the staging index is gone
		t.Errorf("indexes left: %v", len(f.indexes))
	}
}

// Queries carry the search-only key and nothing else does: the indexer's
// writes, settings, tasks and swaps carry the admin key.
func TestSearchKeyForQueriesAdminKeyForTheIndexer(t *testing.T) {
	f := newFakeMeiliServer(t, "admin-key")
	f.searchKey = "search-key"
	e := openFake(t, f, Config{Index: "movies", APIKey: "admin-key", SearchKey: "search-key"})
	if err := e.Apply(ctx, engine.Batch{Upserts: catalogtest.ReferenceMovies()[:3], Cursor: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Search(ctx, contract.SearchQuery{Text: "star", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	st, err := e.Staging(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Swap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Search(ctx, contract.SearchQuery{Text: "star", Limit: 10}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	searches := 0
	for i, call := range f.log {
		want := "admin-key"
		if strings.HasSuffix(call, "/search") {
			want = "search-key"
			searches++
		}
		if f.bearers[i] != want {
			t.Errorf("%s carried %q, want %q", call, f.bearers[i], want)
		}
	}
	if searches != 2 {
		t.Errorf("%d searches seen, want 2: %q", searches, f.log)
	}
}
