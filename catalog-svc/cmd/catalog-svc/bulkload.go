package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/moviesplatform/catalog-svc/app"
	"github.com/moviesplatform/catalog-svc/bulk"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/sqldb"
)

// bulkload appends the movies of the JSON Lines file at path ("-": stdin)
// to the catalog with the bulk loader, migrating first when cfg.Migrate.
func bulkload(ctx context.Context, cfg app.Config, log *slog.Logger, path string) error {
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
	db, err := sqldb.Open(ctx, driver, bulk.LongStatementsDSN(driver, cfg.DBDSN))
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Migrate {
		if err := store.Migrate(ctx, db, driver); err != nil {
			return err
		}
	}
	res, err := bulk.Load(ctx, db, driver, bulk.JSONLines(src), bulk.Options{
		Progress: func(n int64) { log.Info("bulk load", "movies", n) },
	})
	if err != nil {
		return err
	}
	log.Info("bulk load done", "movies", res.Movies, "first_id", res.FirstID, "last_id", res.LastID,
		"elapsed", res.Elapsed.String(), "movies_per_s", int(res.Rate()))
	return nil
}
