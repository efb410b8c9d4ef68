package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/catalog-svc/cache"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/redisx/redistest"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// Two catalog-svc pods on one database and one Redis: a write through
// either is read back at once by the writer and, once the invalidation
// message arrives, by the other, whose L1 would otherwise keep the old
// movie for a minute.
func TestTwoPodsShareTheCache(t *testing.T) {
	redis := redistest.RedisAddr(t)
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			ctx := context.Background()
			cfg := app.Config{DBDriver: string(b.Driver), DBDSN: b.DSN(t), Migrate: true, ImportIfEmpty: true,
				Cache: cache.DefaultConfig()}
			cfg.Cache.Redis.Addr, cfg.Cache.Namespace, cfg.Cache.L1TTL = redis, redistest.Namespace(), time.Minute
			var pods []*app.App
			for range 2 {
				reg := server.NewRegistry()
				a, err := app.New(ctx, cfg, logging.Discard(), reg, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { a.Close() })
				pods = append(pods, a)
				if n := count(t, reg, "catalog_cache_lookups_total"); n != 0 {
					t.Fatalf("lookups before any read: %v", n)
				}
			}
			name := func(a *app.App) string {
				m, err := a.Service.Get(ctx, 7)
				if err != nil {
					t.Fatal(err)
				}
				return m.Name
			}
			before := name(pods[0])
			if name(pods[1]) != before {
				t.Fatal("pods disagree before any write")
			}
			renamed := before + " (restored)"
			if _, err := pods[0].Service.Patch(ctx, 7, contract.MovieWrite{Name: &renamed}); err != nil {
				t.Fatal(err)
			}
			if got := name(pods[0]); got != renamed {
				t.Fatalf("writer reads %q", got)
			}
			sqltest.Eventually(t, "the other pod reads the write", func() bool { return name(pods[1]) == renamed })

			srv := httptest.NewServer(server.WithAdmin(http.NotFoundHandler(), server.AdminOptions{Health: pods[0].Health}))
			defer srv.Close()
			resp, err := http.Get(srv.URL + contract.RouteReadyz)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"redis":"closed"`) {
				t.Fatalf("readyz %d %s", resp.StatusCode, body)
			}
		})
	}
}
