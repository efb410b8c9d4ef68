package alerts

import (
	"fmt"
	"strconv"
)

// RunbookBase is where docs/runbooks/ is read online; every alert's
// runbook_url is RunbookBase + <alert>.md.
const RunbookBase = "https://github.com/moviesplatform/movies/blob/main/docs/runbooks/"

// Names of the SLO alerts: one per speed, labelled with the SLO that burns.
const (
	AlertBurnFast = "MoviesErrorBudgetBurnFast"
	AlertBurnSlow = "MoviesErrorBudgetBurnSlow"
)

// Windows of the error-ratio recording rules.
var Windows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// burnWindow is one row of the SRE workbook's table 5-8: alert when the
// budget burns factor times too fast over both the long and the short window.
type burnWindow struct {
	long, short string
	factor      float64
}

var (
	// 2% of a 30-day budget in an hour, or 5% in six hours: someone must act now.
	fastBurn = []burnWindow{{"1h", "5m", 14.4}, {"6h", "30m", 6}}
	// 10% in a day, or the whole budget at this pace over the period: a ticket.
	slowBurn = []burnWindow{{"1d", "2h", 3}, {"3d", "6h", 1}}
)

// RatioRecord is the name of the error-ratio recording rule over window.
func RatioRecord(window string) string { return "slo:sli_error:ratio_rate" + window }

// Record names of the per-SLO constants and the budget left.
const (
	RecordObjective       = "slo:objective:ratio"
	RecordBudgetRemaining = "slo:error_budget_remaining:ratio"
)

// SLORules returns the recording and alerting rules of every SLO in spec.
func SLORules(spec Spec) []Group {
	var groups []Group
	for _, o := range spec.SLOs {
		labels := map[string]string{"slo": o.Name, "journey": o.Journey, "slo_kind": o.Kind}
		g := Group{Name: "movies-slo-" + o.Name}
		for _, w := range Windows {
			g.Rules = append(g.Rules, Rule{Record: RatioRecord(w), Expr: o.ErrorRatio(w), Labels: labels})
		}
		g.Rules = append(g.Rules,
			Rule{Record: RecordObjective, Expr: "vector(" + fmtFloat(o.Objective/100) + ")", Labels: labels},
			// The share of the period's budget not yet spent; negative once overspent.
			Rule{Record: RecordBudgetRemaining,
				Expr:   fmt.Sprintf("1 - avg_over_time(%s{slo=%q}[%s]) / %s", RatioRecord("5m"), o.Name, spec.Period, fmtFloat(o.ErrorBudget())),
				Labels: labels},
			burnAlert(o, spec.Period, AlertBurnFast, "critical", fastBurn),
			burnAlert(o, spec.Period, AlertBurnSlow, "warning", slowBurn),
		)
		groups = append(groups, g)
	}
	return groups
}

func burnAlert(o SLO, period, name, severity string, windows []burnWindow) Rule {
	expr := ""
	for i, w := range windows {
		if i > 0 {
			expr += "\nor\n"
		}
		threshold := fmtFloat(w.factor * o.ErrorBudget())
		expr += fmt.Sprintf("(\n  %s{slo=%q} > %s\n  and\n  %s{slo=%q} > %s\n)",
			RatioRecord(w.long), o.Name, threshold, RatioRecord(w.short), o.Name, threshold)
	}
	speed := "fast"
	if severity != "critical" {
		speed = "slowly"
	}
	what := "fail (5xx)"
	if o.Kind == Latency {
		what = "take longer than " + fmtFloat(o.Threshold) + "s"
	}
	return Rule{
		Alert:  name,
		Expr:   expr,
		Labels: map[string]string{"severity": severity, "slo": o.Name, "journey": o.Journey, "slo_kind": o.Kind},
		Annotations: map[string]string{
			"summary": fmt.Sprintf("The %s journey burns its %s error budget %s.", o.Journey, o.Kind, speed),
			"description": fmt.Sprintf("In {{ $labels.namespace }}, {{ $value | humanizePercentage }} of %s requests %s over the alert's long window; "+
				"the budget is %s%% (objective %s%% over %s) and this alert fires at %s times it.",
				o.Journey, what, fmtFloat(o.ErrorBudget()*100), fmtFloat(o.Objective), period, factors(windows)),
			"runbook_url": RunbookBase + name + ".md",
		},
	}
}

func fmtFloat(v float64) string {
	// Rounded to 10 significant digits so 14.4*0.001 prints as 0.0144.
	s := strconv.FormatFloat(v, 'g', 10, 64)
	f, _ := strconv.ParseFloat(s, 64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func factors(windows []burnWindow) string {
	out := ""
	for i, w := range windows {
		if i > 0 {
			out += " or "
		}
		out += fmtFloat(w.factor) + " (" + w.long + ")"
	}
	return out
}
