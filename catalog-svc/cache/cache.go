// Package cache is the catalog's read-through cache: a catalog.Store
// decorator, below the service, that answers movie details and list pages
// from a small in-process L1 in front of Redis (L2), and invalidates both on
// every write.
//
// Consistency, in short (catalog-svc/README.md has the whole argument):
// the pod that handled a write answers its client from fresh data at once,
// Redis is invalidated before the write returns, and other pods drop their
// L1 entries when the invalidation message arrives, within L1TTL at worst.
// Redis being slow or down never fails a request: every call has a budget
// and a circuit breaker, and reads fall through to the store.
package cache

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/boundedcache"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/readpref"
)

var errNotFound = catalog.ErrNotFound

// fillTimeout bounds one store read made on behalf of every caller waiting
// for the same key; callers themselves stop waiting when their own context
// ends.
const fillTimeout = 30 * time.Second

// Cache holds the cache's state; Store puts it in front of a store.
type Cache struct {
	cfg     Config
	keys    keys
	log     *slog.Logger
	m       *metrics
	movies  *expirable.LRU[int64, entry]
	lists   *expirable.LRU[string, entry]
	remote  *remote // nil: L1 only
	pending *pending
	flights singleflight.Group
	// fence moves to a new epoch with every invalidation this pod learns
	// of. A fill keeps its answer only under the epoch it started in, so a
	// store read from before a write is never cached after it.
	fence boundedcache.Fence
	// distrustUntil (unix nanos) is set when failed invalidations overflow
	// pending: until then Redis details are not trusted by this pod.
	distrustUntil atomic.Int64

	stop      context.CancelFunc
	closeOnce sync.Once
	bg        sync.WaitGroup // the listener and the retry loop
	fills     sync.WaitGroup // Redis writes of fills, made off the request path
}

// New builds the cache from cfg. With cfg.Redis.Addr set it connects to Redis
// lazily (Redis down at start is not an error) and listens for other pods'
// invalidations. Metrics go to reg. Close releases it. A Redis TLS file
// that cannot be read is an error.
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Cache, error) {
	return newCache(cfg, ShapeVersion, log, reg)
}

func newCache(cfg Config, version string, log *slog.Logger, reg prometheus.Registerer) (*Cache, error) {
	c := &Cache{cfg: cfg, keys: keys{ns: cfg.Namespace, version: version}, log: log, pending: newPending()}
	c.m = newMetrics(reg, func() float64 { return float64(c.pending.count()) })
	if cfg.L1Size > 0 && cfg.L1ListSize > 0 && cfg.L1TTL > 0 {
		c.movies = expirable.NewLRU[int64, entry](cfg.L1Size, nil, cfg.L1TTL)
		c.lists = expirable.NewLRU[string, entry](cfg.L1ListSize, nil, cfg.L1TTL)
	}
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	if cfg.Redis.Addr != "" {
		var err error
		if c.remote, err = newRemote(cfg, c.keys, c.m, reg); err != nil {
			stop()
			return nil, err
		}
		c.bg.Add(2)
		go func() { defer c.bg.Done(); c.listen(ctx) }()
		go func() { defer c.bg.Done(); c.retry(ctx) }()
	}
	return c, nil
}

// RedisCredentials is the readiness check of the cache's Redis: it fails
// only when Redis refuses this pod's user, password or TLS
// (redisx.Client.Credentials), never because Redis is down.
func (c *Cache) RedisCredentials(ctx context.Context) error {
	if c.remote == nil {
		return nil
	}
	return c.remote.client.Credentials(ctx)
}

// Store returns next with reads through c and every write invalidating c.
// The service above it normalizes list queries (contract.ListQuery.Normalized),
// so a page's key is its query's canonical string. A read marked for the
// primary (readpref.WithPrimary: the caller just wrote) bypasses the cache:
// put whatever marks reads above it.
func (c *Cache) Store(next catalog.Store) catalog.Store { return readThrough{c: c, next: next} }

// Status describes the cache for /readyz. Redis never makes the pod unready:
// without it the pod serves from the database.
func (c *Cache) Status(context.Context) any {
	st := map[string]any{"redis": "off", "pending_invalidations": c.pending.count()}
	if c.remote != nil {
		st["redis"] = c.remote.state()
	}
	return st
}

