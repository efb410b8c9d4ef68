package respcache

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"go.opentelemetry.io/otel/trace"

	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/telemetry"
)

// SharedSettings configure the second level in Redis.
type SharedSettings struct {
	// Addr is Redis (host:port); empty turns the second level off.
	Addr     string
	Username string
	Password string
	DB       int
	// TLS, when set, encrypts the connections (config.TLS.Config).
	TLS *tls.Config
	// Namespace starts every key, so environments can share one Redis.
	Namespace string
	// TTL is how long Redis keeps an answer: the staleness bound when a
	// write's invalidation could not reach Redis.
	TTL time.Duration
	// Budget bounds each Redis call; past it the request goes on as a miss.
	Budget time.Duration
	// BreakerOpen is how long Redis is left alone after failing in a row.
	BreakerOpen time.Duration
	// IndexLag: as Settings.IndexLag, for every replica.
	IndexLag time.Duration
	// Tracer, when it records, gets a span per Redis command (redisotel).
	Tracer trace.TracerProvider
}

// shapeVersion changes with the stored shape, so a deploy never reads
// another version's values.
const shapeVersion = "v1"

// Shared is answers in Redis, shared by every gateway replica. Every call
// goes through redisx (a time budget and a circuit breaker), so Redis down
// or slow costs at most the budget, and nothing while the breaker is open.
//
// A write through any replica bumps a generation that every key holds, so
// all answers are dropped at once (writes are rare; precision is not worth
// a round trip per lookup), and stops storing search answers for IndexLag.
type Shared struct {
	client   *redisx.Client
	prefix   string
	ttl      time.Duration
	indexLag time.Duration
	failures *prometheus.CounterVec
}

// NewShared returns the second level, or nil when s.Addr is empty; reg may
// be nil.
func NewShared(s SharedSettings, reg prometheus.Registerer) *Shared {
	if s.Addr == "" {
		return nil
	}
	sh := &Shared{
		prefix:   s.Namespace + ":" + shapeVersion + ":",
		ttl:      s.TTL,
		indexLag: s.IndexLag,
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_response_cache_redis_failures_total",
			Help: "Redis calls of the gateway's answer cache that failed or ran out of budget, by operation; the request went on without Redis.",
		}, []string{"op"}),
	}
	state := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gateway_response_cache_redis_breaker_state",
		Help: "Circuit breaker in front of the answer cache's Redis: 0 closed, 1 half-open, 2 open.",
	})
	sh.client = redisx.New(redisx.Settings{
		Addr: s.Addr, Username: s.Username, Password: s.Password, DB: s.DB, TLS: s.TLS,
		Budget: s.Budget, BreakerOpen: s.BreakerOpen, Name: "gateway-redis",
	}, redisx.Hooks{
		Failure:      func(op string, _ error) { sh.failures.WithLabelValues(op).Inc() },
		BreakerState: func(to gobreaker.State) { state.Set(float64(to)) },
	})
	if telemetry.On(s.Tracer) {
		_ = redisotel.InstrumentTracing(sh.client.Redis(), redisotel.WithTracerProvider(s.Tracer))
	}
	if reg != nil {
		reg.MustRegister(sh.failures, state, sh.client.PoolCollector("gateway-cache"))
	}
	// At zero from the start, so the first failure is seen by rate().
	for _, op := range []string{"get", "put", "invalidate", "decode"} {
		sh.failures.WithLabelValues(op)
	}
	return sh
}

// Credentials is the readiness check of the answer cache's Redis: it
// fails only when Redis refuses the gateway's user, password or TLS.
func (s *Shared) Credentials(ctx context.Context) error { return s.client.Credentials(ctx) }

func (s *Shared) genKey() string   { return s.prefix + "gen" }
func (s *Shared) quietKey() string { return s.prefix + "index-behind" }

// sharedGet reads the generation and the answer under it in one trip.
var sharedGet = redis.NewScript(`
local g = redis.call("GET", KEYS[1]) or "0"
return {g, redis.call("GET", ARGV[1] .. g .. ":" .. ARGV[2])}`)

// sharedPut stores an answer if no write happened since its lookup, and a
// search answer only once the index has caught up.
var sharedPut = redis.NewScript(`
local g = redis.call("GET", KEYS[1]) or "0"
if g ~= ARGV[1] then return 0 end
if ARGV[5] == "1" and redis.call("EXISTS", KEYS[2]) == 1 then return 0 end
redis.call("SET", ARGV[2] .. g .. ":" .. ARGV[3], ARGV[4], "PX", ARGV[6])
return 1`)

type sharedEntry struct {
	Header    http.Header `json:"h"`
	Body      []byte      `json:"b"`
	Movie     int64       `json:"m,omitempty"`
	FromIndex bool        `json:"i,omitempty"`
}

// Get returns the answer under key, if Redis has it in time, and the
// generation to Put a fresh answer with ("" when Redis failed: do not).
func (s *Shared) Get(ctx context.Context, key string) (*Entry, string) {
	if s == nil {
		return nil, ""
	}
	var vals []any
	err := s.client.Do(ctx, "get", func(ctx context.Context, rdb *redis.Client) error {
		var err error
		vals, err = sharedGet.Run(ctx, rdb, []string{s.genKey()}, s.prefix, key).Slice()
		return err
	})
	if err != nil || len(vals) != 2 {
		return nil, ""
	}
	gen, _ := vals[0].(string)
	raw, _ := vals[1].(string)
	if raw == "" {
		return nil, gen
	}
	var se sharedEntry
	if err := json.Unmarshal([]byte(raw), &se); err != nil {
		s.failures.WithLabelValues("decode").Inc()
		return nil, gen
	}
	return &Entry{Header: se.Header, Body: se.Body, Movie: se.Movie, FromIndex: se.FromIndex}, gen
}

// Put stores e under key if gen is still current.
func (s *Shared) Put(ctx context.Context, key, gen string, e *Entry) {
	if s == nil || gen == "" {
		return
	}
	b, err := json.Marshal(sharedEntry{Header: e.Header, Body: e.Body, Movie: e.Movie, FromIndex: e.FromIndex})
	if err != nil {
		return
	}
	fromIndex := "0"
	if e.FromIndex {
		fromIndex = "1"
	}
	_ = s.client.Do(ctx, "put", func(ctx context.Context, rdb *redis.Client) error {
		return sharedPut.Run(ctx, rdb, []string{s.genKey(), s.quietKey()},
			gen, s.prefix, key, b, fromIndex, strconv.FormatInt(s.ttl.Milliseconds(), 10)).Err()
	})
}

// Invalidate drops every shared answer (a new generation) and holds back
// search answers for the index lag. An error means other replicas may
// serve answers from before the write for up to TTL.
func (s *Shared) Invalidate(ctx context.Context) error {
	if s == nil {
		return nil
	}
	return s.client.Do(ctx, "invalidate", func(ctx context.Context, rdb *redis.Client) error {
		_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Incr(ctx, s.genKey())
			if s.indexLag > 0 {
				p.Set(ctx, s.quietKey(), "1", s.indexLag)
			}
			return nil
		})
		return err
	})
}

// State is the breaker's state.
func (s *Shared) State() string { return s.client.State() }

// Close closes the connections.
func (s *Shared) Close() error {
	if s == nil {
		return nil
	}
	return s.client.Close()
}
