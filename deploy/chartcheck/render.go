// Package chartcheck renders the movies Helm chart with the Helm SDK and checks what comes out:
// lint, strict decoding into the Kubernetes API types, and CRD schema validation.
package chartcheck

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// Release names the release the tests render; the namespace must exist for a server dry-run.
const (
	ReleaseName = "movies"
	Namespace   = "movies"
	KubeVersion = "v1.37.2"
)

// Optional API groups a cluster may serve; the chart renders their objects only when present.
var ClusterAPIVersions = []string{
	"monitoring.coreos.com/v1",
	"monitoring.coreos.com/v1/ServiceMonitor",
	"monitoring.coreos.com/v1/PrometheusRule",
	"gateway.networking.k8s.io/v1",
	"gateway.networking.k8s.io/v1/HTTPRoute",
	"planetscale.com/v2",
	"planetscale.com/v2/VitessCluster",
}

// Lint runs what `helm lint --strict -f <valuesFiles>` runs.
func Lint(chartDir string, values map[string]any) error {
	l := action.NewLint()
	l.Strict = true
	l.Namespace = Namespace
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return err
	}
	l.KubeVersion = kv
	res := l.Run([]string{chartDir}, values)
	var errs []error
	for _, m := range res.Messages {
		if m.Severity > 1 { // support.InfoSev: strict mode fails on warnings too
			errs = append(errs, fmt.Errorf("%s", m.Error()))
		}
	}
	errs = append(errs, res.Errors...)
	return errors.Join(errs...)
}

// ReadValues merges values files in order, as `-f a -f b` does.
func ReadValues(files ...string) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range files {
		v, err := chartutil.ReadValuesFile(f)
		if err != nil {
			return nil, err
		}
		out = chartutil.CoalesceTables(v.AsMap(), out)
	}
	return out, nil
}

// Manifest is one rendered object, from a template or a hook.
type Manifest struct {
	Source string
	YAML   string
}

// Render renders the chart as `helm template` would for a cluster that serves the optional
// APIs (ServiceMonitor, HTTPRoute, VitessCluster), including hooks and tests. The values
// schema is enforced.
func Render(chartDir string, values map[string]any) ([]Manifest, error) {
	return RenderRelease(chartDir, ReleaseName, Namespace, values)
}

// RenderRelease is Render for a given release name and namespace.
func RenderRelease(chartDir, release, namespace string, values map[string]any) ([]Manifest, error) {
	return RenderFor(chartDir, release, namespace, ClusterAPIVersions, values)
}

// RenderFor renders for a cluster that serves only the optional apis given; with none it is
// `helm template` (or Argo CD), which cannot see the cluster's APIs.
func RenderFor(chartDir, release, namespace string, apis []string, values map[string]any) ([]Manifest, error) {
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun = true
	install.ClientOnly = true
	install.ReleaseName = release
	install.Namespace = namespace
	install.KubeVersion = kv
	install.APIVersions = chartutil.VersionSet(apis)
	install.DisableHooks = false
	rel, err := install.Run(chrt, values)
	if err != nil {
		return nil, err
	}
	var out []Manifest
	split := releaseutil.SplitManifests(rel.Manifest)
	keys := make([]string, 0, len(split))
	for k := range split {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	for _, k := range keys {
		if strings.TrimSpace(split[k]) != "" {
			out = append(out, Manifest{Source: "manifest", YAML: split[k]})
		}
	}
	for _, h := range rel.Hooks {
		out = append(out, Manifest{Source: h.Path, YAML: h.Manifest})
	}
	return out, nil
}
