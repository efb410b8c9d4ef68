// Package attack drives a load at a loopback target with vegeta (as a
// library): a ramp to a target rate, bounded in time and in requests, and a
// report of what came back: a JSON summary broken down by endpoint and
// second, the latency over time and the latency percentiles as pages people
// can open.
package attack

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/moviesplatform/loadtest/model"
)

// Plan bounds a load.
type Plan struct {
	// Target is the base URL, e.g. http://127.0.0.1:8080; loopback only.
	Target string
	// Rate is the request rate held after the ramp, per second.
	Rate float64
	// Ramp is how long the rate takes to climb from 0 to Rate.
	Ramp time.Duration
	// Duration bounds the whole run, ramp included.
	Duration time.Duration
	// MaxRequests bounds the number of requests (0: the duration decides).
	MaxRequests uint64
	// Timeout is the most one request may take (default 10s).
	Timeout time.Duration
	// MaxWorkers bounds concurrent requests in flight (default 2000).
	MaxWorkers uint64
	// Name labels the run in the summary.
	Name string
}

func (p Plan) check() (Plan, error) {
	if _, err := CheckLoopback(p.Target); err != nil {
		return p, err
	}
	switch {
	case p.Rate <= 0:
		return p, fmt.Errorf("attack: rate must be > 0")
	case p.Duration <= 0:
		return p, fmt.Errorf("attack: a duration is required: a run is always bounded")
	case p.Ramp < 0 || p.Ramp > p.Duration:
		return p, fmt.Errorf("attack: the ramp must be within the duration")
	}
	if p.Timeout == 0 {
		p.Timeout = 10 * time.Second
	}
	if p.MaxWorkers == 0 {
		p.MaxWorkers = 2000
	}
	p.Target = strings.TrimSuffix(p.Target, "/")
	return p, nil
}

// Run sends the requests next draws at plan.Target and returns the report.
// It stops at the plan's bounds or when ctx ends.
func Run(ctx context.Context, plan Plan, next func() model.Request) (*Report, error) {
	plan, err := plan.check()
	if err != nil {
		return nil, err
	}
	client := &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer(),
			MaxIdleConns:        int(plan.MaxWorkers),
			MaxIdleConnsPerHost: int(plan.MaxWorkers),
			IdleConnTimeout:     30 * time.Second,
		},
	}
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Timeout(plan.Timeout),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.Workers(min(64, plan.MaxWorkers)),
		vegeta.MaxWorkers(plan.MaxWorkers),
		vegeta.KeepAlive(true),
	)
	targeter := func(t *vegeta.Target) error {
		r := next()
		t.Method, t.URL, t.Body = r.Method, plan.Target+r.Path, r.Body
		t.Header = http.Header{}
		if r.Body != nil {
			t.Header.Set("Content-Type", "application/json")
		}
		if r.Token != "" {
			t.Header.Set("Authorization", "Token "+r.Token)
		}
		return nil
	}
	pacer := rampPacer{PerSecond: plan.Rate, Ramp: plan.Ramp, Max: plan.MaxRequests}
	report := newReport(plan)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for res := range atk.Attack(targeter, pacer, plan.Duration, plan.Name) {
		res.Body = nil // the figures need the status and timings, not the bytes
		report.add(res)
	}
	report.close()
	return report, nil
}
