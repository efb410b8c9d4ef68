package chartcheck_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/moviesplatform/deploy/chartcheck"
)

var components = []string{"gateway", "catalog", "auth", "search"}

func renderFor(t *testing.T, apis []string, values map[string]any) []chartcheck.Object {
	t.Helper()
	manifests, err := chartcheck.RenderFor(chartDir, chartcheck.ReleaseName, chartcheck.Namespace, apis, values)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	objs, err := chartcheck.DecodeStrict(chartcheck.NewScheme(), manifests)
	if err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	return objs
}

func countKinds(objs []chartcheck.Object) map[string]int {
	out := map[string]int{}
	for _, o := range objs {
		out[o.GVK.Kind]++
	}
	return out
}

// ServiceMonitors scrape the admin port and name the job the rules and dashboards select on.
func TestServiceMonitorsScrapeTheAdminPort(t *testing.T) {
	// What the rules and dashboards select on, to find each job in.
	selectors := ""
	generated, _ := filepath.Glob(filepath.Join(chartDir, "files", "dashboards", "*.json"))
	for _, f := range append(generated, filepath.Join(chartDir, "files", "prometheus", "movies-rules.yaml")) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		selectors += strings.ReplaceAll(string(data), `\"`, `"`)
	}
	objs := renderObjects(t, nil)
	services := map[string]*corev1.Service{}
	for _, o := range objs {
		if s, ok := o.Typed.(*corev1.Service); ok {
			services[s.Name] = s
		}
	}
	seen := 0
	for _, o := range objs {
		sm, ok := o.Typed.(*monitoringv1.ServiceMonitor)
		if !ok {
			continue
		}
		seen++
		component := sm.Spec.Selector.MatchLabels["app.kubernetes.io/component"]
		if len(sm.Spec.Endpoints) != 1 {
			t.Fatalf("%s: %d endpoints, want 1", sm.Name, len(sm.Spec.Endpoints))
		}
		ep := sm.Spec.Endpoints[0]
		if ep.Port != "admin" || ep.Path != "/metrics" {
			t.Errorf("%s: scrapes port %q path %q, want admin /metrics", sm.Name, ep.Port, ep.Path)
		}
		job := ""
		for _, r := range ep.RelabelConfigs {
			if r.TargetLabel == "job" && r.Replacement != nil {
				job = *r.Replacement
			}
		}
		if job != "movies-"+component {
			t.Errorf("%s: job relabelled to %q, want movies-%s", sm.Name, job, component)
		}
		if !strings.Contains(selectors, `job="`+job+`"`) {
			t.Errorf("%s: no rule or dashboard selects job %q", sm.Name, job)
		}
		svc := services[sm.Name]
		if svc == nil {
			t.Errorf("%s: no Service of that name", sm.Name)
			continue
		}
		hasAdmin := false
		for _, p := range svc.Spec.Ports {
			hasAdmin = hasAdmin || p.Name == ep.Port
		}
		if !hasAdmin {
			t.Errorf("%s: Service has no port %q to scrape", svc.Name, ep.Port)
		}
	}
	if seen != len(components) {
		t.Errorf("%d ServiceMonitors, want %d", seen, len(components))
	}
}

// `helm template` and Argo CD cannot see the cluster's APIs: "auto" renders nothing there,
// true renders anyway, false never.
func TestMonitoringSwitches(t *testing.T) {
	for _, tc := range []struct {
		name    string
		apis    []string
		enabled any
		want    int
	}{
		{"auto on a cluster with the operator", chartcheck.ClusterAPIVersions, "auto", 1},
		{"auto under helm template", nil, "auto", 0},
		{"true under helm template", nil, true, 1},
		{"false on a cluster with the operator", chartcheck.ClusterAPIVersions, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			values := map[string]any{
				"serviceMonitor": map[string]any{"enabled": tc.enabled},
				"prometheusRule": map[string]any{"enabled": tc.enabled},
			}
			kinds := countKinds(renderFor(t, tc.apis, values))
			if kinds["ServiceMonitor"] != tc.want*len(components) || kinds["PrometheusRule"] != tc.want {
				t.Errorf("%d ServiceMonitors and %d PrometheusRules, want %d and %d",
					kinds["ServiceMonitor"], kinds["PrometheusRule"], tc.want*len(components), tc.want)
			}
		})
	}
}

