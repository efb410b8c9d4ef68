package tiltcheck_test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/moviesplatform/deploy/tiltcheck"
)

const repoRoot = "../.."

// workloads maps the names Tilt gives workloads to the images their containers run.
func workloads(r *tiltcheck.Result) map[string][]string {
	out := map[string][]string{}
	add := func(name string, spec corev1.PodSpec) {
		for _, c := range spec.Containers {
			out[name] = append(out[name], c.Image)
		}
	}
	for _, o := range r.Objects {
		switch v := o.Typed.(type) {
		case *appsv1.Deployment:
			add(v.Name, v.Spec.Template.Spec)
		case *appsv1.StatefulSet:
			add(v.Name, v.Spec.Template.Spec)
		case *batchv1.Job:
			add(v.Name, v.Spec.Template.Spec)
		}
	}
	return out
}

func TestTiltfileDeploysTheChart(t *testing.T) {
	r, err := tiltcheck.Run(repoRoot, nil)
	if err != nil {
		t.Fatalf("evaluating the Tiltfile: %v", err)
	}
	if !slices.Equal(r.HelmCalls, []string{"charts/movies"}) {
		t.Errorf("helm() calls = %v, want the real chart once", r.HelmCalls)
	}
	if r.Enabled != nil {
		t.Errorf("plain `tilt up` must enable everything, got %v", r.Enabled)
	}

	wl := workloads(r)
	names := map[string]bool{}
	labels := map[string]bool{}
	for _, res := range r.Resources {
		names[res.Name] = true
		for _, l := range res.Labels {
			labels[l] = true
		}
		if res.Workload != "" {
			if _, ok := wl[res.Workload]; !ok {
				t.Errorf("k8s_resource(%q): no such workload in the chart or k8s/ files", res.Workload)
			}
		}
	}
	for _, res := range r.Resources {
		for _, d := range res.Deps {
			if !names[d] {
				t.Errorf("resource %s depends on unknown resource %q", res.Name, d)
			}
		}
	}
	for _, want := range []string{"data", "services"} {
		if !labels[want] {
			t.Errorf("no resource in group %q", want)
		}
	}

	// Every image the chart runs from the dev registry is built by Tilt with live update, and
	// every build is used, or Tilt would deploy images that do not exist.
	built := map[string]bool{}
	for _, b := range r.Builds {
		built[b.Ref] = true
		if b.LiveUpdate == 0 {
			t.Errorf("%s has no live update", b.Ref)
		}
	}
	used := map[string]bool{}
	for name, images := range wl {
		for _, img := range images {
			repo, _, _ := strings.Cut(img, ":")
			if strings.HasPrefix(repo, "movies/") {
				used[repo] = true
				if !built[repo] {
					t.Errorf("%s runs %s, which the Tiltfile does not build", name, img)
				}
			}
		}
	}
	for ref := range built {
		if !used[ref] {
			t.Errorf("Tiltfile builds %s but nothing runs it", ref)
		}
	}
	for _, svc := range []string{"movies/gateway", "movies/catalog-svc", "movies/auth-svc", "movies/search-svc"} {
		if !built[svc] {
			t.Errorf("no image build for %s", svc)
		}
	}

	forwarded := false
	for _, res := range r.Resources {
		if res.Name == "gateway" && slices.Contains(res.PortForwards, "8080:8080") {
			forwarded = true
		}
	}
	if !forwarded {
		t.Error("the gateway is not port-forwarded on 8080")
	}
}

// `tilt up catalog` starts catalog and what it needs, not the rest.
func TestTiltUpSubset(t *testing.T) {
	r, err := tiltcheck.Run(repoRoot, []string{"catalog"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"catalog", "catalog-compile", "migrate-catalog", "seed-catalog", "mysql", "redis"} {
		if !slices.Contains(r.Enabled, want) {
			t.Errorf("tilt up catalog: %q not enabled (enabled: %v)", want, r.Enabled)
		}
	}
	for _, not := range []string{"gateway", "search", "auth", "meilisearch"} {
		if slices.Contains(r.Enabled, not) {
			t.Errorf("tilt up catalog enabled %q", not)
		}
	}

	r, err = tiltcheck.Run(repoRoot, []string{"data"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Enabled, []string{"mysql", "redis", "meilisearch"}) {
		t.Errorf("tilt up data enabled %v", r.Enabled)
	}
}
