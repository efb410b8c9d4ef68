package promtest_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/promtest"
)

func TestSeriesAndOf(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total", Help: "c"}, []string{"a", "b"})
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h_seconds", Help: "h"}, []string{"a"})
	reg.MustRegister(c, h)
	c.WithLabelValues("x", "1").Add(2)
	c.WithLabelValues("y", "1").Add(3)
	h.WithLabelValues("x").Observe(1)
	h.WithLabelValues("x").Observe(2)
	if n := len(promtest.Series(t, reg, "c_total")); n != 2 {
		t.Errorf("c_total: %d series", n)
	}
	if s := promtest.Of(t, reg, "c_total", map[string]string{"a": "y"}); s.Value != 3 || s.Labels["b"] != "1" {
		t.Errorf("c_total{a=y}: %+v", s)
	}
	if s := promtest.Of(t, reg, "h_seconds", map[string]string{"a": "x"}); s.Count != 2 {
		t.Errorf("h_seconds{a=x}: %+v", s)
	}
	if s := promtest.Of(t, reg, "c_total", map[string]string{"a": "z"}); s.Labels != nil {
		t.Errorf("absent series found: %+v", s)
	}
}
