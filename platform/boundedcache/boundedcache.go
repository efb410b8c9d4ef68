// Package boundedcache is the in-process cache the caching tiers share: a
// least-recently-used map (hashicorp/golang-lru) whose entries expire, and
// whose total cost (bytes, or one per entry) never exceeds a bound. What a
// tier keeps may grow with its input only up to that bound: an entry too
// costly for it is not kept, and adding one evicts the least recently used
// until the rest fit.
package boundedcache

import (
	"math"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Cache maps K to V for a time each, within MaxCost. Safe for concurrent
// use. A nil *Cache holds nothing.
type Cache[K comparable, V any] struct {
	maxCost int
	cost    func(K, V) int

	mu   sync.Mutex
	now  func() time.Time
	lru  *simplelru.LRU[K, item[V]]
	used int
}

type item[V any] struct {
	value   V
	cost    int
	expires time.Time
}

// New returns a cache whose entries' costs (cost of each key and value, at
// least 1) add up to at most maxCost.
func New[K comparable, V any](maxCost int, cost func(K, V) int) *Cache[K, V] {
	c := &Cache[K, V]{maxCost: maxCost, cost: cost, now: time.Now}
	// The bound is the cost, not the count: the LRU's own size never binds.
	c.lru, _ = simplelru.NewLRU[K, item[V]](math.MaxInt, func(_ K, it item[V]) { c.used -= it.cost })
	return c
}

// SetClock replaces time.Now, for tests.
func (c *Cache[K, V]) SetClock(now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// Get returns the live value under k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	if c == nil {
		var zero V
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.lru.Get(k)
	if ok && !c.now().Before(it.expires) {
		c.lru.Remove(k)
		ok = false
	}
	return it.value, ok
}

// Add keeps v under k for ttl, replacing what k held, and evicts the least
// recently used entries until the total cost fits. It reports false, and
// keeps nothing, when ttl is not positive or v alone costs more than
// maxCost.
func (c *Cache[K, V]) Add(k K, v V, ttl time.Duration) bool {
	if c == nil || ttl <= 0 {
		return false
	}
	cost := max(1, c.cost(k, v))
	if cost > c.maxCost {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(k)
	c.lru.Add(k, item[V]{value: v, cost: cost, expires: c.now().Add(ttl)})
	c.used += cost
	for c.used > c.maxCost {
		c.lru.RemoveOldest()
	}
	return true
}

// Remove forgets k.
func (c *Cache[K, V]) Remove(k K) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(k)
}

// RemoveFunc forgets every entry for which drop is true. It visits every
// entry: for rare events (a write), not for every request.
func (c *Cache[K, V]) RemoveFunc(drop func(K, V) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.lru.Keys() {
		if it, ok := c.lru.Peek(k); ok && drop(k, it.value) {
			c.lru.Remove(k)
		}
	}
}

// Cost is the total cost of the entries held, expired ones included until
// they are looked up or evicted.
func (c *Cache[K, V]) Cost() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// Len is the number of entries held, expired ones included.
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// MaxCost is the bound on the total cost.
func (c *Cache[K, V]) MaxCost() int {
	if c == nil {
		return 0
	}
	return c.maxCost
}
