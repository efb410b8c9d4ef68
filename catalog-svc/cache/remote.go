package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/telemetry"
)

// maxFillForRedis is the longest the fill of an absent movie key may take
// and still write to Redis: Config.QuietTTL exceeds it, so the tombstone of
// any write made after the fill's lookup is still there to refuse it.
const maxFillForRedis = time.Second

// remote is the cache's Redis: every call through redisx answers within
// Config.Timeout or fails, and fails at once while Redis keeps failing.
type remote struct {
	client *redisx.Client
	rdb    *redis.Client // client's, for use inside do
	keys   keys
	quiet  time.Duration
	m      *metrics // for values Redis holds that cannot be read or written
}

func newRemote(cfg Config, k keys, m *metrics, reg prometheus.Registerer) (*remote, error) {
	s, err := redisx.SettingsFor(cfg.Redis)
	if err != nil {
		return nil, fmt.Errorf("MOVIES_CATALOG_REDIS_*: %w", err)
	}
	s.Budget, s.BreakerOpen, s.Name = cfg.Timeout, cfg.BreakerOpen, "redis"
	client := redisx.New(s, redisx.Hooks{
		Failure:      m.redisError,
		BreakerState: func(to gobreaker.State) { m.breaker.Set(float64(to)) },
	})
	reg.MustRegister(client.PoolCollector("catalog-cache"))
	if telemetry.On(cfg.Tracer) {
		_ = redisotel.InstrumentTracing(client.Redis(), redisotel.WithTracerProvider(cfg.Tracer))
	}
	return &remote{client: client, rdb: client.Redis(), keys: k, quiet: cfg.QuietTTL, m: m}, nil
}

// do runs fn within the budget and through the breaker, counting failures
// under op.
func (r *remote) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return r.client.Do(ctx, op, func(ctx context.Context, _ *redis.Client) error { return fn(ctx) })
}

// lookup is the outcome of reading one key.
type lookup int

const (
	found lookup = iota
	absent
	invalidated // a tombstone: fill from the primary, replace that tombstone only
	failed      // Redis did not answer in time: treat as absent, do not fill
)

// getMovie reads movie id; token is the tombstone when l is invalidated.
func (r *remote) getMovie(ctx context.Context, id int64) (e entry, l lookup, token string) {
	var raw []byte
	err := r.do(ctx, "get", func(ctx context.Context) error {
		var err error
		raw, err = r.rdb.Get(ctx, r.keys.movie(id)).Bytes()
		return redisx.IgnoreNil(err)
	})
	e, l = r.decoded(raw, err)
	if l == invalidated {
		token = string(raw)
	}
	return e, l, token
}

// getList reads the list generation (creating it when Redis has none) and
// the page of query under it, within one budget. gen is "" when Redis failed.
// quiet tells that a write was made within Config.QuietTTL: a replica may
// not have it yet, so the fill must read the primary.
func (r *remote) getList(ctx context.Context, query string) (gen string, quiet bool, e entry, l lookup) {
	var raw []byte
	err := r.do(ctx, "get", func(ctx context.Context) error {
		vals, err := r.rdb.MGet(ctx, r.keys.listGen(), r.keys.listsQuiet()).Result()
		if err != nil {
			return err
		}
		g, _ := vals[0].(string)
		quiet = vals[1] != nil
		if g == "" {
			fresh := newGeneration()
			// NX GET: the first pod's generation wins; the others read it.
			g, err = r.rdb.SetArgs(ctx, r.keys.listGen(), fresh, redis.SetArgs{Mode: "NX", Get: true}).Result()
			if errors.Is(err, redis.Nil) {
				g, err = fresh, nil
			}
			if err != nil {
				return err
			}
		}
		gen = g
		raw, err = r.rdb.Get(ctx, r.keys.list(g, query)).Bytes()
		return redisx.IgnoreNil(err)
	})
	e, l = r.decoded(raw, err)
	if err != nil {
		gen = ""
	}
	return gen, quiet, e, l
}

func (r *remote) decoded(raw []byte, err error) (entry, lookup) {
	switch {
	case err != nil:
		return entry{}, failed
	case raw == nil:
		return entry{}, absent
	case isTombstone(raw):
		return entry{}, invalidated
	}
	e, err := decode(raw)
	if err != nil {
		// An unreadable value is a bug or a foreign writer; the database
		// answers and the fill replaces it when it expires.
		r.m.redisError("decode", err)
		return entry{}, failed
	}
	return e, found
}

// fill stores e under key: when token is "", only if the key does not exist
// (a tombstone, or another pod's fill); otherwise only if the key still
// holds the tombstone token.
func (r *remote) fill(ctx context.Context, key, token string, e entry, ttl time.Duration) {
	b, err := encode(e)
	if err != nil {
		r.m.redisError("encode", err)
		return
	}
	_ = r.do(ctx, "fill", func(ctx context.Context) error {
		if token == "" {
			return redisx.IgnoreNil(r.rdb.SetNX(ctx, key, b, ttl).Err())
		}
		return redisx.IgnoreNil(replaceTombstone.Run(ctx, r.rdb, []string{key}, token, b, ttl.Milliseconds()).Err())
	})
}

// replaceTombstone sets KEYS[1] to ARGV[2] for ARGV[3] ms if it holds ARGV[1].
var replaceTombstone = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
end
return false`)

// invalidate tombstones the movies ids and, when announce, starts a new list
// generation and tells every pod, in one transaction. A pod relaying another
// shape version's message does not announce, so messages never echo.
func (r *remote) invalidate(ctx context.Context, ids []int64, announce bool) error {
	return r.do(ctx, "invalidate", func(ctx context.Context) error {
		_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, id := range ids {
				p.Set(ctx, r.keys.movie(id), newTombstone(), r.quiet)
			}
			if announce {
				p.Set(ctx, r.keys.listGen(), newGeneration(), 0)
				p.Set(ctx, r.keys.listsQuiet(), "1", r.quiet)
				p.Publish(ctx, r.keys.channel(), invalidation(r.keys.version, ids))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("invalidate: %w", err)
		}
		return nil
	})
}

func (r *remote) state() string { return r.client.State() }
