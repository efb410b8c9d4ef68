package auth

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/redisx"
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
	// shared, when set, keeps the buckets in Redis under ns, so that every
	// replica counts the same failures; the buckets in memory decide while
	// Redis fails or its breaker is open.
	shared *redisx.Client
	ns     string

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newFailureLimiter(rule ThrottleRule, max int) *failureLimiter {
	return &failureLimiter{rule: rule, max: max, buckets: map[string]*rate.Limiter{}}
}

// sharedReserve is GCRA over one Redis key holding the bucket's theoretical
// arrival time (ms, on Redis's clock, so replicas' clocks do not matter).
// ARGV: the interval per attempt (ms), the burst, and the cost: 1 takes an
// attempt (refused with the wait in ms when the bucket is empty), -1 hands
// one back. redis_rate (github.com/go-redis/redis_rate) has no refund, and
// a negative cost is undocumented there; an INCR/EXPIRE counter would be a
// fixed window, letting twice the burst through across a window's edge. So
// the refund a correct login needs is this script's -1, atomic with the
// bucket it corrects.
var sharedReserve = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local every, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new = tat + every * cost
if cost > 0 and new - every * burst > now then
  return new - every * burst - now
end
if new <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], new, 'PX', math.ceil(new - now))
end
return 0
`)

// reserve takes one attempt of key's bucket (see reserveLocal), in Redis
// when the limiter is shared and Redis answers, else in memory. It returns
// how to hand the attempt back, or how long key must wait.
func (f *failureLimiter) reserve(ctx context.Context, key string, now time.Time) (refund func(), wait time.Duration) {
	if f.shared == nil {
		return f.reserveLocal(key, now)
	}
	every := max(1, f.rule.Every.Milliseconds())
	run := func(ctx context.Context, cost int) (int64, error) {
		var ms int64
		err := f.shared.Do(ctx, "login-throttle", func(ctx context.Context, rdb *redis.Client) error {
			var err error
			ms, err = sharedReserve.Run(ctx, rdb, []string{f.ns + key}, every, f.rule.Burst, cost).Int64()
			return err
		})
		return ms, err
	}
	ms, err := run(ctx, 1)
	if err != nil {
		return f.reserveLocal(key, now)
	}
	if ms > 0 {
		return nil, time.Duration(ms) * time.Millisecond
	}
	return func() {
		// The login is over; its refund must not die with its request.
		_, _ = run(context.WithoutCancel(ctx), -1) // lost while Redis fails: one failure too many, never one too few
	}, 0
}

// reserve takes one attempt of key's bucket before the password is
// checked, so concurrent attempts cannot all pass a check made before any
// of them failed. It answers how long key must wait instead when its bucket
// is empty; a taken reservation is handed back with refund when the
// attempt succeeds.
func (f *failureLimiter) reserveLocal(key string, now time.Time) (refund func(), wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := bounded(f.buckets, key, f.max, func() { f.evict(now) }, func() *rate.Limiter {
		return rate.NewLimiter(rate.Every(f.rule.Every), f.rule.Burst)
	})
	r := b.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return nil, wait
	}
	return func() { r.CancelAt(now) }, 0
}

// bounded returns m's value for key, or adds one made by add, calling
// evict first when m already holds max keys; found tells which.
func bounded[V any](m map[string]V, key string, max int, evict func(), add func() V) (v V, found bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	if len(m) >= max {
		evict()
	}
	v = add()
	m[key] = v
	return v, false
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

// backoff is the progressive delay of one client guessing one username:
// past the username rule's burst, each failure doubles the wait before the
// next attempt, up to a cap, until a login succeeds. It is keyed by
// username and client together, so a third party's failures slow down only
// that third party: the user logging in from anywhere else never waits for
// them. Like failureLimiter, it tracks at most max keys.
type backoff struct {
	free      int           // failures before any delay (the username burst)
	base, cap time.Duration // the first delay, and the longest
	max       int
	// shared, when set, keeps the delays in Redis under ns, so that every
	// replica makes a guesser wait alike; the delays in memory decide while
	// Redis fails.
	shared *redisx.Client
	ns     string

	mu   sync.Mutex
	keys map[string]*backoffState
}

type backoffState struct {
	failures int
	last     time.Time // the latest failure
	until    time.Time // no attempt before
}

// quiet tells whether the key has had no failure and no delay for longer
// than cap: it starts over, and may be forgotten.
func (s *backoffState) quiet(now time.Time, cap time.Duration) bool {
	end := s.last
	if s.until.After(end) {
		end = s.until
	}
	return now.Sub(end) > cap
}

func newBackoff(free int, base, cap time.Duration, max int) *backoff {
	return &backoff{free: free, base: base, cap: cap, max: max, keys: map[string]*backoffState{}}
}

// sharedBackoff keeps a key's delay as a hash (f: failures, u: no attempt
// before, ms on Redis's clock) expiring a cap after its last failure or
// delay, which is when a quiet key starts over. ARGV[1] "wait" answers the
// ms left to wait; "fail" with the burst, base and cap (ms) counts a
// failure and sets the next delay.
var sharedBackoff = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] == 'wait' then
  local u = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
  if u > now then return u - now end
  return 0
end
local free, base, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0') + 1
local u = 0
local over = f - free
if over > 0 then
  local d = cap
  if over <= 30 and base * 2 ^ (over - 1) < cap then d = base * 2 ^ (over - 1) end
  u = now + math.floor(d)
end
redis.call('HSET', KEYS[1], 'f', f, 'u', u)
redis.call('PEXPIRE', KEYS[1], math.max(u, now) - now + cap)
return 0
`)

