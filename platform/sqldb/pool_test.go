package sqldb_test

import (
	"testing"

	"github.com/moviesplatform/platform/sqldb"
)

// The chart sizes max_connections from this cap (docs/kubernetes.md), so the pool must really
// stop at it; OpenReplicas builds the pool without dialling, so no server is needed.
func TestWithMaxOpenConnsCapsMySQLPools(t *testing.T) {
	for name, tc := range map[string]struct {
		opts []sqldb.Option
		want int
	}{
		"default":         {nil, 64},
		"capped":          {[]sqldb.Option{sqldb.WithMaxOpenConns(3)}, 3},
		"zero is default": {[]sqldb.Option{sqldb.WithMaxOpenConns(0)}, 64},
	} {
		t.Run(name, func(t *testing.T) {
			rs, err := sqldb.OpenReplicas(sqldb.MySQL, []string{"u:p@tcp(127.0.0.1:1)/db"}, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer rs[0].DB.Close()
			if got := rs[0].DB.Stats().MaxOpenConnections; got != tc.want {
				t.Fatalf("MaxOpenConnections = %d, want %d", got, tc.want)
			}
		})
	}
}
