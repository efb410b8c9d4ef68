package chartcheck_test

import (
	"strings"
	"testing"

	"github.com/moviesplatform/deploy/chartcheck"
)

// The defaults must fit MySQL's default max_connections, and the limit must follow HPA-off
// replicas too: a check that only read maxReplicas would pass a fleet it never counts.
func TestConnectionBudget(t *testing.T) {
	cases := map[string]struct {
		values map[string]any
		want   string // empty: renders
	}{
		"defaults": {values: map[string]any{}},
		"replicas without HPA count": {
			values: map[string]any{"auth": map[string]any{"replicas": 60, "autoscaling": map[string]any{"enabled": false}}},
			want:   "auth 60 pods x 1 pools x 2",
		},
		"external counts the catalog's primary pool only": {
			values: map[string]any{
				"catalog":  map[string]any{"dbMaxOpenConnections": 6},
				"database": map[string]any{"mode": "external", "external": map[string]any{"existingSecret": "db"}},
			},
		},
		"raised limit accepts bigger pools": {
			values: map[string]any{"catalog": map[string]any{"dbMaxOpenConnections": 64}, "auth": map[string]any{"dbMaxOpenConnections": 64},
				"database": map[string]any{"maxConnections": 20*2*64 + 10*64}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := chartcheck.Render(chartDir, tc.values)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("render refused: %v", err)
			case tc.want != "" && err == nil:
				t.Fatal("render accepted a fleet over database.maxConnections")
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error does not say %q: %v", tc.want, err)
			}
		})
	}
}
