package authn

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/moviesplatform/platform/apierr"
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
	// MaxEntries bounds memory; past it, entries are dropped.
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
	expires  time.Time
}

// Cache is an Introspector that remembers answers. Only definite answers are
// kept (an identity, or "invalid token"): an unreachable auth-svc is asked
// again next time. Tokens are kept only as hashes.
type Cache struct {
	next     Introspector
	settings CacheSettings
	now      func() time.Time
	flights  singleflight.Group
	lookups  *prometheus.CounterVec

	mu      sync.Mutex
	entries map[key]entry
}

// NewCache wraps next; reg may be nil.
func NewCache(next Introspector, s CacheSettings, reg prometheus.Registerer) *Cache {
	c := &Cache{
		next:     next,
		settings: s.withDefaults(),
		now:      time.Now,
		entries:  map[key]entry{},
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
	if e, ok := c.get(k); ok {
		c.lookups.WithLabelValues("hit").Inc()
		if !e.valid {
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
		case errors.Is(err, apierr.ErrInvalidToken):
			c.put(k, entry{}, c.settings.NegativeTTL)
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
	k := key(sha256.Sum256([]byte(token)))
	c.entries[k] = entry{expires: c.now().Add(max(c.settings.TTL, c.settings.NegativeTTL))}
}

func (c *Cache) get(k key) (entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return entry{}, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, k)
		return entry{}, false
	}
	return e, true
}

func (c *Cache) put(k key, e entry, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	now := c.now()
	e.expires = now.Add(ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[k]; ok && !old.valid && now.Before(old.expires) && e.valid {
		return // forgotten (revoked) while this answer was on its way
	}
	if len(c.entries) >= c.settings.MaxEntries {
		c.evict(now)
	}
	c.entries[k] = e
}

// evict drops expired entries, and when none are, an arbitrary tenth of the
// rest: a bounded cache that may miss a little more under churn, with no
// bookkeeping on the hit path.
func (c *Cache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) < c.settings.MaxEntries {
		return
	}
	drop := max(1, c.settings.MaxEntries/10)
	for k := range c.entries {
		if drop <= 0 {
			break
		}
		delete(c.entries, k)
		drop--
	}
}

// Len is the number of entries held, expired ones included until swept.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
