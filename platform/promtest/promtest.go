// Package promtest reads what a Prometheus registry would serve, for tests
// that check one series by its labels rather than a whole exposition.
package promtest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Sample is one series: its labels, its value (a counter's, gauge's or
// untyped metric's) and, for a histogram, how many observations it holds.
type Sample struct {
	Labels map[string]string
	Value  float64
	Count  uint64
}

// Series returns every series of the metric name that g gathers.
func Series(t testing.TB, g prometheus.Gatherer, name string) []Sample {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []Sample
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			s := Sample{Labels: map[string]string{}, Count: m.GetHistogram().GetSampleCount(),
				Value: m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()}
			for _, l := range m.GetLabel() {
				s.Labels[l.GetName()] = l.GetValue()
			}
			out = append(out, s)
		}
	}
	return out
}

// Of returns the first series of name whose labels include want, and the
// zero Sample when there is none.
func Of(t testing.TB, g prometheus.Gatherer, name string, want map[string]string) Sample {
	t.Helper()
	for _, s := range Series(t, g, name) {
		match := true
		for k, v := range want {
			match = match && s.Labels[k] == v
		}
		if match {
			return s
		}
	}
	return Sample{}
}
