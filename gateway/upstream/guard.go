// Package upstream keeps the gateway's calls to the services behind it
// bounded: each call gets a deadline, each upstream a bound on the calls in
// flight and a circuit breaker, so a dead, slow or saturated service costs a
// fast 503/504 instead of piling up requests.
package upstream

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/semaphore"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/exemplar"
)

// Settings configure the guard of one upstream.
type Settings struct {
	// Name labels metrics and logs ("catalog", "auth").
	Name string
	// Timeout bounds each call.
	Timeout time.Duration
	// TripAfter consecutive failures open the breaker.
	TripAfter uint32
	// OpenFor is how long an open breaker rejects calls before letting a
	// probe through.
	OpenFor time.Duration
	// MaxInFlight bounds the calls under way at once (default
	// DefaultMaxInFlight); one past it is refused at once with a 503. A
	// saturated upstream then keeps answering what it can in bounded time:
	// without the bound its queue grows until calls time out, the timeouts
	// open the breaker, and it answers nothing for OpenFor.
	MaxInFlight int
}

// DefaultMaxInFlight is the default bound on one upstream's calls in flight.
const DefaultMaxInFlight = 128

func (s Settings) withDefaults() Settings {
	if s.Timeout <= 0 {
		s.Timeout = 2 * time.Second
	}
	if s.TripAfter == 0 {
		s.TripAfter = 5
	}
	if s.OpenFor <= 0 {
		s.OpenFor = 5 * time.Second
	}
	if s.MaxInFlight <= 0 {
		s.MaxInFlight = DefaultMaxInFlight
	}
	return s
}

// Guard applies a deadline and a circuit breaker to calls to one upstream.
type Guard struct {
	name       string
	timeout    time.Duration
	retryAfter string
	cb         *gobreaker.CircuitBreaker[struct{}]
	inFlight   *semaphore.Weighted
	metrics    *Metrics
}

// errBusy refuses a call past the bound on calls in flight.
var errBusy = apierr.New(apierr.Unavailable, "Too many requests in flight, try again shortly.").WithHeader("Retry-After", "1")

// NewGuard returns a guard; metrics may be nil.
func NewGuard(s Settings, metrics *Metrics) *Guard {
	s = s.withDefaults()
	g := &Guard{
		name:       s.Name,
		timeout:    s.Timeout,
		retryAfter: strconv.Itoa(max(1, int(s.OpenFor.Round(time.Second)/time.Second))),
		inFlight:   semaphore.NewWeighted(int64(s.MaxInFlight)),
		metrics:    metrics,
	}
	g.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        s.Name,
		MaxRequests: 1,
		Timeout:     s.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= s.TripAfter },
		// A 4xx means the upstream is alive and answered; only its own
		// failures (5xx, unreachable, too slow) count against it.
		IsSuccessful: func(err error) bool { return !apierr.IsServerFault(err) },
		// The caller giving up says nothing about the upstream.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(name string, _, to gobreaker.State) {
			metrics.setState(name, to)
		},
	})
	metrics.setState(s.Name, gobreaker.StateClosed)
	return g
}

// Name is the upstream's name.
func (g *Guard) Name() string { return g.name }

// State is the breaker's state: "closed", "half-open" or "open".
func (g *Guard) State() string { return g.cb.State().String() }

// Call runs fn with the guard's deadline, through the breaker. Failures come
// back as apierr errors: unreachable, open breaker or too many calls in
// flight → Unavailable, too slow → Timeout; errors the upstream itself
// classified pass through unchanged. A call refused for the bound never
// reaches the breaker: the upstream is busy, not failing.
func Call[T any](ctx context.Context, g *Guard, fn func(context.Context) (T, error)) (T, error) {
	var out T
	if !g.inFlight.TryAcquire(1) {
		g.metrics.count(g.name, "shed")
		return out, errBusy
	}
	defer g.inFlight.Release(1)
	start := time.Now()
	_, err := g.cb.Execute(func() (struct{}, error) {
		cctx, cancel := context.WithTimeout(ctx, g.timeout)
		defer cancel()
		var err error
		out, err = fn(cctx)
		return struct{}{}, classify(ctx, err)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		g.metrics.count(g.name, "rejected")
		return out, apierr.ErrUnavailable.WithHeader("Retry-After", g.retryAfter).Wrap(err)
	}
	g.metrics.called(ctx, g.name, result(err), time.Since(start))
	return out, err
}

func classify(parent context.Context, err error) error {
	var ae *apierr.Error
	switch {
	case err == nil, errors.As(err, &ae):
		return err
	case parent.Err() != nil:
		// The request itself ended (client gone, or its own deadline):
		// report that, not an upstream fault.
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return apierr.ErrUpstreamSlow.Wrap(err)
	default:
		return apierr.ErrUnavailable.Wrap(err)
	}
}

func result(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case !apierr.IsServerFault(err):
		return "client_error"
	default:
		return "failure"
	}
}

// Metrics count guarded calls and expose breaker states.
type Metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	state    *prometheus.GaugeVec
}

// NewMetrics registers the guard metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_calls_total",
			Help: "Calls from the gateway to an upstream service, by result (ok, client_error, failure, rejected: breaker open, shed: too many in flight, canceled).",
		}, []string{"upstream", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_upstream_call_duration_seconds",
			Help:    "Time of the gateway's calls that reached an upstream service, by result (ok, client_error, failure, canceled); refused and shed calls are not timed.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"upstream", "result"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateway_upstream_breaker_state",
			Help: "Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.",
		}, []string{"upstream"}),
	}
	reg.MustRegister(m.calls, m.duration, m.state)
	return m
}

func (m *Metrics) count(upstream, result string) {
	if m != nil {
		m.calls.WithLabelValues(upstream, result).Inc()
	}
}

// called counts and times a call that reached the upstream.
func (m *Metrics) called(ctx context.Context, upstream, result string, d time.Duration) {
	if m != nil {
		m.calls.WithLabelValues(upstream, result).Inc()
		exemplar.Observe(ctx, m.duration.WithLabelValues(upstream, result), d.Seconds())
	}
}

func (m *Metrics) setState(upstream string, s gobreaker.State) {
	if m != nil {
		m.state.WithLabelValues(upstream).Set(float64(s))
	}
}
