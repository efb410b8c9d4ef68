// Package alerts turns the platform's SLO file into Prometheus recording and
// alerting rules (multiwindow, multi-burn-rate, after the Google SRE
// workbook) and adds the cause alerts that say why a budget burns.
//
// The output is a plain Prometheus rule file: promtool checks and unit-tests
// it, and the chart wraps the same groups in a PrometheusRule.
package alerts

// RuleFile is a Prometheus rule file.
type RuleFile struct {
	Groups []Group `yaml:"groups"`
}

// Group is a rule group.
type Group struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is a recording rule (Record set) or an alerting rule (Alert set).
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Alerts lists the names of the alerting rules in f, each once, in order.
func (f RuleFile) Alerts() []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" && !seen[r.Alert] {
				seen[r.Alert] = true
				out = append(out, r.Alert)
			}
		}
	}
	return out
}

// Exprs lists every expression in f.
func (f RuleFile) Exprs() []string {
	var out []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out = append(out, r.Expr)
		}
	}
	return out
}
