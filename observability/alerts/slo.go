package alerts

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is the SLO file (observability/slos.yaml).
type Spec struct {
	Period string `yaml:"period"`
	SLOs   []SLO  `yaml:"slos"`
}

// SLO is one objective of one user journey, measured from the RED series of
// a router (http_server_requests_total, http_server_request_duration_seconds).
type SLO struct {
	Name      string   `yaml:"name"`
	Journey   string   `yaml:"journey"`
	Kind      string   `yaml:"kind"`      // availability or latency
	Objective float64  `yaml:"objective"` // percent of good requests, e.g. 99.9
	Threshold float64  `yaml:"threshold_seconds"`
	Job       string   `yaml:"job"`
	Route     string   `yaml:"route"` // a contract route, or several joined by |
	Methods   []string `yaml:"methods"`
}

// Kinds of SLO.
const (
	Availability = "availability"
	Latency      = "latency"
)

// durationBuckets are the bucket bounds of http_server_request_duration_seconds
// (platform/httpx): a latency threshold must be one of them, or the bucket
// series the SLI reads does not exist.
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

var sloName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// ParseSpec reads and validates an SLO file.
func ParseSpec(data []byte) (Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("slo file: %w", err)
	}
	if s.Period != "30d" && s.Period != "28d" {
		return Spec{}, fmt.Errorf("slo file: period %q: want 28d or 30d", s.Period)
	}
	if len(s.SLOs) == 0 {
		return Spec{}, fmt.Errorf("slo file: no slos")
	}
	seen := map[string]bool{}
	for _, o := range s.SLOs {
		if err := o.validate(); err != nil {
			return Spec{}, fmt.Errorf("slo %q: %w", o.Name, err)
		}
		if seen[o.Name] {
			return Spec{}, fmt.Errorf("slo %q: defined twice", o.Name)
		}
		seen[o.Name] = true
	}
	return s, nil
}

func (o SLO) validate() error {
	switch {
	case !sloName.MatchString(o.Name):
		return fmt.Errorf("name: want lower-case words joined by -")
	case o.Journey == "":
		return fmt.Errorf("journey missing")
	case o.Objective <= 50 || o.Objective >= 100:
		return fmt.Errorf("objective %v: want a percentage in (50, 100)", o.Objective)
	case o.Job == "" || o.Route == "" || len(o.Methods) == 0:
		return fmt.Errorf("job, route and methods are required")
	}
	switch o.Kind {
	case Availability:
		if o.Threshold != 0 {
			return fmt.Errorf("threshold_seconds is for latency SLOs")
		}
	case Latency:
		if !slices.Contains(durationBuckets, o.Threshold) {
			return fmt.Errorf("threshold_seconds %v: want a bucket bound of http_server_request_duration_seconds %v", o.Threshold, durationBuckets)
		}
	default:
		return fmt.Errorf("kind %q: want availability or latency", o.Kind)
	}
	return nil
}

// ErrorBudget is the allowed share of bad requests (0.001 for 99.9%).
func (o SLO) ErrorBudget() float64 {
	// Rounded so 100-99.9 prints as 0.001, not 0.0009999999999990905.
	b, _ := strconv.ParseFloat(strconv.FormatFloat((100-o.Objective)/100, 'g', 10, 64), 64)
	return b
}

// selector is the label matcher of the SLO's requests.
func (o SLO) selector() string {
	route := fmt.Sprintf("route=%q", o.Route)
	if strings.Contains(o.Route, "|") {
		route = fmt.Sprintf("route=~%q", o.Route)
	}
	method := fmt.Sprintf("method=%q", o.Methods[0])
	if len(o.Methods) > 1 {
		method = fmt.Sprintf("method=~%q", strings.Join(o.Methods, "|"))
	}
	return fmt.Sprintf("job=%q,%s,%s", o.Job, route, method)
}

// ErrorRatio is the PromQL of the share of bad requests over window, per
// namespace. It is 0, not empty, when there is traffic and no bad request, so
// budget panels show a line; it is empty without traffic, so nothing fires.
func (o SLO) ErrorRatio(window string) string {
	sel := o.selector()
	switch o.Kind {
	case Latency:
		le := strconv.FormatFloat(o.Threshold, 'f', -1, 64)
		return fmt.Sprintf("1 - (\n  sum by (namespace) (rate(http_server_request_duration_seconds_bucket{%s,le=%q}[%s]))\n  /\n  sum by (namespace) (rate(http_server_request_duration_seconds_count{%s}[%s]))\n)",
			sel, le, window, sel, window)
	default:
		return fmt.Sprintf("(\n  sum by (namespace) (rate(http_server_requests_total{%s,code=~\"5..\"}[%s]))\n  or\n  0 * sum by (namespace) (rate(http_server_requests_total{%s}[%s]))\n)\n/\nsum by (namespace) (rate(http_server_requests_total{%s}[%s]))",
			sel, window, sel, window, sel, window)
	}
}
