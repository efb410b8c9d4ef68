package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/catalog-svc/store"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// A database the store cannot reach any more (its connections cut, new
// ones refused) makes reads and writes fail with the catalog's 503, never
// an unclassified error (a 500); a write's own deadline stays a deadline.
func TestLostDatabaseIsUnavailable(t *testing.T) {
	direct := sqltest.MySQL(t)
	ctx := context.Background()
	proxy := sqltest.NewProxy(t, mysqlAddr(t, direct))
	db, err := sqldb.Open(ctx, sqldb.MySQL, proxy.DSN(t, direct))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db, sqldb.MySQL); err != nil {
		t.Fatal(err)
	}
	s, err := store.New(db, sqldb.MySQL)
	if err != nil {
		t.Fatal(err)
	}
	m := mustCreate(t, s, movie("Lost Connection", "D", 1, 1))

	proxy.Cut()
	_, getErr := s.Get(ctx, m.ID)
	_, createErr := s.Create(ctx, movie("Never Stored", "D", 1, 1), "tester")
	for what, err := range map[string]error{"get": getErr, "create": createErr} {
		if !errors.Is(err, catalog.ErrDatabaseUnavailable) || apierr.KindOf(err) != apierr.Unavailable {
			t.Errorf("%s with the database cut: %v, want ErrDatabaseUnavailable", what, err)
		}
	}

	proxy.Restore(t)
	expired, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Create(expired, movie("Never Stored", "D", 1, 1), "tester"); errors.Is(err, catalog.ErrDatabaseUnavailable) {
		t.Errorf("a canceled create reads as a lost database: %v", err)
	}
}

func mysqlAddr(t *testing.T, dsn string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Addr
}
