package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/catalog-svc/bulkload"
	"github.com/moviesplatform/platform/sqldb"
)

// runBulkload appends the movies of the JSON Lines file at path ("-": stdin)
// to the catalog with the bulk loader, migrating first when cfg.Migrate,
// as the migrate account when MOVIES_CATALOG_DB_MIGRATE_DSN is set.
func runBulkload(ctx context.Context, cfg app.Config, log *slog.Logger, path string) error {
	var src io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("bulkload: %w", err)
		}
		defer f.Close()
		src = f
	}
	driver, err := sqldb.ParseDriver(cfg.DBDriver)
	if err != nil {
		return err
	}
	// The loader drops and rebuilds indexes (DDL): the migrate account's
	// work when the service has one.
	dsn := cmp.Or(cfg.DBMigrateDSN, cfg.DBDSN)
	res, err := bulkload.Load(ctx, bulkload.Target{Driver: driver, DSN: dsn, Migrate: cfg.Migrate}, bulkload.JSONLines(src), bulkload.Options{
		Progress: func(n int64) { log.Info("bulk load", "movies", n) },
	})
	if err != nil {
		return err
	}
	log.Info("bulk load done", "movies", res.Movies, "first_id", res.FirstID, "last_id", res.LastID,
		"elapsed", res.Elapsed.String(), "movies_per_s", int(res.Rate()))
	return nil
}