// InvalidateAll drops every cached list page everywhere and this pod's L1.
// Writers that bypass the service (bulk loads) call it when done; movie
// details they did not change stay valid, and "no such movie" answers for
// the ids they created expire within NegativeTTL.
func (c *Cache) InvalidateAll(ctx context.Context) {
	c.dropLocal(nil, true)
	c.invalidateRemote(ctx, nil, true, "write")
}

// Close stops listening, makes a last attempt at pending invalidations and
// closes the Redis client. Calls after the first do nothing.
func (c *Cache) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.stop()
		c.bg.Wait()
		c.fills.Wait()
		if c.remote != nil {
			c.flushPending(context.Background())
			err = c.remote.client.Close()
		}
	})
	return err
}

// dropLocal forgets ids (all movies when all) and every list page in this
// pod's L1.
func (c *Cache) dropLocal(ids []int64, all bool) {
	c.fence.Advance(func() {
		if c.movies == nil {
			return
		}
		if all {
			c.movies.Purge()
		}
		for _, id := range ids {
			c.movies.Remove(id)
		}
		c.lists.Purge()
	})
}

// invalidateRemote tells Redis (and, when announce, the other pods) about a
// write to ids. Until Redis has taken it the keys count as pending: this pod
// does not read them from Redis, so neither a read racing the invalidation
// nor one after a failed invalidation brings the old value back into its
// L1. A failed invalidation stays pending and is retried.
func (c *Cache) invalidateRemote(ctx context.Context, ids []int64, announce bool, source string) {
	if c.remote == nil {
		return
	}
	seq, fit := c.pending.add(ids)
	if !fit {
		c.distrustDetails()
	}
	if err := c.remote.invalidate(ctx, ids, announce); err != nil {
		c.m.invalidations.WithLabelValues(source, "deferred").Inc()
		c.log.Warn("catalog cache: invalidation deferred, Redis did not take it", "ids", ids, "error", err)
		return
	}
	c.pending.done(ids, seq)
	c.m.invalidations.WithLabelValues(source, "ok").Inc()
}

// distrustDetails stops this pod reading movie details from Redis for one
// DetailTTL, by which time every entry written before is gone.
func (c *Cache) distrustDetails() {
	c.distrustUntil.Store(time.Now().Add(c.cfg.DetailTTL).UnixNano())
	c.log.Error("catalog cache: too many pending invalidations; Redis details ignored for one detail TTL",
		"until", time.Unix(0, c.distrustUntil.Load()))
}

// useRedisMovie reports whether Redis may answer for movie id.
func (c *Cache) useRedisMovie(id int64) bool {
	return c.remote != nil && !c.pending.has(id) && time.Now().UnixNano() >= c.distrustUntil.Load()
}

func (c *Cache) useRedisLists() bool {
	return c.remote != nil && !c.pending.listsPending()
}

// flight runs fill once per key at a time in this process; every caller
// with the same key gets its answer. The fill is not cancelled by the
// caller that started it going away, since others may be waiting.
func (c *Cache) flight(ctx context.Context, key string, fill func(context.Context) (entry, error)) (entry, error) {
	ch := c.flights.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fillTimeout)
		defer cancel()
		return fill(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return entry{}, r.Err
		}
		return r.Val.(entry), nil
	case <-ctx.Done():
		return entry{}, ctx.Err()
	}
}

// keep puts e in an L1 unless an invalidation came since the fill began.
func keep[K comparable](c *Cache, l1 *expirable.LRU[K, entry], k K, e entry, epoch uint64) {
	if l1 == nil {
		return
	}
	c.fence.Keep(epoch, func() { l1.Add(k, e) })
}

// store writes e to Redis in the background (remote.fill: over an absent
// key, or over the tombstone token the fill found), unless an invalidation
// came since the fill began, or the fill of an absent key took so long
// (maxFillForRedis) that the tombstone of a write made after its lookup may
// have expired already.
func (c *Cache) store(ctx context.Context, key, token string, e entry, ttl time.Duration, epoch uint64, began time.Time) {
	c.fills.Add(1)
	go func() {
		defer c.fills.Done()
		if c.fence.Current() != epoch || (token == "" && time.Since(began) > maxFillForRedis) {
			return
		}
		c.remote.fill(context.WithoutCancel(ctx), key, token, e, ttl)
	}()
}

