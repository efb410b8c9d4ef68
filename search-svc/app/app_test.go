package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"

	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/search-svc/app"
	"github.com/moviesplatform/search-svc/internal/feedtest"
	"github.com/moviesplatform/search-svc/search"
)

func TestConfigReadsTheFixedVariableNames(t *testing.T) {
	var cfg app.Config
	err := config.LoadFrom(&cfg, map[string]string{
		"MOVIES_SEARCH_ENGINE": "meilisearch", "MOVIES_SEARCH_MEILI_URL": "http://127.0.0.1:7700",
		"MOVIES_SEARCH_MEILI_KEY": "k", "MOVIES_SEARCH_BLEVE_PATH": "/x", "MOVIES_SEARCH_CATALOG_URL": "http://c:1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8083" || cfg.Engine != "meilisearch" || cfg.MeiliURL != "http://127.0.0.1:7700" || cfg.MeiliKey != "k" ||
		cfg.BlevePath != "/x" || cfg.CatalogURL != "http://c:1" {
		t.Errorf("config: %+v", cfg)
	}
	d := config.Describe(&cfg)
	for i := 0; i+1 < len(d); i += 2 {
		if d[i] == "search_meili_key" && d[i+1] != "<redacted>" {
			t.Errorf("the Meilisearch key is logged as %v", d[i+1])
		}
	}
}

func TestUnknownEngineIsRefused(t *testing.T) {
	_, err := app.New(context.Background(), app.Config{Engine: "solr"}, logging.Discard(), server.NewRegistry(), nil, app.Deps{Feed: &feedtest.Feed{}})
	if err == nil {
		t.Fatal("engine solr accepted")
	}
}

// The wired service follows the feed, answers searches over HTTP, and shows
// its lag in /readyz and /metrics, on each embedded engine.
func TestWiring(t *testing.T) {
	t.Run(app.EngineBleve, func(t *testing.T) {
		testWiring(t, app.Config{Engine: app.EngineBleve, BlevePath: t.TempDir()})
	})
	t.Run(app.EngineMemory, func(t *testing.T) {
		testWiring(t, app.Config{Engine: app.EngineMemory, MemoryPath: filepath.Join(t.TempDir(), "index.snapshot")})
	})
}

func testWiring(t *testing.T, cfg app.Config) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var feed feedtest.Feed
	feed.Upsert(catalogtest.ReferenceMovies()...)
	reg := server.NewRegistry()
	keyDir, keys := servicetokentest.Shared(t)
	cfg.PollInterval, cfg.Addr = 5*time.Millisecond, "127.0.0.1:0"
	cfg.Identity = servicetoken.Config{TrustedKeys: keyDir}
	a, err := app.New(ctx, cfg, logging.Discard(), reg, nil, app.Deps{Feed: &feed})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(server.WithAdmin(a.Handler, server.AdminOptions{Health: a.Health, Gatherer: reg}))
	defer srv.Close()

	if code, _ := get(t, srv.URL+contract.RouteReadyz); code != http.StatusServiceUnavailable {
		t.Errorf("ready before the index was built: %d", code)
	}
	go func() { _ = a.Run(ctx) }()
	feedtest.WaitFor(t, func() bool { code, _ := get(t, srv.URL+contract.RouteReadyz); return code == http.StatusOK })

	endpoints, err := search.NewHTTPClient(srv.URL, keys.Client(servicetoken.Gateway, search.ServiceName, srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	client := endpoints.Service()
	res, err := client.Search(ctx, contract.SearchQuery{Text: "casablanka", Limit: 5})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].Name != "Casablanca" {
		t.Fatalf("casablanka: %+v %v", res.Hits, err)
	}

	// A change in the catalog becomes searchable by itself.
	feed.Upsert(contract.Movie{ID: 1000, Name: "Brand New Picture", Director: "Someone", Genre: []contract.Genre{}})
	feedtest.WaitFor(t, func() bool {
		res, err := client.Search(ctx, contract.SearchQuery{Text: "brand new pic", Limit: 5})
		return err == nil && len(res.Hits) == 1
	})

	_, body := get(t, srv.URL+contract.RouteReadyz)
	var ready struct {
		Indexer map[string]any `json:"indexer"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || ready.Indexer["lag_seconds"] == nil || ready.Indexer["lag_sequences"] == nil {
		t.Errorf("readyz: %s (%v)", body, err)
	}
	_, metrics := get(t, srv.URL+contract.RouteMetrics)
	for _, m := range []string{"search_indexer_lag_seconds", "search_indexer_lag_sequences", "search_service_calls_total"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	// A reindex is an operator's only: not the gateway's, even acting for
	// an admin (the public API has no reindex route).
	if _, err := keys.Client(servicetoken.Gateway, search.ServiceName, nil).Post(srv.URL+contract.RouteInternalReindex, "", nil); err == nil {
		t.Fatal("the gateway acting for no one started a reindex")
	}
	asAdmin, _ := http.NewRequest(http.MethodPost, srv.URL+contract.RouteInternalReindex, nil)
	asAdmin.Header.Set("Authorization", keys.Header(servicetoken.Gateway, search.ServiceName, servicetoken.Actor{Username: "root", Admin: true}))
	if resp, err := http.DefaultClient.Do(asAdmin); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the gateway acting for an admin: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}
	resp, err := keys.Client(servicetoken.Operator, search.ServiceName, nil).Post(srv.URL+contract.RouteInternalReindex, "", nil)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("reindex: %v %v", resp, err)
	}
	resp.Body.Close()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
