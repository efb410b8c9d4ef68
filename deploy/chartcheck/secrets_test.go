package chartcheck_test

import (
	"strings"
	"testing"

	"github.com/moviesplatform/deploy/chartcheck"
)

// gitopsValues name every credential the chart would otherwise generate.
func gitopsValues() map[string]any {
	return map[string]any{
		"generateSecrets": false,
		"auth":            map[string]any{"admin": map[string]any{"existingSecret": "ops-admin"}},
		"database":        map[string]any{"vitess": map[string]any{"existingSecret": "ops-db"}},
		"meilisearch":     map[string]any{"internal": map[string]any{"existingSecret": "ops-meili"}},
	}
}

func renderText(t *testing.T, values map[string]any) string {
	t.Helper()
	// No cluster APIs: what `helm template` and Argo CD render, where lookup finds nothing.
	ms, err := chartcheck.RenderFor(chartDir, chartcheck.ReleaseName, chartcheck.Namespace, nil, values)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Source + "\n" + m.YAML + "\n---\n")
	}
	return b.String()
}

// A GitOps tool re-renders on every sync; any difference is applied, so a generated password
// would be rotated under the running services.
func TestOfflineRenderIsStableWithExistingSecrets(t *testing.T) {
	first, second := renderText(t, gitopsValues()), renderText(t, gitopsValues())
	if first != second {
		t.Fatal("two offline renders with every existingSecret set differ")
	}
	for _, name := range []string{"ops-admin", "ops-db", "ops-meili"} {
		if !strings.Contains(first, "name: "+name) {
			t.Errorf("no object refers to existingSecret %s", name)
		}
	}
	// Strictly decoded, so every Secret the chart makes is seen whatever its layout.
	var made []string
	for _, o := range renderFor(t, nil, gitopsValues()) {
		if o.GVK.Kind == "Secret" {
			made = append(made, o.Raw.GetName())
		}
	}
	if len(made) != 0 {
		t.Errorf("chart renders Secrets %v although every credential has an existingSecret", made)
	}
	if n := countSecrets(renderFor(t, nil, nil)); n != 3 {
		t.Errorf("defaults render %d chart-made Secrets, want 3 (admin, db, meilisearch)", n)
	}
	// The defaults generate, which is what makes the flag necessary.
	if renderText(t, nil) == renderText(t, nil) {
		t.Error("default offline renders are identical: the generated-secret test above proves nothing")
	}
}

func TestGenerateSecretsOffNamesEveryMissingSecret(t *testing.T) {
	for _, drop := range []string{"auth.admin.existingSecret", "database.vitess.existingSecret", "meilisearch.internal.existingSecret"} {
		t.Run(drop, func(t *testing.T) {
			v := gitopsValues()
			path := strings.Split(drop, ".")
			m := v[path[0]].(map[string]any)
			for _, p := range path[1 : len(path)-1] {
				m = m[p].(map[string]any)
			}
			m[path[len(path)-1]] = ""
			_, err := chartcheck.Render(chartDir, v)
			if err == nil {
				t.Fatal("render accepted generateSecrets=false with a credential left to generate")
			}
			if !strings.Contains(err.Error(), "generateSecrets=false") || !strings.Contains(err.Error(), drop) {
				t.Fatalf("error does not name %s: %v", drop, err)
			}
		})
	}
}

func countSecrets(objs []chartcheck.Object) int {
	n := 0
	for _, o := range objs {
		if o.GVK.Kind == "Secret" {
			n++
		}
	}
	return n
}
