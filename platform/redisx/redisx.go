// Package redisx is Redis for a cache that must never slow its service
// down: a go-redis client whose every call has a time budget and goes
// through a circuit breaker. A call answers within the budget or fails;
// while Redis keeps failing, calls fail at once without touching the
// network. Callers treat a failure as a miss (or a deferred write) and go
// on without Redis.
package redisx

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// TripAfter is how many failures in a row open the breaker.
const TripAfter = 5

// Settings configure a Client.
type Settings struct {
	// Addr is Redis as host:port.
	Addr     string
	Password string
	DB       int
	// Budget bounds each call: dial, pool wait, write and read together.
	Budget time.Duration
	// BreakerOpen is how long Redis is left alone once the breaker opens.
	BreakerOpen time.Duration
	// Name names the breaker.
	Name string
}

// Hooks observe a Client, for its owner's metrics; nil hooks are skipped.
type Hooks struct {
	// Failure is told of every call that failed or ran out of budget,
	// under the caller's name for it. A caller that went away is no
	// failure of Redis and is not told.
	Failure func(op string, err error)
	// BreakerState is told of every change of the breaker's state.
	BreakerState func(gobreaker.State)
}

// Client is Redis on a budget. Use Do for every call that serves a
// request; Redis is for what has no single budget (a subscription).
type Client struct {
	rdb     *redis.Client
	cb      *gobreaker.CircuitBreaker[struct{}]
	budget  time.Duration
	failure func(op string, err error)
}

// New returns a client for s. It connects lazily: Redis down at start is
// not an error, only the first calls' failure.
func New(s Settings, h Hooks) *Client {
	c := &Client{
		rdb: redis.NewClient(&redis.Options{
			Addr:     s.Addr,
			Password: s.Password,
			DB:       s.DB,
			// The budget is the context's deadline; go-redis must honour it
			// on dial, write and read, and never retry past it.
			ContextTimeoutEnabled: true,
			MaxRetries:            -1,
			DialTimeout:           max(s.Budget, 100*time.Millisecond),
			ReadTimeout:           time.Second,
			WriteTimeout:          time.Second,
			PoolTimeout:           s.Budget,
			DisableIdentity:       true,
			// One dial per call: a refused connection fails the call at
			// once instead of spending the budget on backoff.
			DialerRetries: 1,
		}),
		budget:  s.Budget,
		failure: h.Failure,
	}
	c.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        s.Name,
		MaxRequests: 1,
		Timeout:     s.BreakerOpen,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= TripAfter },
		// A caller that went away says nothing about Redis.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if h.BreakerState != nil {
				h.BreakerState(to)
			}
		},
	})
	return c
}

// Do runs fn within the budget and through the breaker; op names the call
// for the Failure hook. fn must use the ctx it is given.
func (c *Client) Do(ctx context.Context, op string, fn func(ctx context.Context, rdb *redis.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.budget)
	defer cancel()
	_, err := c.cb.Execute(func() (struct{}, error) { return struct{}{}, fn(ctx, c.rdb) })
	if err != nil && !errors.Is(err, context.Canceled) && c.failure != nil {
		c.failure(op, err)
	}
	return err
}

// Redis is the client without budget or breaker, for calls that are not
// one request's (a subscription held for as long as the process runs).
func (c *Client) Redis() *redis.Client { return c.rdb }

// State is the breaker's state: closed, half-open or open.
func (c *Client) State() string { return c.cb.State().String() }

// Close closes the connections.
func (c *Client) Close() error { return c.rdb.Close() }

// IgnoreNil turns go-redis's "no such key" into no error.
func IgnoreNil(err error) error {
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

// Reason classifies a failure of Do for a metric label: breaker_open,
// timeout or error.
func Reason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return "breaker_open"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		return "error"
	}
}

// Reasons are the values Reason returns, for counters to start at zero.
func Reasons() []string { return []string{"breaker_open", "timeout", "error"} }
