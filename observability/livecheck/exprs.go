// Package livecheck proves the rules and dashboards against a real
// Prometheus: it collects every PromQL expression they hold, parses each and
// lists the series each names, so a test can evaluate them on live data.
package livecheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/moviesplatform/observability/alerts"
)

// Expr is one PromQL expression and where it comes from.
type Expr struct {
	Source string
	PromQL string
}

// Dashboard variables, as the test environment resolves them.
var variables = strings.NewReplacer(
	"$__rate_interval", "1m",
	"$namespace", "test",
	"$instance", ".*",
	"$job", "movies-.*",
)

var labelValues = regexp.MustCompile(`^label_values\((.*),\s*[a-z_]+\)$`)

// Collect returns every expression of the rule file and of the dashboards
// (panel targets, and the selectors of label_values variables), with the
// dashboard variables substituted.
func Collect(rulesPath, dashboardsDir string) ([]Expr, error) {
	var out []Expr
	data, err := os.ReadFile(rulesPath)
	if err != nil {
		return nil, err
	}
	var rules alerts.RuleFile
	if err := yaml.Unmarshal(data, &rules); err != nil {
		return nil, fmt.Errorf("%s: %w", rulesPath, err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			out = append(out, Expr{Source: "rule " + g.Name + "/" + r.Record + r.Alert, PromQL: r.Expr})
		}
	}
	boards, err := filepath.Glob(filepath.Join(dashboardsDir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, path := range boards {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		walk(doc, func(key, value string) {
			switch {
			case key == "expr":
				out = append(out, Expr{Source: filepath.Base(path), PromQL: variables.Replace(value)})
			case key == "query" && labelValues.MatchString(value):
				sel := labelValues.FindStringSubmatch(value)[1]
				out = append(out, Expr{Source: filepath.Base(path) + " variable", PromQL: variables.Replace(sel)})
			}
		})
	}
	return out, nil
}

func walk(v any, visit func(key, value string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok {
				visit(k, s)
			}
			walk(c, visit)
		}
	case []any:
		for _, c := range t {
			walk(c, visit)
		}
	}
}

// Names parses expr and returns the metric names its selectors name.
func Names(expr string) ([]string, error) {
	e, err := parser.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && vs.Name != "" {
			set[vs.Name] = true
		}
		return nil
	})
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}