type readThrough struct {
	c    *Cache
	next catalog.Store
}

func (s readThrough) Get(ctx context.Context, id int64) (contract.Movie, error) {
	c := s.c
	if id <= 0 || readpref.Primary(ctx) {
		// A caller that just wrote reads the primary: any entry, and any
		// fill from a replica, may predate its write.
		return s.next.Get(ctx, id)
	}
	if c.movies != nil {
		if e, ok := c.movies.Get(id); ok {
			c.lookup(ctx, "movie", "l1", "hit")
			return e.movie()
		}
		c.lookup(ctx, "movie", "l1", "miss")
	}
	epoch := c.fence.Current()
	e, err := c.flight(ctx, "m"+strconv.FormatInt(id, 10)+"@"+strconv.FormatUint(epoch, 10),
		func(ctx context.Context) (entry, error) { return s.fillMovie(ctx, id, epoch) })
	if err != nil {
		return contract.Movie{}, err
	}
	return e.movie()
}

func (s readThrough) fillMovie(ctx context.Context, id int64, epoch uint64) (entry, error) {
	c := s.c
	began := time.Now()
	l2, token := c.useRedisMovie(id), ""
	if l2 {
		e, l, tok := c.remote.getMovie(ctx, id)
		c.lookup(ctx, "movie", "l2", lookupResult(l))
		switch l {
		case found:
			keep(c, c.movies, id, e, epoch)
			return e, nil
		case invalidated:
			// Written within the quiet period: a replica may not have the
			// write yet, the primary does.
			ctx, token = readpref.WithPrimary(ctx), tok
		case failed:
			l2 = false
		}
	}
	m, err := s.next.Get(ctx, id)
	var e entry
	switch {
	case err == nil:
		e = entry{Movie: &m}
	case apierr.KindOf(err) == apierr.NotFound:
		e = entry{Missing: true}
	default:
		return entry{}, err
	}
	c.m.fills.WithLabelValues("movie").Inc()
	keep(c, c.movies, id, e, epoch)
	if l2 {
		ttl := c.cfg.DetailTTL
		if e.Missing {
			ttl = c.cfg.NegativeTTL
		}
		c.store(ctx, c.keys.movie(id), token, e, ttl, epoch, began)
	}
	return e, nil
}

func (s readThrough) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	c := s.c
	if readpref.Primary(ctx) {
		return s.next.List(ctx, q)
	}
	query := q.Canonical()
	if c.lists != nil {
		if e, ok := c.lists.Get(query); ok {
			c.lookup(ctx, "list", "l1", "hit")
			return e.page(), nil
		}
		c.lookup(ctx, "list", "l1", "miss")
	}
	epoch := c.fence.Current()
	e, err := c.flight(ctx, "l"+query+"@"+strconv.FormatUint(epoch, 10),
		func(ctx context.Context) (entry, error) { return s.fillList(ctx, q, query, epoch) })
	if err != nil {
		return contract.Page{}, err
	}
	return e.page(), nil
}

func (s readThrough) fillList(ctx context.Context, q contract.ListQuery, query string, epoch uint64) (entry, error) {
	c := s.c
	began := time.Now()
	gen := ""
	if c.useRedisLists() {
		g, quiet, e, l := c.remote.getList(ctx, query)
		c.lookup(ctx, "list", "l2", lookupResult(l))
		if l == found {
			keep(c, c.lists, query, e, epoch)
			return e, nil
		}
		if quiet {
			// A write within the quiet period may not be on every replica.
			ctx = readpref.WithPrimary(ctx)
		}
		gen = g
	}
	p, err := s.next.List(ctx, q)
	if err != nil {
		return entry{}, err
	}
	e := entry{Page: &p}
	c.m.fills.WithLabelValues("list").Inc()
	keep(c, c.lists, query, e, epoch)
	if gen != "" {
		// The page goes under the generation read before the store was:
		// a write since then has moved readers to a new generation.
		c.store(ctx, c.keys.list(gen, query), "", e, c.cfg.ListTTL, epoch, began)
	}
	return e, nil
}

