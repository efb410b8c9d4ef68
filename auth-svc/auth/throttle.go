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

// reserve takes one attempt of key's bucket before the password is
// checked, so concurrent attempts cannot all pass a check made before any
// of them failed. It answers how long key must wait instead when its bucket
// is empty; a taken reservation is handed back with refund when the
// attempt succeeds.
func (f *failureLimiter) reserve(key string, now time.Time) (*rate.Reservation, time.Duration) {
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
	r := b.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return nil, wait
	}
	return r, 0
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

// keys are the buckets a login attempt draws from: the username from this
// client, and the client. There is deliberately no bucket per username
// alone: anyone could empty it and lock its owner out; a client that
// guesses gets slower and slower instead.
func (t loginThrottle) keys(username, client string) []throttleKey {
	out := []throttleKey{{t.byUser, UsernameKey(username) + "|" + client}}
	if client != "" {
		out = append(out, throttleKey{t.byClient, client})
	}
	return out
}

type throttleKey struct {
	l   *failureLimiter
	key string
}

// attempt is a login attempt holding its throttle slots.
type attempt struct {
	reserved []*rate.Reservation
	at       time.Time
}

// succeeded hands the slots back: only failures count.
func (a attempt) succeeded() {
	for _, r := range a.reserved {
		r.CancelAt(a.at)
	}
}

// begin reserves an attempt's slots, or returns ErrThrottled (with
// Retry-After) while any of its keys must wait.
func (t loginThrottle) begin(username, client string, now time.Time) (attempt, error) {
	a := attempt{at: now}
	var wait time.Duration
	for _, k := range t.keys(username, client) {
		r, w := k.l.reserve(k.key, now)
		if r != nil {
			a.reserved = append(a.reserved, r)
		}
		wait = max(wait, w)
	}
	if wait == 0 {
		return a, nil
	}
	a.succeeded() // a refused attempt costs none of its other slots
	secs := int(math.Ceil(wait.Seconds()))
	return attempt{}, ErrThrottled.WithHeader("Retry-After", strconv.Itoa(max(secs, 1)))
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
