package auth

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/logging"
)

// ThrottleRule is how many failed logins a key (a username or a client
// address) may have in a burst, and how often it earns one more.
type ThrottleRule struct {
	Burst int
	Every time.Duration
}

// failureLimiter counts failed logins per key in process memory. It tracks
// at most max keys: a key whose bucket has refilled is as good as unknown
// and is the first to go when room is needed, so memory stays bounded even
// when an attacker invents usernames.
type failureLimiter struct {
	rule ThrottleRule
	max  int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newFailureLimiter(rule ThrottleRule, max int) *failureLimiter {
	return &failureLimiter{rule: rule, max: max, buckets: map[string]*rate.Limiter{}}
}

// retryAfter is zero when key may try now, or how long it has to wait.
func (f *failureLimiter) retryAfter(key string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[key]
	if !ok {
		return 0
	}
	tokens := b.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(f.rule.Every))
}

// fail records a failed attempt by key.
func (f *failureLimiter) fail(key string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[key]
	if !ok {
		if len(f.buckets) >= f.max {
			f.evict(now)
		}
		b = rate.NewLimiter(rate.Every(f.rule.Every), f.rule.Burst)
		f.buckets[key] = b
	}
	b.AllowN(now, 1)
}

// evict drops refilled buckets, or, when none has refilled, the one closest
// to it. Called with mu held.
func (f *failureLimiter) evict(now time.Time) {
	victim, most := "", math.Inf(-1)
	for k, b := range f.buckets {
		t := b.TokensAt(now)
		if t >= float64(f.rule.Burst) {
			delete(f.buckets, k)
			continue
		}
		if t > most {
			victim, most = k, t
		}
	}
	if len(f.buckets) >= f.max {
		delete(f.buckets, victim)
	}
}

// loginThrottle applies the per-username and per-client rules together.
type loginThrottle struct {
	byUser, byClient *failureLimiter
}

type throttleKey struct {
	l   *failureLimiter
	key string
}

func (t loginThrottle) keys(username, client string) []throttleKey {
	out := []throttleKey{{t.byUser, UsernameKey(username)}}
	if client != "" {
		out = append(out, throttleKey{t.byClient, client})
	}
	return out
}

// check returns ErrThrottled (with Retry-After) while either key waits.
func (t loginThrottle) check(username, client string, now time.Time) error {
	var wait time.Duration
	for _, k := range t.keys(username, client) {
		wait = max(wait, k.l.retryAfter(k.key, now))
	}
	if wait == 0 {
		return nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	return ErrThrottled.WithHeader("Retry-After", strconv.Itoa(max(secs, 1)))
}

func (t loginThrottle) fail(username, client string, now time.Time) {
	for _, k := range t.keys(username, client) {
		k.l.fail(k.key, now)
	}
}

// ErrThrottled answers a login made too soon after repeated failures.
var ErrThrottled = apierr.ErrThrottled

type clientAddrKey struct{}

// ContextWithClientAddr records the address of the end client (not of a
// proxy in between), which login throttling counts failures by. The HTTP
// transport and client carry it across the wire.
func ContextWithClientAddr(ctx context.Context, addr string) context.Context {
	ctx = logging.WithAttrs(ctx, slog.String("client", addr))
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr returns the address stored by ContextWithClientAddr, or "".
func ClientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}
