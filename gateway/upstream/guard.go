// Package upstream keeps the gateway's calls to the services behind it
// bounded: each call gets a deadline, each upstream a bound on the calls in
// flight and a circuit breaker, so a dead, slow or saturated service costs a
// fast 503/504 instead of piling up requests.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
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
	// ClientShare bounds the calls one client (Client in the context) may
	// have in flight here, so that one client cannot fill MaxInFlight and
	// starve the rest; one past it is refused with a 429. 0 means
	// DefaultClientShare of MaxInFlight; negative turns the share off.
	ClientShare int
	// ShareByAddress counts the share of a client by its address even when
	// it presents a token: for token checks, where the token is not yet
	// known to be real and a client could otherwise invent one per call.
	ShareByAddress bool
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
	if s.ClientShare == 0 {
		s.ClientShare = DefaultClientShare(s.MaxInFlight)
	}
	return s
}

// DefaultClientShare is a client's default share of an upstream's bound of
// maxInFlight: a quarter, at least one call.
func DefaultClientShare(maxInFlight int) int { return max(1, maxInFlight/4) }

// Guard applies a deadline and a circuit breaker to calls to one upstream.
type Guard struct {
	name       string
	timeout    time.Duration
	retryAfter string
	cb         *gobreaker.CircuitBreaker[struct{}]
	inFlight   *semaphore.Weighted
	shares     *shares // nil: no per-client share
	byAddress  bool
	metrics    *Metrics
}

// errOverShare refuses a client's call past its share of the bound: the
// client is asked to slow down, the upstream is not failing.
var errOverShare = apierr.New(apierr.TooManyRequests, "Too many of your requests are in flight at once, wait for some to finish.").WithHeader("Retry-After", "1")

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
		byAddress:  s.ShareByAddress,
		metrics:    metrics,
	}
	if s.ClientShare > 0 && s.ClientShare < s.MaxInFlight {
		g.shares = &shares{limit: s.ClientShare, held: map[string]int{}}
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
// flight → Unavailable, too slow → Timeout, a client past its share of the
// calls in flight → TooManyRequests; errors the upstream itself classified
// pass through unchanged. A call refused for the bound or the share never
// reaches the breaker: the upstream is busy, not failing.
func Call[T any](ctx context.Context, g *Guard, fn func(context.Context) (T, error)) (T, error) {
	var out T
	if key := g.shareKey(ctx); key != "" {
		if !g.shares.take(key) {
			g.metrics.count(g.name, "over_share")
			return out, errOverShare
		}
		defer g.shares.give(key)
	}
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

// shareKey is the key the call's client is counted under, "" when the
// share is off or the call has no client (the gateway's own calls).
func (g *Guard) shareKey(ctx context.Context) string {
	if g.shares == nil {
		return ""
	}
	c, _ := ctx.Value(clientKey{}).(Client)
	if c.Token != "" && !g.byAddress {
		return "token:" + c.Token
	}
	if c.Addr != "" {
		return "addr:" + c.Addr
	}
	return ""
}

// Client is who a call is made for, as far as the gateway knows before
// checking a token: the token it presents (if any) and its address
// (clientip). A token, once presented, is the client: a user's calls from
// anywhere share one share, and users behind one address (a NAT, an office)
// do not share theirs.
type Client struct {
	Token string
	Addr  string
}

type clientKey struct{}

// WithClient returns a context whose guarded calls count against c's share.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// HasClient says whether ctx already names its client.
func HasClient(ctx context.Context) bool {
	_, ok := ctx.Value(clientKey{}).(Client)
	return ok
}

// shares counts each client's calls in flight. A key lives only while its
// client has a call under way, so the map holds at most MaxInFlight keys
// (with the tokens in it only as long as their calls last).
type shares struct {
	limit int
	mu    sync.Mutex
	held  map[string]int
}

func (s *shares) take(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key] >= s.limit {
		return false
	}
	s.held[key]++
	return true
}

func (s *shares) give(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key] <= 1 {
		delete(s.held, key)
		return
	}
	s.held[key]--
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
			Help: "Calls from the gateway to an upstream service, by result (ok, client_error, failure, rejected: breaker open, shed: too many in flight, over_share: the client past its share of the calls in flight, canceled).",
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

// Share is the setting of a client's share of each upstream's bound:
// "auto" (DefaultClientShare of the bound), a number of calls, or 0 or
// less for none. Its value is what Settings.ClientShare takes.
type Share int

// ShareOff is the Share that turns the per-client share off.
const ShareOff Share = -1

// UnmarshalText reads "auto" or a whole number of calls.
func (s *Share) UnmarshalText(text []byte) error {
	if string(text) == "auto" {
		*s = 0
		return nil
	}
	n, err := strconv.Atoi(string(text))
	if err != nil {
		return fmt.Errorf("client share %q: want auto or a number of calls (0 for none)", text)
	}
	*s = Share(n)
	if n <= 0 {
		*s = ShareOff
	}
	return nil
}

// String writes the share as UnmarshalText reads it.
func (s Share) String() string {
	switch {
	case s == 0:
		return "auto"
	case s < 0:
		return "0"
	}
	return strconv.Itoa(int(s))
}
