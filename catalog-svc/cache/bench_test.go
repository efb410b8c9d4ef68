package cache

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/importer"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// BenchmarkGet reads the reference movies round-robin through the catalog
// service with its logging and metrics, on each database, with no cache,
// the L1 alone, Redis alone (L1 off) and both:
//
//	MOVIES_TEST_REDIS_ADDR=127.0.0.1:6379 MOVIES_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/' \
//	  go test ./cache -run '^$' -bench Get -benchmem
func BenchmarkGet(b *testing.B) {
	addr := redisAddr(b)
	for _, backend := range sqltest.Backends(b) {
		db := sqltest.Open(b, backend)
		if err := store.Migrate(context.Background(), db, backend.Driver); err != nil {
			b.Fatal(err)
		}
		s, err := store.New(db, backend.Driver)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := importer.Import(context.Background(), importer.ReferenceDataset(), s, importer.DefaultBatchSize); err != nil {
			b.Fatal(err)
		}
		levels := map[string]func(*Config){
			"l1":       func(c *Config) { c.Redis.Addr = "" },
			"redis":    func(c *Config) { c.L1Size = 0 },
			"l1+redis": func(*Config) {},
		}
		b.Run(string(backend.Driver)+"/uncached", func(b *testing.B) { benchGet(b, catalogOn(s)) })
		for _, level := range []string{"l1", "redis", "l1+redis"} {
			b.Run(string(backend.Driver)+"/"+level, func(b *testing.B) {
				cfg := testConfig(b, addr)
				cfg.Timeout = DefaultConfig().Timeout
				levels[level](&cfg)
				c, err := New(cfg, logging.Discard(), prometheus.NewRegistry())
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				benchGet(b, catalogOn(c.Store(s)))
			})
		}
	}
}

func catalogOn(s catalog.Store) catalog.Service {
	return catalog.New(s, catalog.Options{}, endpointmw.Standard(catalog.ServiceName, endpointmw.Observers{
		Log: logging.Discard(), Metrics: prometheus.NewRegistry(),
	})...).Service()
}

func benchGet(b *testing.B, svc catalog.Service) {
	ctx := context.Background()
	// Warm every level, so the figures are of hits.
	for id := int64(1); id <= 248; id++ {
		if _, err := svc.Get(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var id int64
	for b.Loop() {
		id = id%248 + 1
		if _, err := svc.Get(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
