package chartcheck_test

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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
		"movies-redis":       {"auth", "catalog", "gateway"},
		"movies-meilisearch": {"search"},
	}
	wantEgress := map[string][]string{
		"movies-gateway":     {"auth", "catalog", "redis", "search"},
		"movies-catalog":     {"redis", "vtgate"},
		"movies-auth":        {"redis", "vtgate"},
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
			// The admin port's rule admits the monitoring pods only (TestAdminPort).
			if onPort(r.Ports, "admin") {
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

func onPort(ports []networkingv1.NetworkPolicyPort, name string) bool {
	for _, p := range ports {
		if p.Port != nil && p.Port.String() == name {
			return true
		}
	}
	return false
}

// Health, readiness and metrics are served on a port of their own, named admin, on every
// component: probes use it, the Service exposes it, and the NetworkPolicy opens it only to the
// monitoring pods of the monitoring namespace (one peer with both selectors), never the API port
// to them, and never the admin port to anyone else.
func TestAdminPort(t *testing.T) {
	components := []string{"movies-gateway", "movies-catalog", "movies-auth", "movies-search"}
	for name, files := range ciValues(t) {
		t.Run(name, func(t *testing.T) {
			seen := map[string]int{}
			for _, o := range renderObjects(t, files) {
				if !slices.Contains(components, o.Raw.GetName()) {
					continue
				}
				switch v := o.Typed.(type) {
				case *appsv1.Deployment:
					seen[v.Kind]++
					checkAdminContainer(t, v)
				case *corev1.Service:
					seen[v.Kind]++
					if !slices.ContainsFunc(v.Spec.Ports, func(p corev1.ServicePort) bool {
						return p.Name == "admin" && p.TargetPort.String() == "admin"
					}) {
						t.Errorf("Service %s does not expose the admin port", v.Name)
					}
				case *networkingv1.NetworkPolicy:
					seen[v.Kind]++
					checkAdminIngress(t, v)
				}
			}
			for _, kind := range []string{"Deployment", "Service", "NetworkPolicy"} {
				if seen[kind] != len(components) {
					t.Errorf("%d %s objects of the components checked, want %d", seen[kind], kind, len(components))
				}
			}
		})
	}
}

func checkAdminContainer(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	c := d.Spec.Template.Spec.Containers[0]
	var adminPort int32
	for _, p := range c.Ports {
		if p.Name == "admin" {
			adminPort = p.ContainerPort
		}
	}
	if adminPort == 0 {
		t.Errorf("%s: no container port named admin", d.Name)
	}
	for _, e := range c.Env {
		if e.Name == "MOVIES_ADMIN_ADDR" && e.Value != fmt.Sprintf(":%d", adminPort) {
			t.Errorf("%s: MOVIES_ADMIN_ADDR=%q, container port admin %d", d.Name, e.Value, adminPort)
		}
	}
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "MOVIES_ADMIN_ADDR" }) {
		t.Errorf("%s: MOVIES_ADMIN_ADDR not set", d.Name)
	}
	for probe, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.String() != "admin" {
			t.Errorf("%s: the %s probe must use the admin port", d.Name, probe)
		}
	}
}

func checkAdminIngress(t *testing.T, np *networkingv1.NetworkPolicy) {
	t.Helper()
	adminRules := 0
	for _, r := range np.Spec.Ingress {
		if !onPort(r.Ports, "admin") {
			// The gateway's API port is open to networkPolicy.gatewayIngressFrom; an internal
			// service's only to its callers' pods (TestNetworkPolicies), never a namespace.
			for _, from := range r.From {
				if np.Name != "movies-gateway" && from.PodSelector == nil {
					t.Errorf("%s: the API port is open to more than its callers' pods: %+v", np.Name, from)
				}
			}
			continue
		}
		adminRules++
		if len(r.Ports) != 1 {
			t.Errorf("%s: the admin rule opens other ports too: %v", np.Name, r.Ports)
		}
		if len(r.From) != 1 {
			t.Errorf("%s: the admin port must admit exactly one peer (the monitoring pods), got %d", np.Name, len(r.From))
			continue
		}
		ns, pods := r.From[0].NamespaceSelector, r.From[0].PodSelector
		if ns == nil || pods == nil || (len(ns.MatchLabels) == 0 && len(ns.MatchExpressions) == 0) ||
			(len(pods.MatchLabels) == 0 && len(pods.MatchExpressions) == 0) {
			t.Errorf("%s: the admin port is open to more than the monitoring pods: %+v", np.Name, r.From[0])
		}
	}
	if adminRules != 1 {
		t.Errorf("%s: %d ingress rules for the admin port, want 1", np.Name, adminRules)
	}
}
