package authn

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/boundedcache"
	"github.com/moviesplatform/platform/contract"
)

// Introspector tells who a token belongs to (auth.Service is one).
type Introspector interface {
	Introspect(ctx context.Context, token string) (contract.Identity, error)
}

// CacheSettings bound the introspection cache.
type CacheSettings struct {
	// TTL is how long a valid token's identity is trusted without asking
	// again: the longest a token revoked through another gateway keeps working.
	TTL time.Duration
	// NegativeTTL is how long an invalid token is remembered as invalid. It is
	// short so a token used right after it was issued is not refused for long.
	NegativeTTL time.Duration
	// MaxEntries bounds memory; past it, the least recently used go.
	MaxEntries int
}

func (s CacheSettings) withDefaults() CacheSettings {
	if s.TTL < 0 {
		s.TTL = 0
	}
	if s.NegativeTTL <= 0 {
		s.NegativeTTL = min(s.TTL, time.Second)
	}
	if s.MaxEntries <= 0 {
		s.MaxEntries = 100_000
	}
	return s
}

type key [sha256.Size]byte

type entry struct {
	identity contract.Identity
	valid    bool
	// refusal is auth-svc's answer for a token it refused (invalid or
	// expired); nil means ErrInvalidToken.
	refusal error
}

// Cache is an Introspector that remembers answers. Only definite answers are
// kept (an identity, or "invalid token"): an unreachable auth-svc is asked
// again next time. Tokens are kept only as hashes.
type Cache struct {
	next     Introspector
	settings CacheSettings
	flights  singleflight.Group
	lookups  *prometheus.CounterVec
	entries  *boundedcache.Cache[key, entry]
	// mu makes put's "not forgotten meanwhile, so keep" exclusive with
	// Forget.
	mu sync.Mutex
}

// NewCache wraps next; reg may be nil.
func NewCache(next Introspector, s CacheSettings, reg prometheus.Registerer) *Cache {
	s = s.withDefaults()
	c := &Cache{
		next:     next,
		settings: s,
		entries:  boundedcache.New(s.MaxEntries, func(key, entry) int { return 1 }),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_auth_cache_lookups_total",
			Help: "Token introspections by the gateway, by result: hit (answered from memory) or miss (asked auth-svc).",
		}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(c.lookups)
	}
	return c
}

// Introspect answers from memory when it can, otherwise asks next once for
// all concurrent callers with the same token.
func (c *Cache) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	k := key(sha256.Sum256([]byte(token)))
	if e, ok := c.entries.Get(k); ok {
		c.lookups.WithLabelValues("hit").Inc()
		if !e.valid {
			if e.refusal != nil {
				return contract.Identity{}, e.refusal
			}
			return contract.Identity{}, apierr.ErrInvalidToken
		}
		return e.identity, nil
	}
	c.lookups.WithLabelValues("miss").Inc()
	v, err, _ := c.flights.Do(string(k[:]), func() (any, error) {
		// Shared by every waiter, so no single caller's cancellation may end it;
		// the upstream guard's deadline bounds it instead.
		id, err := c.next.Introspect(context.WithoutCancel(ctx), token)
		switch {
		case err == nil:
			c.put(k, entry{identity: id, valid: true}, c.settings.TTL)
		case apierr.KindOf(err) == apierr.Unauthenticated: // invalid or expired
			c.put(k, entry{refusal: err}, c.settings.NegativeTTL)
		}
		return id, err
	})
	if err != nil {
		return contract.Identity{}, err
	}
	return v.(contract.Identity), nil
}

// Forget marks token invalid at once, for the full TTL, so an introspection
// already in flight cannot bring the revoked token back into the cache.
func (c *Cache) Forget(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries.Add(key(sha256.Sum256([]byte(token))), entry{}, max(c.settings.TTL, c.settings.NegativeTTL))
}

// ForgetUser drops every answer naming username, so a change to the user
// (disabled, demoted, tokens revoked) holds on this gateway at once. Other
// replicas learn it when their answers expire: TTL is the bound.
func (c *Cache) ForgetUser(username string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries.RemoveFunc(func(_ key, e entry) bool { return e.valid && e.identity.Username == username })
}

func (c *Cache) put(k key, e entry, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries.Get(k); ok && !old.valid && e.valid {
		return // forgotten (revoked) while this answer was on its way
	}
	c.entries.Add(k, e, ttl)
}

// Len is the number of entries held, expired ones included until evicted.
func (c *Cache) Len() int { return c.entries.Len() }
