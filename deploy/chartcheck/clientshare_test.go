package chartcheck_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// TestGatewayClientShare: gateway.upstreamClientShare reaches the gateway as
// MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE, auto by default, and 0 (off) is
// rendered as 0, not as the default.
func TestGatewayClientShare(t *testing.T) {
	for _, tc := range []struct {
		values map[string]any
		want   string
	}{
		{nil, "auto"},
		{map[string]any{"gateway": map[string]any{"upstreamClientShare": 0}}, "0"},
		{map[string]any{"gateway": map[string]any{"upstreamClientShare": 8}}, "8"},
	} {
		got, found := "", false
		for _, o := range renderFor(t, nil, tc.values) {
			if d, ok := o.Typed.(*appsv1.Deployment); ok && d.Name == "movies-gateway" {
				for _, e := range d.Spec.Template.Spec.Containers[0].Env {
					if e.Name == "MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE" {
						got, found = e.Value, true
					}
				}
			}
		}
		if !found || got != tc.want {
			t.Errorf("values %v: MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE=%q (set: %v), want %q", tc.values, got, found, tc.want)
		}
	}
}
