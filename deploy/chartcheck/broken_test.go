package chartcheck_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/moviesplatform/deploy/chartcheck"
)

// Broken values must stop an install before anything reaches a cluster, with a message that
// names the problem.
func TestBrokenValuesAreRejected(t *testing.T) {
	// Helm runs templates in lint mode, where fail() only logs, so lint catches schema errors
	// and rendering (helm install/template/upgrade) catches the cross-field rules.
	cases := map[string]struct {
		want        string
		lintCatches bool
	}{
		"unknown-key":             {"replica", true},
		"hpa-min-gt-max":          {"minReplicas (10) must not exceed maxReplicas (3)", false},
		"bad-port":                {"port", true},
		"external-without-secret": {"existingSecret", false},
		"pool-over-connections":   {"MySQL connections at full scale (catalog 20 pods x 2 pools x 10 + auth 10 pods x 1 pools x 2 = 420) exceed database.maxConnections (151)", false},
		// The admin port's only opening must stay narrow: {} is every namespace (or pod).
		"monitoring-every-namespace":      {"namespaceSelector", true},
		"monitoring-without-pod-selector": {"podSelector", true},
		// Client addresses and limits: a host name is no proxy address; a limit is positive.
		"trusted-proxy-not-a-cidr":    {"trustedProxies", true},
		"trusted-proxy-hops-negative": {"trustedProxyHops", true},
		"trusted-proxies-and-hops":    {"trustedProxies and gateway.trustedProxyHops are both set", false},
		"rate-limit-zero":             {"anonymous", true},
		// A client's share of the calls in flight is auto or a number.
		"client-share-not-a-number": {"upstreamClientShare", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			values, err := chartcheck.ReadValues(filepath.Join("testdata", "broken", name+"-values.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = chartcheck.Render(chartDir, values)
			if err == nil {
				t.Fatal("render accepted broken values")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("render error does not mention %q: %v", tc.want, err)
			}
			if err := chartcheck.Lint(chartDir, values); tc.lintCatches && err == nil {
				t.Error("helm lint --strict accepted broken values")
			}
		})
	}
}
