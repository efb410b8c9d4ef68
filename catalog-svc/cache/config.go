package cache

import (
	"time"

	"github.com/moviesplatform/platform/config"

	"go.opentelemetry.io/otel/trace"
)

// Config is the catalog cache's configuration (variables under MOVIES_).
type Config struct {
	// Enabled turns the whole cache off when false: every read goes to the
	// store, as before the cache existed.
	Enabled bool `env:"CATALOG_CACHE_ENABLED" envDefault:"true"`
	// Tracer, when it records, gets a span per Redis command (redisotel);
	// the app sets it, no variable does.
	Tracer trace.TracerProvider `env:"-"`
	// Redis is the shared second level (MOVIES_CATALOG_REDIS_ADDR, _USERNAME,
	// _PASSWORD, _DB, _TLS_*); an empty Addr keeps the cache in-process
	// only (L1), which is right for one replica.
	Redis config.Redis `envPrefix:"CATALOG_REDIS_"`
	// Namespace starts every Redis key and the invalidation channel, so
	// several environments can share one Redis.
	Namespace string `env:"CATALOG_CACHE_NAMESPACE" envDefault:"movies:catalog"`

	// L1Size bounds the in-process movie details, L1ListSize the list pages
	// (up to 500 movies each, so far fewer); 0 turns the L1 off.
	L1Size     int `env:"CATALOG_CACHE_L1_SIZE" envDefault:"10000"`
	L1ListSize int `env:"CATALOG_CACHE_L1_LIST_SIZE" envDefault:"500"`
	// L1TTL is how long a pod may keep an entry without asking Redis: the
	// staleness bound for other pods when an invalidation message is lost.
	L1TTL time.Duration `env:"CATALOG_CACHE_L1_TTL" envDefault:"1s"`
	// DetailTTL, ListTTL and NegativeTTL are the Redis lifetimes of a movie,
	// a list page and a "no such movie" answer. They bound staleness when an
	// invalidation could not reach Redis and the pod that owed it died.
	DetailTTL   time.Duration `env:"CATALOG_CACHE_DETAIL_TTL" envDefault:"5m"`
	ListTTL     time.Duration `env:"CATALOG_CACHE_LIST_TTL" envDefault:"30s"`
	NegativeTTL time.Duration `env:"CATALOG_CACHE_NEGATIVE_TTL" envDefault:"10s"`
	// Timeout is the budget of one Redis lookup or invalidation; past it the
	// request goes on to the database.
	Timeout time.Duration `env:"CATALOG_CACHE_TIMEOUT" envDefault:"30ms"`
	// QuietTTL is how long after a write the movie's key holds a tombstone
	// and list fills read the primary rather than a replica, which may not
	// have the write yet. It must exceed the replicas' staleness bound and
	// maxFillForRedis; the app raises it to the read-your-writes window
	// plus 2s when reads go to replicas.
	QuietTTL time.Duration `env:"CATALOG_CACHE_QUIET_TTL" envDefault:"5s"`
	// BreakerOpen is how long Redis is left alone after it keeps failing.
	BreakerOpen time.Duration `env:"CATALOG_CACHE_BREAKER_OPEN" envDefault:"2s"`
	// RetryEvery is how often invalidations that Redis refused are retried.
	RetryEvery time.Duration `env:"CATALOG_CACHE_RETRY_EVERY" envDefault:"500ms"`
}

// DefaultConfig is Config with every default, for tests and embedding.
func DefaultConfig() Config {
	return Config{
		Enabled: true, Namespace: "movies:catalog", L1Size: 10000, L1ListSize: 500, L1TTL: time.Second,
		DetailTTL: 5 * time.Minute, ListTTL: 30 * time.Second, NegativeTTL: 10 * time.Second,
		Timeout: 30 * time.Millisecond, QuietTTL: 5 * time.Second, BreakerOpen: 2 * time.Second, RetryEvery: 500 * time.Millisecond,
	}
}
