package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/redisx"
)

// Settings configure a Limiter.
type Settings struct {
	// Redis shares the limits between gateway replicas; nil keeps them in
	// this process (one replica, or limits per replica). Past its budget,
	// or while its breaker is open, the local limiter decides.
	Redis *redisx.Client
	// Namespace starts every Redis key.
	Namespace string
	// MaxLocalKeys bounds the keys the local limiter tracks (least recently
	// used go first), so invented keys cannot grow memory.
	MaxLocalKeys int
}

// Limiter decides whether a key may make one more request under a rule.
type Limiter struct {
	redis  *redisx.Client
	shared *redis_rate.Limiter
	ns     string
	local  *localLimiters

	limited  *prometheus.CounterVec
	fallback prometheus.Counter
}

// New returns a limiter; its metrics go to reg.
func New(s Settings, reg prometheus.Registerer) *Limiter {
	if s.MaxLocalKeys <= 0 {
		s.MaxLocalKeys = 100_000
	}
	cache, _ := lru.New[string, *rate.Limiter](s.MaxLocalKeys) // only fails for a size <= 0
	l := &Limiter{
		redis: s.Redis,
		ns:    s.Namespace,
		local: &localLimiters{keys: cache},
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_rate_limited_total",
			Help: "Requests refused with 429 by a rate limit, by policy.",
		}, []string{"policy"}),
		fallback: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_rate_limit_local_decisions_total",
			Help: "Rate-limit decisions made locally because the shared store (Redis) failed or its breaker was open.",
		}),
	}
	reg.MustRegister(l.limited, l.fallback)
	if s.Redis != nil {
		l.shared = redis_rate.NewLimiter(s.Redis.Redis())
	}
	return l
}

// InitPolicies makes the refusal counters of rules exist from start-up.
func (l *Limiter) InitPolicies(rules ...Rule) {
	for _, r := range rules {
		l.limited.WithLabelValues(r.Name)
	}
}

// Allow spends one request of key under rule.
func (l *Limiter) Allow(ctx context.Context, rule Rule, key string) Decision {
	if l.shared != nil {
		var res *redis_rate.Result
		err := l.redis.Do(ctx, "allow", func(ctx context.Context, _ *redis.Client) error {
			var err error
			res, err = l.shared.Allow(ctx, l.ns+":"+rule.Name+":"+key, redis_rate.Limit{
				Rate: rule.Rate, Period: rule.Period, Burst: rule.Burst,
			})
			return err
		})
		if err == nil {
			return Decision{Allowed: res.Allowed > 0, Remaining: res.Remaining, RetryAfter: res.RetryAfter, ResetAfter: res.ResetAfter}
		}
		if !errors.Is(err, context.Canceled) {
			l.fallback.Inc()
		}
	}
	return l.local.allow(rule, key, time.Now())
}

// localLimiters keeps one token bucket per rule and key.
type localLimiters struct {
	mu   sync.Mutex
	keys *lru.Cache[string, *rate.Limiter]
}

func (ls *localLimiters) allow(rule Rule, key string, now time.Time) Decision {
	every := rule.Period / time.Duration(rule.Rate)
	k := rule.Name + ":" + key
	ls.mu.Lock()
	lim, ok := ls.keys.Get(k)
	if !ok {
		lim = rate.NewLimiter(rate.Every(every), rule.Burst)
		ls.keys.Add(k, lim)
	}
	ls.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return Decision{RetryAfter: wait, ResetAfter: time.Duration(rule.Burst) * every}
	}
	tokens := lim.TokensAt(now)
	return Decision{
		Allowed:    true,
		Remaining:  int(math.Max(0, math.Floor(tokens))),
		ResetAfter: time.Duration(float64(rule.Burst)-tokens) * every,
	}
}

// Refuse writes the 429 of a refused request.
func (l *Limiter) refuse(w http.ResponseWriter, r *http.Request, rule Rule, d Decision) {
	l.limited.WithLabelValues(rule.Name).Inc()
	secs := strconv.Itoa(max(1, int(math.Ceil(d.RetryAfter.Seconds()))))
	apierr.Encode(r.Context(), apierr.ErrThrottled.WithHeader("Retry-After", secs), w)
}

// setHeaders adds the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers): the policy's quota and window, and
// what the key has left and when it is whole again.
func setHeaders(h http.Header, policy, name string, d Decision) {
	h["Ratelimit-Policy"] = []string{policy}
	h["Ratelimit"] = []string{`"` + name + `";r=` + strconv.Itoa(d.Remaining) + ";t=" +
		strconv.Itoa(int(math.Ceil(d.ResetAfter.Seconds())))}
}

// TokenKey is the key of a token holder's bucket: a digest, so that no
// token is ever written to Redis.
func TokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "token:" + hex.EncodeToString(sum[:16])
}