// The PrometheusRule carries every group of the generated rule file, verbatim.
func TestPrometheusRuleIsTheGeneratedFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "files", "prometheus", "movies-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		t.Fatalf("rule file: %v", err)
	}
	for _, o := range renderObjects(t, ciValues(t)["all-on"]) {
		pr, ok := o.Typed.(*monitoringv1.PrometheusRule)
		if !ok {
			continue
		}
		if pr.Labels["release"] != "prometheus" {
			t.Errorf("PrometheusRule labels %v lack prometheusRule.labels", pr.Labels)
		}
		got, _ := json.Marshal(pr.Spec)
		want, _ := json.Marshal(file)
		if string(got) != string(want) {
			t.Errorf("PrometheusRule spec differs from files/prometheus/movies-rules.yaml")
		}
		alerts := 0
		for _, g := range pr.Spec.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" {
					alerts++
					if r.Annotations["runbook_url"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
						t.Errorf("alert %s lacks summary, description or runbook_url", r.Alert)
					}
				}
			}
		}
		if alerts == 0 {
			t.Error("PrometheusRule has no alerts")
		}
		return
	}
	t.Fatal("no PrometheusRule rendered")
}

// Each dashboard is a ConfigMap the Grafana sidecar picks up, holding the generated JSON.
func TestDashboardConfigMaps(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(chartDir, "files", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards under files/dashboards (err=%v)", err)
	}
	want := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want[filepath.Base(f)] = string(data)
	}
	got := map[string]bool{}
	for _, o := range renderObjects(t, nil) {
		cm, ok := o.Typed.(*corev1.ConfigMap)
		if !ok || cm.Labels["grafana_dashboard"] == "" {
			continue
		}
		if cm.Labels["grafana_dashboard"] != "1" || cm.Annotations["grafana_folder"] != "Movies" {
			t.Errorf("%s: labels %v annotations %v, want grafana_dashboard: \"1\" and grafana_folder", cm.Name, cm.Labels, cm.Annotations)
		}
		for key, body := range cm.Data {
			if strings.TrimRight(want[key], "\n") != strings.TrimRight(body, "\n") {
				t.Errorf("%s: %s differs from files/dashboards/%s", cm.Name, key, key)
			}
			var d struct {
				UID   string `json:"uid"`
				Title string `json:"title"`
			}
			if err := json.Unmarshal([]byte(body), &d); err != nil || d.UID == "" {
				t.Errorf("%s: %s is not a dashboard with a uid: %v", cm.Name, key, err)
			}
			got[key] = true
		}
	}
	for key := range want {
		if !got[key] {
			t.Errorf("dashboard %s is not shipped in a ConfigMap", key)
		}
	}
	for _, o := range renderFor(t, chartcheck.ClusterAPIVersions, map[string]any{"grafanaDashboards": map[string]any{"namespace": "monitoring"}}) {
		if o.GVK.Kind == "ConfigMap" && o.Raw.GetLabels()["grafana_dashboard"] != "" && o.Raw.GetNamespace() != "monitoring" {
			t.Errorf("grafanaDashboards.namespace=monitoring: %s is in %q", o.Raw.GetName(), o.Raw.GetNamespace())
		}
	}
	off := renderFor(t, chartcheck.ClusterAPIVersions, map[string]any{"grafanaDashboards": map[string]any{"enabled": false}})
	for _, o := range off {
		if o.GVK.Kind == "ConfigMap" && o.Raw.GetLabels()["grafana_dashboard"] != "" {
			t.Errorf("grafanaDashboards.enabled=false still renders %s", o.Raw.GetName())
		}
	}
}

// The HPA's requests/s metric is the one the prometheus-adapter rule serves, computed from a
// counter the services really export.
func TestCustomMetricIsServedByTheAdapterRule(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "files", "prometheus-adapter", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var adapter struct {
		Rules struct {
			Custom []struct {
				SeriesQuery string `json:"seriesQuery"`
				Name        struct {
					As string `json:"as"`
				} `json:"name"`
			} `json:"custom"`
		} `json:"rules"`
	}
	if err := yaml.Unmarshal(data, &adapter); err != nil {
		t.Fatal(err)
	}
	served := map[string]string{}
	for _, r := range adapter.Rules.Custom {
		served[r.Name.As] = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`).FindString(r.SeriesQuery)
	}
	source, err := os.ReadFile("../../platform/httpx/middleware.go")
	if err != nil {
		t.Fatal(err)
	}
	hpas := 0
	for _, o := range renderObjects(t, ciValues(t)["all-on"]) {
		hpa, ok := o.Typed.(*autoscalingv2.HorizontalPodAutoscaler)
		if !ok {
			continue
		}
		for _, m := range hpa.Spec.Metrics {
			if m.Type != autoscalingv2.PodsMetricSourceType {
				continue
			}
			hpas++
			series, ok := served[m.Pods.Metric.Name]
			if !ok {
				t.Errorf("%s scales on %q, which the prometheus-adapter rules do not serve (%v)", hpa.Name, m.Pods.Metric.Name, served)
				continue
			}
			if !strings.Contains(string(source), `"`+series+`"`) {
				t.Errorf("the adapter computes %q from %q, which platform/httpx does not export", m.Pods.Metric.Name, series)
			}
		}
	}
	if hpas == 0 {
		t.Error("no HPA with a Pods metric in ci/all-on")
	}
}
