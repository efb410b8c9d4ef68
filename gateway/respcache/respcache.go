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
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/boundedcache"
)

// Settings bound the cache.
type Settings struct {
	// TTL is how long an answer is served from the cache; 0 turns it off.
	TTL time.Duration
	// MaxBytes bounds what the cache holds: keys, headers and bodies.
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
}

// entryOverhead is what an entry costs beyond its key, headers and body:
// the LRU's element and map slot, the Entry and its header map.
const entryOverhead = 256

// Size is what keeping e under key costs, in bytes: every byte the client
// sent that made the key, and every byte of the answer.
func Size(key string, e *Entry) int {
	n := entryOverhead + len(key) + len(e.Body)
	for k, vs := range e.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v) + 16
		}
	}
	return n
}

// Cache holds answers for a TTL within MaxBytes. Keys are canonical (the
// caller's cacheKey: a parsed query, never the raw one), so a client cannot
// make more entries than there are distinct answers, and every byte kept
// is counted against the bound. A nil *Cache caches nothing.
type Cache struct {
	ttl     time.Duration
	entries *boundedcache.Cache[string, *Entry]

	// writes fences fills against writes: an answer fetched before a
	// write is not stored after it.
	writes boundedcache.Fence

	lookups *prometheus.CounterVec
}

// New returns a cache, or nil when s turns it off; reg may be nil.
func New(s Settings, reg prometheus.Registerer) *Cache {
	if s.TTL <= 0 || s.MaxBytes <= 0 {
		return nil
	}
	c := &Cache{ttl: s.TTL, entries: boundedcache.New(s.MaxBytes, Size)}
	c.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_response_cache_lookups_total",
		Help: "Public GETs by how the gateway's answer cache took them: hit, miss, or bypass (an admin, or a token that did not check out).",
	}, []string{"result"})
	if reg != nil {
		reg.MustRegister(c.lookups, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gateway_response_cache_bytes",
			Help: "Bytes held by the gateway's answer cache: keys, headers and bodies.",
		}, func() float64 { return float64(c.Bytes()) }))
	}
	return c
}

// Bytes is what the cache holds (Size of every entry).
func (c *Cache) Bytes() int {
	if c == nil {
		return 0
	}
	return c.entries.Cost()
}

// Len is how many answers the cache holds.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	return c.entries.Len()
}

// SetClock replaces time.Now, for tests.
func (c *Cache) SetClock(now func() time.Time) { c.entries.SetClock(now) }

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
	gen := c.writes.Current()
	if e, ok := c.entries.Get(key); ok {
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
	e, _ := c.entries.Get(key)
	return e
}

// Put stores e under key unless a write happened since gen was read, or
// e would take more than a sixteenth of the room (a few huge pages must not
// push out every small one). Entries are never changed once stored.
func (c *Cache) Put(key string, gen uint64, e *Entry) {
	if c == nil || Size(key, e) > c.maxEntryBytes() {
		return
	}
	c.writes.Keep(gen, func() { c.entries.Add(key, e, c.ttl) })
}

func (c *Cache) maxEntryBytes() int { return c.entries.MaxCost() / 16 }

// DropMovie drops the answers about movie id (0 for none, as after a
// create), and keeps any answer fetched before the write from being stored.
// List pages stay for their TTL (see the package comment).
func (c *Cache) DropMovie(id int64) {
	if c == nil {
		return
	}
	c.writes.Advance(func() {
		if id != 0 {
			c.entries.RemoveFunc(func(_ string, e *Entry) bool { return e.Movie == id })
		}
	})
}
