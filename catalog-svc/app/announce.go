package app

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/catalog-svc/cache"
)

// announceImport tells the running pods' caches that movies were added
// behind the service: every list page is dropped at once. Details need
// nothing: an import only adds movies, and a "not found" cached for a new
// id expires within the negative TTL.
func announceImport(ctx context.Context, cfg Config, log *slog.Logger) {
	if !cfg.Cache.Enabled || cfg.Cache.Redis.Addr == "" {
		return
	}
	c, err := cache.New(cfg.Cache, log, prometheus.NewRegistry())
	if err != nil {
		log.Error("import: cannot tell the pods' caches", "err", err)
		return
	}
	c.InvalidateAll(ctx)
	c.Close()
}
