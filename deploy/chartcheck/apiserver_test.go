package chartcheck_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/moviesplatform/deploy/chartcheck"
)

// The binaries come from deploy/test.sh: Debian's etcd and a kube-apiserver built from the Go
// module proxy (deploy/hack/kube-apiserver.sh), linked into one directory.
func apiServerAssets(t *testing.T) string {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		if os.Getenv("MOVIES_REQUIRE_APISERVER") != "" {
			t.Fatal("KUBEBUILDER_ASSETS is not set; run deploy/test.sh")
		}
		t.Skip("KUBEBUILDER_ASSETS not set (deploy/test.sh sets it): skipping the server-side dry-run")
	}
	return dir
}

func clusterCRDs(t *testing.T) []*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	var out []*apiextensionsv1.CustomResourceDefinition
	vitess, err := chartcheck.VitessOperatorYAML()
	if err != nil {
		t.Fatal(err)
	}
	httpRoute, err := chartcheck.HTTPRouteCRDYAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{vitess, httpRoute, filepath.Join("testdata", "servicemonitor-crd.yaml"), filepath.Join("testdata", "prometheusrule-crd.yaml")} {
		crds, err := chartcheck.ReadCRDs(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, crds...)
	}
	return out
}

func dryRunApply(ctx context.Context, c client.Client, u *unstructured.Unstructured) error {
	u = u.DeepCopy()
	u.SetManagedFields(nil)
	return c.Patch(ctx, u, client.Apply, client.DryRunAll, client.ForceOwnership,
		client.FieldOwner("movies-chart-test"), client.FieldValidation("Strict"))
}

// TestServerSideDryRun sends every rendered object of every ci/ variant to a real kube-apiserver
// as a strict server-side apply with dryRun=All: admission, defaulting, validation and the CRD
// schemas all run, nothing is stored.
func TestServerSideDryRun(t *testing.T) {
	assets := apiServerAssets(t)
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDs:                  clusterCRDs(t),
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start kube-apiserver + etcd: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stop control plane: %v", err)
		}
	})
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ns := &corev1.Namespace{}
	ns.Name = chartcheck.Namespace
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}

	for name, files := range ciValues(t) {
		t.Run(name, func(t *testing.T) {
			objs := renderObjects(t, files)
			kinds := map[string]int{}
			for _, o := range objs {
				if err := dryRunApply(ctx, c, o.Raw); err != nil {
					t.Errorf("%s %s/%s: %v", o.Source, o.GVK.Kind, o.Raw.GetName(), err)
				}
				kinds[o.GVK.Kind]++
			}
			t.Logf("%d objects accepted by the API server: %v", len(objs), kinds)
		})
	}

	t.Run("unknown fields are refused", func(t *testing.T) {
		for _, o := range renderObjects(t, ciValues(t)["vitess"]) {
			if o.GVK.Kind != "Deployment" && o.GVK.Kind != "VitessCluster" {
				continue
			}
			bad := o.Raw.DeepCopy()
			_ = unstructuredSet(bad.Object, "spec", "replicaz")
			err := dryRunApply(ctx, c, bad)
			if err == nil || !strings.Contains(err.Error(), "replicaz") {
				t.Errorf("%s %s with an unknown field: got %v, want a strict-validation error", o.GVK.Kind, bad.GetName(), err)
			}
		}
	})
}