// lookup counts a lookup's result and, inside a recorded trace, puts it on
// the current span (the service's endpoint span) as catalog.cache.l1 or
// catalog.cache.l2, so a slow read's trace says which layer answered.
func (c *Cache) lookup(ctx context.Context, kind, level, result string) {
	c.m.lookup(kind, level, result)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String("catalog.cache."+level, result))
	}
}

func lookupResult(l lookup) string {
	switch l {
	case found:
		return "hit"
	case failed:
		return "error"
	default:
		return "miss"
	}
}

// afterWrite invalidates after a write to ids that may have changed
// something: it succeeded, or failed in a way that leaves its outcome
// unknown. Rejected input changed nothing.
func (s readThrough) afterWrite(ctx context.Context, err error, ids ...int64) {
	if err != nil {
		switch apierr.KindOf(err) {
		case apierr.Invalid, apierr.Conflict, apierr.PreconditionFailed, apierr.PreconditionRequired, apierr.Unprocessable:
			return
		}
	}
	s.c.dropLocal(ids, false)
	s.c.invalidateRemote(context.WithoutCancel(ctx), ids, true, "write")
}

func (s readThrough) Create(ctx context.Context, m contract.Movie, actor string) (contract.Movie, error) {
	created, err := s.next.Create(ctx, m, actor)
	return s.afterCreate(ctx, created, err)
}

// CreateOnce is Create; a replay returns a movie that is already there,
// whose cached answers dropping again costs little.
func (s readThrough) CreateOnce(ctx context.Context, m contract.Movie, actor string, idem catalog.Idempotency) (contract.Movie, error) {
	created, err := s.next.CreateOnce(ctx, m, actor, idem)
	return s.afterCreate(ctx, created, err)
}

func (s readThrough) afterCreate(ctx context.Context, created contract.Movie, err error) (contract.Movie, error) {
	if err == nil {
		// The new id may hold a "no such movie" answer.
		s.afterWrite(ctx, nil, created.ID)
	} else {
		s.afterWrite(ctx, err)
	}
	return created, err
}

func (s readThrough) Update(ctx context.Context, id int64, ifMatch contract.IfMatch, change func(cur contract.Movie) (contract.Movie, error), actor string) (contract.Movie, error) {
	m, err := s.next.Update(ctx, id, ifMatch, change, actor)
	s.afterWrite(ctx, err, id)
	return m, err
}

func (s readThrough) Delete(ctx context.Context, id int64, ifMatch contract.IfMatch, actor string) error {
	err := s.next.Delete(ctx, id, ifMatch, actor)
	s.afterWrite(ctx, err, id)
	return err
}

// Import adds movies whose ids it does not tell: every list page goes, and
// "no such movie" answers for the new ids expire within NegativeTTL (as
// after InvalidateAll).
func (s readThrough) Import(ctx context.Context, batch []contract.Movie, actor string) (int, error) {
	n, err := s.next.Import(ctx, batch, actor)
	if n > 0 || (err != nil && apierr.KindOf(err) != apierr.Invalid) {
		s.c.InvalidateAll(context.WithoutCancel(ctx))
	}
	return n, err
}

func (s readThrough) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	return s.next.Changes(ctx, after, limit)
}

func (s readThrough) Count(ctx context.Context) (int64, error) { return s.next.Count(ctx) }

func (s readThrough) Ping(ctx context.Context) error { return s.next.Ping(ctx) }

// The feed's leases and retention touch no movie: nothing cached to drop.

func (s readThrough) AcquireFeedLease(ctx context.Context, name string, r contract.FeedLeaseRequest) (contract.FeedLease, error) {
	return s.next.AcquireFeedLease(ctx, name, r)
}

func (s readThrough) ReleaseFeedLease(ctx context.Context, name, holder string) error {
	return s.next.ReleaseFeedLease(ctx, name, holder)
}

func (s readThrough) TrimFeed(ctx context.Context, r catalog.FeedRetention) (catalog.FeedTrim, error) {
	return s.next.TrimFeed(ctx, r)
}
