package chartcheck_test

import (
	"maps"
	"slices"
	"sort"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

const componentLabel = "app.kubernetes.io/component"

// peers lists the components (or vtgate) named by pod selectors in a set of rules; "*" stands
// for a rule open to any source.
func peers(rules [][]networkingv1.NetworkPolicyPeer) []string {
	set := map[string]bool{}
	for _, from := range rules {
		if len(from) == 0 {
			set["*"] = true
		}
		for _, p := range from {
			if p.PodSelector == nil {
				continue
			}
			if c, ok := p.PodSelector.MatchLabels[componentLabel]; ok {
				set[c] = true
			}
			if c, ok := p.PodSelector.MatchLabels["planetscale.com/component"]; ok {
				set[c] = true
			}
		}
	}
	out := slices.Collect(maps.Keys(set))
	sort.Strings(out)
	return out
}

// Only the gateway is reachable from outside; each service accepts only its callers and
// reaches only what it needs.
func TestNetworkPolicies(t *testing.T) {
	wantIngress := map[string][]string{
		"movies-gateway":     {"*"},
		"movies-catalog":     {"gateway", "search"},
		"movies-auth":        {"gateway"},
		"movies-search":      {"gateway"},
		"movies-redis":       {"catalog", "gateway"},
		"movies-meilisearch": {"search"},
	}
	wantEgress := map[string][]string{
		"movies-gateway":     {"auth", "catalog", "redis", "search"},
		"movies-catalog":     {"redis", "vtgate"},
		"movies-auth":        {"vtgate"},
		"movies-search":      {"catalog", "meilisearch"},
		"movies-redis":       {},
		"movies-meilisearch": {},
	}
	seen := map[string]bool{}
	for _, o := range renderObjects(t, nil) {
		np, ok := o.Typed.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		seen[np.Name] = true
		var in, out [][]networkingv1.NetworkPolicyPeer
		for _, r := range np.Spec.Ingress {
			// The metrics rule admits Prometheus' namespace only.
			if len(r.From) == 1 && r.From[0].NamespaceSelector != nil && r.From[0].PodSelector == nil {
				continue
			}
			in = append(in, r.From)
		}
		for _, r := range np.Spec.Egress {
			if len(r.To) == 1 && r.To[0].NamespaceSelector != nil {
				continue // DNS
			}
			out = append(out, r.To)
		}
		if got := peers(in); !slices.Equal(got, wantIngress[np.Name]) {
			t.Errorf("%s ingress from %v, want %v", np.Name, got, wantIngress[np.Name])
		}
		if got := peers(out); !slices.Equal(got, wantEgress[np.Name]) {
			t.Errorf("%s egress to %v, want %v", np.Name, got, wantEgress[np.Name])
		}
		if len(np.Spec.PolicyTypes) != 2 {
			t.Errorf("%s must police both ingress and egress", np.Name)
		}
	}
	for name := range wantIngress {
		if !seen[name] {
			t.Errorf("NetworkPolicy %s not rendered", name)
		}
	}
}
