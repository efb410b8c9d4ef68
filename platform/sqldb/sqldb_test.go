package sqldb_test

import (
	"context"
	"os"
	"testing"

	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

func TestOpenAndMigrateEveryBackend(t *testing.T) {
	migrations := os.DirFS("testdata/migrations")
	for _, b := range sqltest.Backends(t) {
		t.Run(string(b.Driver), func(t *testing.T) {
			ctx := context.Background()
			db := sqltest.Open(t, b)
			for range 2 { // the second run must find nothing to do
				if err := sqldb.Migrate(ctx, db, b.Driver, migrations, "test_schema_migrations"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO things (id, name) VALUES (1, 'x')"); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM test_schema_migrations").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n < 1 {
				t.Fatalf("version table has %d rows", n)
			}
		})
	}
}

func TestParseDriver(t *testing.T) {
	for in, ok := range map[string]bool{"sqlite": true, "MySQL": true, "postgres": false, "": false} {
		if _, err := sqldb.ParseDriver(in); (err == nil) != ok {
			t.Errorf("ParseDriver(%q) error = %v", in, err)
		}
	}
}
