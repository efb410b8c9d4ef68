// Package redisx is Redis for a cache that must never slow its service
// down: a go-redis client whose every call has a time budget and goes
// through a circuit breaker. A call answers within the budget or fails;
// while Redis keeps failing, calls fail at once without touching the
// network. Callers treat a failure as a miss (or a deferred write) and go
// on without Redis.
package redisx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/moviesplatform/platform/config"
)

// TripAfter is how many failures in a row open the breaker.
const TripAfter = 5

// Settings configure a Client.
type Settings struct {
	// Addr is Redis as host:port.
	Addr string
	// Username is the ACL user; empty is "default" (requirepass).
	Username string
	Password string
	DB       int
	// TLS, when set, is how connections are encrypted and the server
	// verified (config.TLS.Config).
	TLS *tls.Config
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
			Addr:      s.Addr,
			Username:  s.Username,
			Password:  s.Password,
			DB:        s.DB,
			TLSConfig: s.TLS,
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

// SettingsFor is the connection part of Settings (address, credentials,
// TLS) from a service's config.Redis; the caller adds the budget, breaker
// and name. A TLS file that cannot be read is an error now, not at the
// first call.
func SettingsFor(c config.Redis) (Settings, error) {
	tlsConfig, err := c.TLS.Config()
	if err != nil {
		return Settings{}, fmt.Errorf("redis %s: %w", c.Addr, err)
	}
	return Settings{Addr: c.Addr, Username: c.Username, Password: c.Password, DB: c.DB, TLS: tlsConfig}, nil
}

// ErrMisconfigured wraps what Credentials reports: Redis answered, and
// refused us.
var ErrMisconfigured = errors.New("redis refuses this client's credentials or TLS")

// Credentials pings Redis and fails only when Redis refuses the client:
// a wrong password or user (WRONGPASS, NOAUTH), an ACL that forbids the
// command (NOPERM), or a TLS handshake that fails on the certificates.
// Redis down or slow is no error here: the services serve without it.
// Use it as a readiness check, so a rollout with wrong credentials stops
// at its first pod instead of running every pod without its cache.
func (c *Client) Credentials(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(c.budget, time.Second))
	defer cancel()
	err := c.rdb.Ping(ctx).Err()
	if err == nil || !refused(err) {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrMisconfigured, err)
}

// Logged is check (a Credentials) that logs every refusal as an error
// under client, for the operator reading why a pod stays unready.
func Logged(client string, log *slog.Logger, check func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		err := check(ctx)
		if err != nil {
			log.Error("redis refuses this service: fix its user, password or TLS settings", "client", client, "err", err)
		}
		return err
	}
}

// refused tells a refusal of this client by a Redis that answered from
// Redis not answering.
func refused(err error) bool {
	if redis.IsAuthError(err) || redis.IsPermissionError(err) {
		return true
	}
	var (
		unknownCA x509.UnknownAuthorityError
		badName   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		alert     tls.AlertError
		notTLS    tls.RecordHeaderError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &badName) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &notTLS)
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
