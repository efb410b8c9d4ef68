package chartcheck_test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestServiceKeys: each pod mounts from the service-keys Secret only what
// it needs (its own private key if it calls a service, the trusted public
// keys if it serves one), points its settings at them, and the chart
// itself holds no key.
func TestServiceKeys(t *testing.T) {
	want := map[string][]string{
		"movies-gateway": {"identity/gateway.key", "cursor/cursor.key"},
		"movies-catalog": {"trusted/gateway.pub", "trusted/search.pub", "trusted/operator.pub"},
		"movies-auth":    {"trusted/gateway.pub", "trusted/search.pub", "trusted/operator.pub"},
		"movies-search":  {"identity/search.key", "trusted/gateway.pub", "trusted/search.pub", "trusted/operator.pub"},
	}
	seen := 0
	for _, o := range renderObjects(t, nil) {
		if s, ok := o.Typed.(*corev1.Secret); ok {
			for k := range s.Data {
				if strings.HasSuffix(k, ".key") {
					t.Errorf("Secret %s holds a private key %s: the chart must not make service keys", s.Name, k)
				}
			}
		}
		d, ok := o.Typed.(*appsv1.Deployment)
		if !ok || want[d.Name] == nil {
			continue
		}
		seen++
		spec := d.Spec.Template.Spec
		var paths []string
		for _, v := range spec.Volumes {
			if v.Name != "service-keys" {
				continue
			}
			if v.Secret == nil || v.Secret.SecretName != "movies-service-keys" {
				t.Errorf("%s: service-keys is not the movies-service-keys Secret", d.Name)
				continue
			}
			for _, it := range v.Secret.Items {
				paths = append(paths, it.Path)
				if it.Key != it.Path[strings.Index(it.Path, "/")+1:] {
					t.Errorf("%s: %s mounted as %s", d.Name, it.Key, it.Path)
				}
			}
		}
		if !slices.Equal(paths, want[d.Name]) {
			t.Errorf("%s mounts %v, want %v", d.Name, paths, want[d.Name])
		}
		env := map[string]string{}
		for _, e := range spec.Containers[0].Env {
			env[e.Name] = e.Value
		}
		for name, value := range env {
			if (strings.Contains(name, "SERVICE_KEY_FILE") || strings.Contains(name, "CURSOR_KEY_FILE")) && !slices.Contains(paths, strings.TrimPrefix(value, "/etc/movies/service-keys/")) ||
				strings.Contains(name, "SERVICE_TRUSTED_KEYS") && value != "/etc/movies/service-keys/trusted" {
				t.Errorf("%s: %s=%s does not point at its mounted keys", d.Name, name, value)
			}
		}
	}
	if seen != len(want) {
		t.Fatalf("saw %d of the %d service Deployments", seen, len(want))
	}
}
