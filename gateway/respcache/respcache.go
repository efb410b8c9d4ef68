// Package respcache keeps whole answers of the gateway's public GETs in
// process for a short time, so a burst of reads of the same page costs one
// call to the catalog. Staleness is bounded by the TTL; a write through
// this gateway drops the movie's own answers at once. List pages and search
// answers live out their TTL: every write changes some of them, so dropping
// them on each write would leave them uncached at the write rate of a busy
// hour (docs/scaling.md), and the clients that need their own
// writes at once (admins) read past the cache. A CDN honouring the answers'
// max-age holds them as long anyway.
package respcache

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Settings bound the cache.
type Settings struct {
	// TTL is how long an answer is served from the cache; 0 turns it off.
	TTL time.Duration
	// MaxBytes bounds the bodies held; the least room is a few list pages.
	MaxBytes int
}

// Entry is one cached answer: a 200 with its headers and body.
type Entry struct {
	Header http.Header
	Body   []byte
	// Movie is the movie a detail answer is about; 0 for a list page.
	Movie int64
	// FromIndex marks an answer of the search index (SharedSettings.IndexLag).
	FromIndex bool

	expires time.Time
}

func (e *Entry) size() int { return len(e.Body) + 512 } // headers and bookkeeping, roughly

// Cache is a bounded map of answers with a TTL. A nil *Cache caches nothing.
type Cache struct {
	ttl      time.Duration
	maxBytes int
	now      func() time.Time

	mu      sync.Mutex
	entries map[string]*Entry
	bytes   int
	// gen counts writes, so an answer fetched before one is not stored
	// after it.
	gen uint64

	lookups *prometheus.CounterVec
}

// New returns a cache, or nil when s turns it off; reg may be nil.
func New(s Settings, reg prometheus.Registerer) *Cache {
	if s.TTL <= 0 || s.MaxBytes <= 0 {
		return nil
	}
	c := &Cache{ttl: s.TTL, maxBytes: s.MaxBytes, now: time.Now, entries: map[string]*Entry{}}
	c.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_response_cache_lookups_total",
		Help: "Public GETs by how the gateway's answer cache took them: hit, miss, or bypass (an admin, or a token that did not check out).",
	}, []string{"result"})
	if reg != nil {
		reg.MustRegister(c.lookups, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gateway_response_cache_bytes",
			Help: "Bytes of answers held by the gateway's answer cache.",
		}, func() float64 {
			c.mu.Lock()
			defer c.mu.Unlock()
			return float64(c.bytes)
		}))
	}
	return c
}

// SetClock replaces time.Now, for tests.
func (c *Cache) SetClock(now func() time.Time) { c.now = now }

// Bypass counts a request the cache must not answer.
func (c *Cache) Bypass() {
	if c != nil {
		c.lookups.WithLabelValues("bypass").Inc()
	}
}

// Get returns the live entry under key, and the generation to Put a fresh
// answer with when there is none.
func (c *Cache) Get(key string) (*Entry, uint64) {
	if c == nil {
		return nil, 0
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && !c.now().Before(e.expires) {
		c.remove(key, e)
		ok = false
	}
	gen := c.gen
	c.mu.Unlock()
	if ok {
		c.lookups.WithLabelValues("hit").Inc()
		return e, gen
	}
	c.lookups.WithLabelValues("miss").Inc()
	return nil, gen
}

// Peek returns the live entry under key, without counting a lookup: for a
// second look after waiting for another request's fill.
func (c *Cache) Peek(key string) *Entry {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && c.now().Before(e.expires) {
		return e
	}
	return nil
}

// Put stores e under key unless a write happened since gen was read.
// Entries are never changed once stored.
func (c *Cache) Put(key string, gen uint64, e *Entry) {
	if c == nil || e.size() > c.maxBytes/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if gen != c.gen {
		return
	}
	if old, ok := c.entries[key]; ok {
		c.remove(key, old)
	}
	e.expires = now.Add(c.ttl)
	c.entries[key] = e
	c.bytes += e.size()
	if c.bytes > c.maxBytes {
		c.evict()
	}
}

// evict drops expired entries, then arbitrary ones (Go's map order) until
// the bodies fit: with a TTL of a second or two, which entry goes matters
// little, and the hot ones come back at once.
func (c *Cache) evict() {
	now := c.now()
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			c.remove(k, e)
		}
	}
	for k, e := range c.entries {
		if c.bytes <= c.maxBytes*3/4 {
			return
		}
		c.remove(k, e)
	}
}

func (c *Cache) remove(key string, e *Entry) {
	delete(c.entries, key)
	c.bytes -= e.size()
}

// DropMovie drops the answers about movie id (0 for none, as after a
// create), and keeps any answer fetched before the write from being stored.
// List pages stay for their TTL (see the package comment).
func (c *Cache) DropMovie(id int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if id == 0 {
		return
	}
	for k, e := range c.entries {
		if e.Movie == id {
			c.remove(k, e)
		}
	}
}