// run calls sharedBackoff for key; ok is false when there is no shared
// store or it failed, and the caller decides in memory.
func (b *backoff) run(ctx context.Context, key string, args ...any) (ms int64, ok bool) {
	if b.shared == nil {
		return 0, false
	}
	err := b.shared.Do(ctx, "login-backoff", func(ctx context.Context, rdb *redis.Client) error {
		var err error
		ms, err = sharedBackoff.Run(ctx, rdb, []string{b.ns + key}, args...).Int64()
		return err
	})
	return ms, err == nil
}

// wait is how long key must wait before its next attempt.
func (b *backoff) wait(ctx context.Context, key string, now time.Time) time.Duration {
	if ms, ok := b.run(ctx, key, "wait"); ok {
		return time.Duration(ms) * time.Millisecond
	}
	return b.waitLocal(key, now)
}

// failed counts a failure of key and sets its next delay.
func (b *backoff) failed(ctx context.Context, key string, now time.Time) {
	if _, ok := b.run(ctx, key, "fail", b.free, b.base.Milliseconds(), b.cap.Milliseconds()); !ok {
		b.failedLocal(key, now)
	}
}

// forget clears key's delay: its login succeeded.
func (b *backoff) forget(ctx context.Context, key string) {
	if b.shared != nil {
		_ = b.shared.Do(ctx, "login-backoff", func(ctx context.Context, rdb *redis.Client) error {
			return rdb.Del(ctx, b.ns+key).Err()
		}) // lost while Redis fails: the delay lapses on its own
	}
	b.forgetLocal(key)
}

func (b *backoff) waitLocal(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.keys[key]
	if !ok {
		return 0
	}
	return max(0, s.until.Sub(now))
}

func (b *backoff) failedLocal(key string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, found := bounded(b.keys, key, b.max, func() { b.evict(now) }, func() *backoffState { return &backoffState{} })
	if found && s.quiet(now, b.cap) {
		// Quiet for longer than the longest delay: start over.
		s.failures = 0
	}
	s.failures++
	s.last = now
	if over := s.failures - b.free; over > 0 {
		d := b.cap
		if over <= 30 && b.base<<(over-1) < b.cap {
			d = b.base << (over - 1)
		}
		s.until = now.Add(d)
	}
}

func (b *backoff) forgetLocal(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.keys, key)
}

// evict drops keys quiet for longer than the cap, or, when none is, the one
// whose delay ends first. Called with mu held.
func (b *backoff) evict(now time.Time) {
	victim, first := "", time.Time{}
	for k, s := range b.keys {
		if s.quiet(now, b.cap) {
			delete(b.keys, k)
			continue
		}
		if victim == "" || s.until.Before(first) {
			victim, first = k, s.until
		}
	}
	if len(b.keys) >= b.max {
		delete(b.keys, victim)
	}
}

// loginThrottle applies the per-username and per-client rules together,
// and the progressive delay of each client and username.
type loginThrottle struct {
	byUser, byClient *failureLimiter
	delay            *backoff
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
	ctx      context.Context
	refunds  []func()
	delay    *backoff
	delayKey string
}

// succeeded hands the slots back: only failures count. It is also how an
// attempt that failed through no fault of the client's ends.
func (a attempt) succeeded() {
	for _, refund := range a.refunds {
		refund()
	}
}

// loggedIn ends an attempt that proved the password: its slots are handed
// back and its client's delay for the username is cleared.
func (a attempt) loggedIn() {
	a.succeeded()
	if a.delay != nil {
		a.delay.forget(context.WithoutCancel(a.ctx), a.delayKey)
	}
}

// failed ends an attempt with wrong credentials: its slots stay taken and
// the client's next attempt at the username may have to wait longer.
func (a attempt) failed(now time.Time) {
	if a.delay != nil {
		a.delay.failed(context.WithoutCancel(a.ctx), a.delayKey, now)
	}
}

// begin reserves an attempt's slots, or returns ErrThrottled (with
// Retry-After) while any of its keys must wait.
func (t loginThrottle) begin(ctx context.Context, username, client string, now time.Time) (attempt, error) {
	keys := t.keys(username, client)
	a := attempt{ctx: ctx, delay: t.delay, delayKey: keys[0].key}
	if t.delay != nil {
		// Checked before any slot is taken: a client waiting out its delay
		// spends none of its buckets.
		if wait := t.delay.wait(ctx, a.delayKey, now); wait > 0 {
			return attempt{}, throttled(wait)
		}
	}
	var wait time.Duration
	for _, k := range keys {
		refund, w := k.l.reserve(ctx, k.key, now)
		if refund != nil {
			a.refunds = append(a.refunds, refund)
		}
		wait = max(wait, w)
	}
	if wait == 0 {
		return a, nil
	}
	a.succeeded() // a refused attempt costs none of its other slots
	return attempt{}, throttled(wait)
}

// throttled is ErrThrottled with wait as its Retry-After, in whole seconds.
func throttled(wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	return ErrThrottled.WithHeader("Retry-After", strconv.Itoa(max(secs, 1)))
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

// sharedIn keeps f's buckets in Redis under ns; nil keeps them in memory.
func (f *failureLimiter) sharedIn(c *redisx.Client, ns string) *failureLimiter {
	f.shared, f.ns = c, ns
	return f
}

// sharedIn keeps b's delays in Redis under ns; nil keeps them in memory.
func (b *backoff) sharedIn(c *redisx.Client, ns string) *backoff {
	b.shared, b.ns = c, ns
	return b
}
