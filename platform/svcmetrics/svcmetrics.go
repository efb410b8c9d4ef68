// Package svcmetrics holds the metrics every service's instrumenting
// middleware records: calls by method and outcome, and their duration.
package svcmetrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/apierr"
)

// Calls counts and times a service's business calls.
type Calls struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewCalls registers <service>_service_calls_total{method,outcome} and
// <service>_service_call_duration_seconds{method} on reg.
func NewCalls(reg prometheus.Registerer, service string) *Calls {
	c := &Calls{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: service + "_service_calls_total",
			Help: "Service calls, by method and outcome (ok or the error kind's HTTP status).",
		}, []string{"method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    service + "_service_call_duration_seconds",
			Help:    "Time a service call takes, by method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method"}),
	}
	reg.MustRegister(c.calls, c.duration)
	return c
}

// Observe records one call of method that started at start and ended with err.
func (c *Calls) Observe(method string, start time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = strconv.Itoa(apierr.KindOf(err).Status())
	}
	c.calls.WithLabelValues(method, outcome).Inc()
	c.duration.WithLabelValues(method).Observe(time.Since(start).Seconds())
}
