package app_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/catalog-svc/cache"
	"github.com/moviesplatform/catalog-svc/catalog/catalogtest"
	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

func TestConfigDefaultsAndNames(t *testing.T) {
	var cfg app.Config
	if err := config.LoadFrom(&cfg, map[string]string{
		"MOVIES_CATALOG_DB_REPLICA_DSNS":       "r1,r2",
		"MOVIES_CATALOG_IMPORT_IF_EMPTY":       "false",
		"MOVIES_CATALOG_REDIS_ADDR":            "redis:6379",
		"MOVIES_CATALOG_REDIS_PASSWORD":        "pw",
		"MOVIES_CATALOG_REDIS_USERNAME":        "catalog",
		"MOVIES_CATALOG_REDIS_TLS_ENABLED":     "true",
		"MOVIES_CATALOG_REDIS_TLS_SERVER_NAME": "redis.internal",
		"MOVIES_CATALOG_CACHE_L1_TTL":          "2s",
	}); err != nil {
		t.Fatal(err)
	}
	wantCache := cache.DefaultConfig()
	wantCache.Redis = config.Redis{Addr: "redis:6379", Username: "catalog", Password: "pw",
		TLS: config.TLS{Enabled: true, ServerName: "redis.internal"}}
	wantCache.L1TTL = 2 * time.Second
	want := app.Config{Addr: ":8081", Identity: servicetoken.Config{TokenTTL: time.Minute}, DBDriver: "sqlite", DBDSN: "file:data/catalog.db",
		ReplicaDSNs: []string{"r1", "r2"}, ReplicaMaxLag: 5 * time.Second, ReplicaCheckInterval: time.Second, ReadStatementTimeout: 3 * time.Second,
		Migrate: true, ImportIfEmpty: false, IdempotencyTTL: 24 * time.Hour, FeedMaxAge: 168 * time.Hour, FeedTrimInterval: time.Minute,
		Cache: wantCache}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config %+v, want %+v", cfg, want)
	}
}

func TestAppServesTheReferenceCatalog(t *testing.T) {
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			ctx := context.Background()
			keyDir, keys := servicetokentest.Files(t, servicetoken.Gateway, servicetoken.Search)
			cfg := app.Config{DBDriver: string(b.Driver), DBDSN: b.DSN(t), Migrate: true, ImportIfEmpty: true,
				Addr: "127.0.0.1:0", Identity: servicetoken.Config{TrustedKeys: keyDir}}
			reg := server.NewRegistry()
			a, err := app.New(ctx, cfg, logging.Discard(), reg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()

			srv := httptest.NewServer(server.WithAdmin(a.Handler, server.AdminOptions{Health: a.Health, Gatherer: reg}))
			defer srv.Close()
			client := keys.ClientAs(catalogtest.CallerOf, "catalog", nil)
			for path, want := range map[string]int{
				"/api/movies/":              200,
				contract.MoviePath(248):     200,
				contract.RouteReadyz:        200,
				contract.RouteMetrics:       200,
				"/internal/changes?after=0": 200,
			} {
				resp, err := client.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("GET %s: %d", path, resp.StatusCode)
				}
				if path == "/api/movies/" && resp.Header.Get(contract.HeaderTotalCount) != "248" {
					t.Errorf("total %q", resp.Header.Get(contract.HeaderTotalCount))
				}
			}
			if n := count(t, reg, "catalog_service_calls_total"); n == 0 {
				t.Error("service calls not counted")
			}
			a.Close()

			// A second start finds the catalog filled and imports nothing;
			// the import command adds only what is new.
			a, err = app.New(ctx, cfg, logging.Discard(), server.NewRegistry(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			file := filepath.Join(t.TempDir(), "more.json")
			if err := os.WriteFile(file, []byte(`[{"99popularity": 1, "imdb_score": 1, "name": "The Wizard of Oz", "director": "Victor Fleming", "genre": []},
				{"99popularity": 2, "imdb_score": 2, "name": "Brand New", "genre": [" Drama"]}]`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := app.Import(ctx, cfg, logging.Discard(), file); err != nil {
				t.Fatal(err)
			}
			if err := app.Import(ctx, cfg, logging.Discard(), ""); err != nil {
				t.Fatal(err)
			}
			p, err := a.Service.List(ctx, contract.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if *p.Total != 249 {
				t.Fatalf("after imports: %d movies", *p.Total)
			}
			if err := app.Migrate(ctx, cfg, logging.Discard()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// count sums the samples of a counter family.
func count(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}
