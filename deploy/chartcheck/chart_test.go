package chartcheck_test

import (
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/moviesplatform/deploy/chartcheck"
)

const chartDir = "../../charts/movies"

// ciValues lists the chart's ci/*-values.yaml variants; an empty file list is a test failure so
// a moved directory cannot silently skip every check.
func ciValues(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ci values files under %s (err=%v)", chartDir, err)
	}
	out := map[string][]string{"defaults": nil}
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), "-values.yaml")] = []string{f}
	}
	for _, want := range []string{"minimal", "vitess", "external", "all-on"} {
		if _, ok := out[want]; !ok {
			t.Errorf("ci/%s-values.yaml is missing", want)
		}
	}
	return out
}

func renderObjects(t *testing.T, files []string) []chartcheck.Object {
	t.Helper()
	values, err := chartcheck.ReadValues(files...)
	if err != nil {
		t.Fatal(err)
	}
	return renderFor(t, chartcheck.ClusterAPIVersions, values)
}

func TestLintStrict(t *testing.T) {
	for name, files := range ciValues(t) {
		t.Run(name, func(t *testing.T) {
			values, err := chartcheck.ReadValues(files...)
			if err != nil {
				t.Fatal(err)
			}
			if err := chartcheck.Lint(chartDir, values); err != nil {
				t.Fatalf("helm lint --strict: %v", err)
			}
		})
	}
}

func TestRenderDecodesStrictly(t *testing.T) {
	for name, files := range ciValues(t) {
		t.Run(name, func(t *testing.T) {
			objs := renderObjects(t, files)
			untyped := 0
			for _, o := range objs {
				if o.Typed == nil {
					untyped++
					if o.GVK.Kind != "VitessCluster" {
						t.Errorf("%s %s has no Go type to check it against", o.Source, o.GVK)
					}
				}
				checkPodSecurity(t, o)
			}
			if len(objs) == 0 {
				t.Fatal("rendered nothing")
			}
		})
	}
}

// checkPodSecurity holds every workload to the restricted Pod Security Standard.
func checkPodSecurity(t *testing.T, o chartcheck.Object) {
	t.Helper()
	var spec *corev1.PodSpec
	switch v := o.Typed.(type) {
	case *appsv1.Deployment:
		spec = &v.Spec.Template.Spec
	case *appsv1.StatefulSet:
		spec = &v.Spec.Template.Spec
	case *corev1.Pod:
		spec = &v.Spec
	default:
		return
	}
	name := o.Raw.GetName()
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil {
		t.Errorf("%s: pod must run as non-root with a seccomp profile", name)
	}
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
			t.Errorf("%s/%s: container must have a read-only root, no privilege escalation, drop ALL", name, c.Name)
		}
		if c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s/%s: no memory limit", name, c.Name)
		}
	}
}

func TestEveryServiceHasProbesHPAAndPDB(t *testing.T) {
	objs := renderObjects(t, nil)
	kinds := map[string]map[string]bool{}
	for _, o := range objs {
		if kinds[o.GVK.Kind] == nil {
			kinds[o.GVK.Kind] = map[string]bool{}
		}
		kinds[o.GVK.Kind][o.Raw.GetName()] = true
		switch v := o.Typed.(type) {
		case *appsv1.Deployment:
			c := v.Spec.Template.Spec.Containers[0]
			if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" || c.StartupProbe == nil {
				t.Errorf("%s: probes must be /readyz, /healthz and a startup probe", v.Name)
			}
			if v.Spec.Replicas != nil {
				t.Errorf("%s: replicas must be left to the HPA when autoscaling is on", v.Name)
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			if v.Spec.MinReplicas == nil || *v.Spec.MinReplicas > v.Spec.MaxReplicas {
				t.Errorf("%s: bad replica bounds", v.Name)
			}
		}
	}
	for _, c := range []string{"gateway", "catalog", "auth", "search"} {
		name := "movies-" + c
		for _, kind := range []string{"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor"} {
			if !kinds[kind][name] {
				t.Errorf("%s %s not rendered", kind, name)
			}
		}
	}
	for _, job := range []string{"movies-migrate-catalog", "movies-migrate-auth", "movies-seed-catalog", "movies-vschema"} {
		if !kinds["Job"][job] {
			t.Errorf("hook Job %s not rendered", job)
		}
	}
}

func TestCustomMetricHPA(t *testing.T) {
	files := ciValues(t)["all-on"]
	for _, o := range renderObjects(t, files) {
		hpa, ok := o.Typed.(*autoscalingv2.HorizontalPodAutoscaler)
		if !ok || hpa.Name != "movies-gateway" {
			continue
		}
		for _, m := range hpa.Spec.Metrics {
			if m.Type == autoscalingv2.PodsMetricSourceType && m.Pods.Metric.Name == "http_server_requests_per_second" {
				return
			}
		}
		t.Fatalf("gateway HPA lacks the requests/s metric: %+v", hpa.Spec.Metrics)
	}
	t.Fatal("gateway HPA not rendered")
}

func TestVitessClusterMatchesOperatorCRD(t *testing.T) {
	path, err := chartcheck.VitessOperatorYAML()
	if err != nil {
		t.Fatal(err)
	}
	crds, err := chartcheck.ReadCRDs(path)
	if err != nil {
		t.Fatal(err)
	}
	var crd = findCRD(crds, "vitessclusters.planetscale.com")
	if crd == nil {
		t.Fatalf("%s has no VitessCluster CRD", path)
	}
	for name, files := range ciValues(t) {
		t.Run(name, func(t *testing.T) {
			found := false
			for _, o := range renderObjects(t, files) {
				if o.GVK.Kind != "VitessCluster" {
					continue
				}
				found = true
				if err := chartcheck.ValidateCustomResource(crd, o.Raw); err != nil {
					t.Errorf("VitessCluster %s: %v", o.Raw.GetName(), err)
				}
				// Prove the check bites: a misspelt field must be refused.
				bad := o.Raw.DeepCopy()
				_ = unstructuredSet(bad.Object, "spec", "gatewy")
				if chartcheck.ValidateCustomResource(crd, bad) == nil {
					t.Error("an unknown VitessCluster field passed the CRD check")
				}
			}
			if name == "vitess" && !found {
				t.Error("vitess values rendered no VitessCluster")
			}
		})
	}
}
