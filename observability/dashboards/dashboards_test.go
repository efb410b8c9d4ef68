package dashboards

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/moviesplatform/observability/alerts"
)

type board struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr     string `json:"expr"`
			Exemplar bool   `json:"exemplar"`
		} `json:"targets"`
	} `json:"panels"`
}

func boards(t *testing.T) map[string]board {
	t.Helper()
	data, err := os.ReadFile("../slos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := alerts.ParseSpec(data)
	if err != nil {
		t.Fatal(err)
	}
	all, err := All(spec)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]board{}
	for name, raw := range all {
		var b board
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b
	}
	return out
}

// The dashboards the issue asks for exist, each with the shared variables,
// every query on the chosen datasource and namespace, and latency panels
// showing exemplars (trace links).
func TestDashboards(t *testing.T) {
	all := boards(t)
	for _, want := range []string{"movies-overview", "movies-gateway", "movies-catalog", "movies-search", "movies-auth", "movies-data", "movies-go-runtime"} {
		if _, ok := all[want]; !ok {
			t.Errorf("no %s dashboard", want)
		}
	}
	uids := map[string]string{}
	for name, b := range all {
		if other, dup := uids[b.UID]; dup || b.UID == "" {
			t.Errorf("%s: uid %q empty or shared with %s", name, b.UID, other)
		}
		uids[b.UID] = name
		vars := map[string]string{}
		for _, v := range b.Templating.List {
			vars[v.Name] = v.Type
		}
		for v, typ := range map[string]string{"datasource": "datasource", "traces": "datasource", "namespace": "query", "instance": "query"} {
			if vars[v] != typ {
				t.Errorf("%s: variable %s is %q, want %s", name, v, vars[v], typ)
			}
		}
		queries := 0
		for _, p := range b.Panels {
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("%s / %s: not on the ${datasource} variable", name, p.Title)
			}
			for _, q := range p.Targets {
				queries++
				// The objectives are constants, the same in every namespace.
				if !strings.Contains(q.Expr, `namespace="$namespace"`) && q.Expr != "1 - "+alerts.RecordObjective {
					t.Errorf("%s / %s: query ignores the namespace variable: %s", name, p.Title, q.Expr)
				}
				if strings.Contains(q.Expr, "_seconds_bucket") && strings.Contains(q.Expr, "histogram_quantile") &&
					strings.Contains(p.Title, "atency") && !q.Exemplar {
					t.Errorf("%s / %s: latency query without exemplars", name, p.Title)
				}
			}
		}
		if queries == 0 {
			t.Errorf("%s: no queries", name)
		}
	}
}
