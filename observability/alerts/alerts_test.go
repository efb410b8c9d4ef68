package alerts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func spec(t *testing.T) Spec {
	t.Helper()
	data, err := os.ReadFile("../slos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSpec(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every alert says what happened, how bad it is, and where its runbook is;
// and the runbook exists.
func TestEveryAlertHasAnnotationsAndARunbook(t *testing.T) {
	rules := Rules(spec(t))
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			for _, key := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[key] == "" {
					t.Errorf("%s: no %s", r.Alert, key)
				}
			}
			if sev := r.Labels["severity"]; sev != "critical" && sev != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, sev)
			}
			if want := RunbookBase + r.Alert + ".md"; r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
			}
		}
	}
	for _, name := range rules.Alerts() {
		if _, err := os.Stat(filepath.Join("../../docs/runbooks", name+".md")); err != nil {
			t.Errorf("%s: no runbook: %v", name, err)
		}
	}
}

// Every journey of the issue has an availability and a latency objective.
func TestEveryJourneyHasBothObjectives(t *testing.T) {
	have := map[string]bool{}
	for _, o := range spec(t).SLOs {
		have[o.Journey+"/"+o.Kind] = true
	}
	for _, j := range []string{"detail read", "list page", "search", "write", "login"} {
		for _, k := range []string{Availability, Latency} {
			if !have[j+"/"+k] {
				t.Errorf("journey %q has no %s SLO", j, k)
			}
		}
	}
}

func TestParseSpecRejectsMistakes(t *testing.T) {
	good := "period: 30d\nslos:\n  - {name: a, journey: j, kind: availability, objective: 99.9, job: j, route: /r, methods: [GET]}\n"
	if _, err := ParseSpec([]byte(good)); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	for name, bad := range map[string]string{
		"unknown field":      strings.Replace(good, "journey: j", "journy: j", 1),
		"objective of 100":   strings.Replace(good, "99.9", "100", 1),
		"objective as ratio": strings.Replace(good, "99.9", "0.999", 1),
		"unknown kind":       strings.Replace(good, "availability", "freshness", 1),
		"no such bucket":     strings.Replace(good, "kind: availability", "kind: latency, threshold_seconds: 0.3", 1),
		"no methods":         strings.Replace(good, ", methods: [GET]", "", 1),
		"period":             strings.Replace(good, "30d", "7d", 1),
		"twice":              good + "  - {name: a, journey: j, kind: availability, objective: 99, job: j, route: /r, methods: [GET]}\n",
	} {
		if _, err := ParseSpec([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestErrorBudgetAndThresholdsAreExact(t *testing.T) {
	o := SLO{Objective: 99.9}
	if got := o.ErrorBudget(); got != 0.001 {
		t.Errorf("budget of 99.9%% = %v, want 0.001", got)
	}
	if got := fmtFloat(14.4 * o.ErrorBudget()); got != "0.0144" {
		t.Errorf("14.4 x 0.001 prints %q", got)
	}
}
