package chartcheck_test

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/moviesplatform/deploy/chartcheck"
)

// Every pod names itself in its spans' resource through the downward API; the OTLP exporter is
// configured only when tracing.endpoint is set, and then each component's NetworkPolicy lets it
// reach the collector on the endpoint's port (the chart once pointed traces at an endpoint its
// own NetworkPolicy blocked).
func TestTracingValues(t *testing.T) {
	cases := []struct {
		name    string
		tracing map[string]any
		// want: the OTEL_* exporter settings, nil when tracing is off.
		want map[string]string
		port int32
		peer bool
	}{
		{name: "off by default"},
		{
			name:    "http/protobuf to a collector's pods",
			tracing: map[string]any{"endpoint": "http://otel-collector.monitoring:4318", "egressTo": []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"app": "otel-collector"}}}}},
			want: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.monitoring:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
				"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
			port: 4318, peer: true,
		},
		{
			name:    "grpc over https, the scheme's port",
			tracing: map[string]any{"endpoint": "https://tempo.example.com", "protocol": "grpc", "sampler": "always_on", "samplerArg": "1"},
			want: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://tempo.example.com", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
				"OTEL_TRACES_SAMPLER": "always_on", "OTEL_TRACES_SAMPLER_ARG": "1"},
			port: 443,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			values := map[string]any{}
			if c.tracing != nil {
				values["tracing"] = c.tracing
			}
			objs := renderFor(t, chartcheck.ClusterAPIVersions, values)
			deployments, policies := 0, 0
			for _, o := range objs {
				switch v := o.Typed.(type) {
				case *appsv1.Deployment:
					if !isComponent(v.Labels) {
						continue
					}
					deployments++
					checkTracingEnv(t, v.Name, v.Spec.Template.Spec.Containers[0].Env, c.want)
				case *networkingv1.NetworkPolicy:
					if !isComponent(v.Labels) {
						continue
					}
					policies++
					checkCollectorEgress(t, v, c.port, c.peer)
				}
			}
			if deployments != len(components) || policies != len(components) {
				t.Errorf("%d deployments and %d network policies of the components, want %d each", deployments, policies, len(components))
			}
		})
	}
}

func isComponent(labels map[string]string) bool {
	for _, c := range components {
		if labels[componentLabel] == c {
			return true
		}
	}
	return false
}

func checkTracingEnv(t *testing.T, name string, env []corev1.EnvVar, want map[string]string) {
	t.Helper()
	byName := map[string]corev1.EnvVar{}
	for _, e := range env {
		byName[e.Name] = e
	}
	for v, field := range map[string]string{"K8S_POD_NAME": "metadata.name", "K8S_NAMESPACE_NAME": "metadata.namespace"} {
		e := byName[v]
		if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != field {
			t.Errorf("%s: %s is not the downward API's %s: %+v", name, v, field, e)
		}
	}
	if got := byName["OTEL_RESOURCE_ATTRIBUTES"].Value; got != "k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME)" {
		t.Errorf("%s: OTEL_RESOURCE_ATTRIBUTES = %q", name, got)
	}
	for k, e := range byName {
		if strings.HasPrefix(k, "OTEL_") && k != "OTEL_RESOURCE_ATTRIBUTES" && want[k] == "" {
			t.Errorf("%s: %s=%q set with tracing off", name, k, e.Value)
		}
	}
	for k, v := range want {
		if byName[k].Value != v {
			t.Errorf("%s: %s = %q, want %q", name, k, byName[k].Value, v)
		}
	}
}

// checkCollectorEgress: an egress rule on port (none when 0), to the configured peer or to any
// address.
func checkCollectorEgress(t *testing.T, np *networkingv1.NetworkPolicy, port int32, peer bool) {
	t.Helper()
	found := false
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			if p.Port == nil || p.Port.IntVal != port || port == 0 {
				continue
			}
			found = true
			if peer != (len(r.To) == 1 && r.To[0].PodSelector != nil) {
				t.Errorf("%s: egress to the collector %v, want the configured peer: %v", np.Name, r.To, peer)
			}
		}
	}
	if found != (port != 0) {
		t.Errorf("%s: egress on the collector's port %d: %v, want %v", np.Name, port, found, port != 0)
	}
}
