// Package app assembles the gateway from its configuration: upstream clients
// guarded by deadlines and breakers, the token cache, the routes, metrics and
// readiness. The single binary composes it with the other services' apps.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/redisx"
	"github.com/moviesplatform/platform/server"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/telemetry"
	"github.com/moviesplatform/search-svc/search"

	"github.com/moviesplatform/gateway/authn"
	"github.com/moviesplatform/gateway/clientip"
	"github.com/moviesplatform/gateway/cursorsig"
	"github.com/moviesplatform/gateway/gateway"
	"github.com/moviesplatform/gateway/ratelimit"
	"github.com/moviesplatform/gateway/respcache"
	"github.com/moviesplatform/gateway/upstream"
)

// Config is the gateway's own configuration, read from MOVIES_GATEWAY_*
// variables; the settings every process shares are platform/config.Common.
type Config struct {
	Addr       string `env:"GATEWAY_ADDR" envDefault:":8080"`
	CatalogURL string `env:"GATEWAY_CATALOG_URL" envDefault:"http://127.0.0.1:8081"`
	AuthURL    string `env:"GATEWAY_AUTH_URL" envDefault:"http://127.0.0.1:8082"`
	// SearchURL is search-svc, used when no search service is passed in;
	// "none" (or empty, in code) means there is none: ?search= goes to the
	// catalog and /api/search/ is 503. (An empty variable reads as unset.)
	SearchURL string `env:"GATEWAY_SEARCH_URL" envDefault:"http://127.0.0.1:8083"`
	// Identity is the key the gateway signs its calls to the services
	// with (MOVIES_GATEWAY_SERVICE_KEY_FILE); needed when one is remote.
	Identity servicetoken.Config `envPrefix:"GATEWAY_"`
	// Cursor is the key the page cursors handed out are signed with
	// (MOVIES_GATEWAY_CURSOR_KEY_FILE, or _KEY inline): the same on every
	// replica. Unset, one is generated at start, which suits make run only.
	Cursor cursorsig.Config `envPrefix:"GATEWAY_"`
	// PublicURL is the API's address as clients use it
	// (https://movies.example, a path prefix allowed): the base of Link and
	// Location URLs. Empty: the request's host, or a trusted proxy's
	// X-Forwarded-Host and -Proto.
	PublicURL string `env:"GATEWAY_PUBLIC_URL"`
	// AuthCacheTTL is how long a token check is trusted: the longest a token
	// revoked through another gateway replica keeps working.
	AuthCacheTTL time.Duration `env:"GATEWAY_AUTH_CACHE_TTL" envDefault:"5s"`
	// Per-call deadlines of the upstreams.
	CatalogTimeout time.Duration `env:"GATEWAY_CATALOG_TIMEOUT" envDefault:"3s"`
	AuthTimeout    time.Duration `env:"GATEWAY_AUTH_TIMEOUT" envDefault:"2s"`
	SearchTimeout  time.Duration `env:"GATEWAY_SEARCH_TIMEOUT" envDefault:"2s"`
	// UpstreamMaxInFlight bounds the calls in flight to each upstream (the
	// catalog's lists, reads and writes, auth, search are one each); past
	// it a request gets a 503 with Retry-After at once, so a saturated
	// service answers what it can instead of timing out and opening its
	// circuit.
	UpstreamMaxInFlight int `env:"GATEWAY_UPSTREAM_MAX_IN_FLIGHT" envDefault:"128"`
	// UpstreamClientShare bounds one client's calls in flight to each
	// upstream (its token, or its address without one), so that one client
	// cannot fill UpstreamMaxInFlight: past it, a 429 with Retry-After.
	// "auto" is a quarter of the bound; 0 turns it off (load tests, which
	// come from one address).
	UpstreamClientShare upstream.Share `env:"GATEWAY_UPSTREAM_CLIENT_SHARE" envDefault:"auto"`
	// UpstreamBreakerOpen is how long an upstream's open breaker refuses
	// calls (503 with this as Retry-After) before one probe goes through.
	UpstreamBreakerOpen time.Duration `env:"GATEWAY_UPSTREAM_BREAKER_OPEN" envDefault:"5s"`
	// SQLSearches bounds concurrent SQL searches (the ?search= fallback).
	SQLSearches int `env:"GATEWAY_SQL_SEARCHES" envDefault:"1"`

	// CacheTTL is how long this gateway answers movie GETs from memory
	// (anonymous clients and users, not admins): the staleness of a list
	// page or search answer after any write, and of a movie after a write
	// through another replica. 0 turns the answer cache off.
	CacheTTL time.Duration `env:"GATEWAY_CACHE_TTL" envDefault:"1s"`
	// CacheBytes bounds what the answer cache holds: every key, header and
	// body it keeps, with each entry's overhead.
	CacheBytes int `env:"GATEWAY_CACHE_BYTES" envDefault:"67108864"`
	// CacheIndexLag is how long after a write through any replica
	// ?search= answers of search-svc are not stored in Redis (RedisTTL
	// outlives the local TTL): about the indexer's lag behind the feed.
	CacheIndexLag time.Duration `env:"GATEWAY_CACHE_INDEX_LAG" envDefault:"1s"`
	// CacheMaxAge is the Cache-Control max-age of anonymous movie GETs, in
	// whole seconds: how long a CDN or browser may keep them on top.
	CacheMaxAge time.Duration `env:"GATEWAY_CACHE_MAX_AGE" envDefault:"1s"`

	// TrustedProxies are the proxies (CIDRs or addresses, comma-separated)
	// whose X-Forwarded-For names the client: the ingress's. Empty trusts
	// none, and the peer is the client.
	TrustedProxies []string `env:"GATEWAY_TRUSTED_PROXIES" envSeparator:","`
	// TrustedProxyHops is, instead, how many proxies stand in front of
	// every request: the client is that many entries from the right of
	// X-Forwarded-For and the peer. 0 trusts none; set with
	// TrustedProxies, the gateway refuses to start.
	TrustedProxyHops int `env:"GATEWAY_TRUSTED_PROXY_HOPS" envDefault:"0"`
	// RateLimit bounds each client's requests (off for load tests, which
	// come from one address). The rules are RATE/PERIOD[,burst=N], shared
	// between replicas through RedisAddr when set.
	RateLimit     bool           `env:"GATEWAY_RATE_LIMIT" envDefault:"true"`
	RateAnonymous ratelimit.Rule `env:"GATEWAY_RATE_ANONYMOUS" envDefault:"50/1s,burst=100"`
	RateUser      ratelimit.Rule `env:"GATEWAY_RATE_USER" envDefault:"100/1s,burst=200"`
	RateLogin     ratelimit.Rule `env:"GATEWAY_RATE_LOGIN" envDefault:"10/1m,burst=10"`
	RateUserAdmin ratelimit.Rule `env:"GATEWAY_RATE_USER_ADMIN" envDefault:"30/1m,burst=30"`

	// RedisAddr is the answer cache's shared second level (host:port);
	// empty keeps it in process. Used only while CacheTTL is on.
	// MOVIES_GATEWAY_REDIS_ADDR, _USERNAME, _PASSWORD, _DB, _TLS_*: also
	// the rate limits' shared state.
	Redis config.Redis `envPrefix:"GATEWAY_REDIS_"`
	// RedisNamespace starts every key, so environments can share a Redis.
	RedisNamespace string `env:"GATEWAY_REDIS_NAMESPACE" envDefault:"movies:gateway"`
	// RedisTTL is how long Redis keeps an answer: the staleness bound when
	// a write's invalidation could not reach Redis.
	RedisTTL time.Duration `env:"GATEWAY_REDIS_TTL" envDefault:"5s"`
	// RedisTimeout is the budget of each Redis call; past it the request
	// goes on without Redis.
	RedisTimeout time.Duration `env:"GATEWAY_REDIS_TIMEOUT" envDefault:"20ms"`
	// RedisBreakerOpen is how long Redis is left alone after 5 failures
	// in a row.
	RedisBreakerOpen time.Duration `env:"GATEWAY_REDIS_BREAKER_OPEN" envDefault:"2s"`

	// TrustIncomingTraces continues a trace context (traceparent) a client
	// sends. Off, the gateway, facing the internet, starts a new trace per
	// request and links the client's, so no one outside can join or sample
	// our traces; turn it on behind a proxy of ours that starts them.
	TrustIncomingTraces bool `env:"GATEWAY_TRUST_INCOMING_TRACES" envDefault:"false"`
}

// Deps are services the gateway fronts. Nil members are reached over HTTP at
// the configured URLs.
type Deps struct {
	Catalog catalog.Service
	Auth    auth.Service
	// Search answers ?search= (with the catalog as its fallback) and
	// /api/search/.
	Search search.Service
}

// App is a built gateway.
type App struct {
	// Catalog and Auth are the guarded upstreams the gateway calls.
	Catalog catalog.Service
	Auth    auth.Service
	Gateway *gateway.Gateway
	// Handler serves the public API (without the operational endpoints).
	Handler http.Handler
	Health  *server.Health
	// Edge is how the server traces the handler's requests: as the public
	// edge unless Config.TrustIncomingTraces.
	Edge telemetry.Edge

	httpClient *http.Client
	shared     *respcache.Shared
	rateRedis  *redisx.Client
}

// New builds the gateway; its calls to the upstreams carry the trace of tr
// (nil: tracing off).
func New(ctx context.Context, cfg Config, log *slog.Logger, reg *prometheus.Registry, tr *telemetry.Tracing, deps Deps) (*App, error) {
	a := &App{Health: server.NewHealth(), httpClient: newHTTPClient(tr), Edge: telemetry.Edge(!cfg.TrustIncomingTraces)}
	catalogEndpoints, authEndpoints := catalog.MakeEndpoints(deps.Catalog), auth.MakeEndpoints(deps.Auth)
	remoteSearch := deps.Search == nil && cfg.SearchURL != "" && cfg.SearchURL != "none"
	// A remote service is called with the gateway's service token; one in
	// this process is called directly and needs none.
	var signer *servicetoken.Signer
	var err error
	if deps.Catalog == nil || deps.Auth == nil || remoteSearch {
		if signer, err = cfg.Identity.Signer(servicetoken.Gateway, "MOVIES_GATEWAY_"); err != nil {
			return nil, err
		}
	}
	clientFor := func(service string) *http.Client {
		hc := *a.httpClient
		hc.Transport = signer.Transport(service, hc.Transport)
		return &hc
	}
	if deps.Catalog == nil {
		if catalogEndpoints, err = catalog.NewHTTPClient(cfg.CatalogURL, clientFor(catalog.ServiceName)); err != nil {
			return nil, err
		}
		a.Health.AddCheck("catalog", reachable(a.httpClient, cfg.CatalogURL))
	}
	if deps.Auth == nil {
		if authEndpoints, err = auth.NewHTTPClient(cfg.AuthURL, clientFor(auth.ServiceName)); err != nil {
			return nil, err
		}
		a.Health.AddCheck("auth", reachable(a.httpClient, cfg.AuthURL))
	}

	guards := upstream.NewMetrics(reg)
	// guard is the guard of one class of calls, all bounded alike.
	guard := func(name string, timeout time.Duration, s upstream.Settings) *upstream.Guard {
		s.Name, s.Timeout, s.OpenFor = name, timeout, cfg.UpstreamBreakerOpen
		s.MaxInFlight, s.ClientShare = cfg.UpstreamMaxInFlight, int(cfg.UpstreamClientShare)
		return upstream.NewGuard(s, guards)
	}
	catalogGuards := upstream.CatalogGuards{
		List:  guard("catalog-list", cfg.CatalogTimeout, upstream.Settings{}),
		Read:  guard("catalog-read", cfg.CatalogTimeout, upstream.Settings{}),
		Write: guard("catalog-write", cfg.CatalogTimeout, upstream.Settings{}),
	}
	authGuards := upstream.AuthGuards{
		Login:      guard("auth-login", cfg.AuthTimeout, upstream.Settings{}),
		Introspect: guard("auth-introspect", cfg.AuthTimeout, upstream.Settings{ShareByAddress: true}),
		Other:      guard("auth", cfg.AuthTimeout, upstream.Settings{}),
	}
	a.Catalog = catalogEndpoints.Use(catalogGuards.Middleware()).Service()
	a.Auth = authEndpoints.Use(authGuards.Middleware()).Service()
	breakers := append(catalogGuards.All(), authGuards.All()...)
	var searcher gateway.Searcher
	if deps.Search != nil || remoteSearch {
		searchEndpoints := search.MakeEndpoints(deps.Search)
		if remoteSearch {
			// No readiness check: without search-svc the gateway degrades
			// (?search= from the catalog) rather than stop serving.
			if searchEndpoints, err = search.NewHTTPClient(cfg.SearchURL, clientFor(search.ServiceName)); err != nil {
				return nil, err
			}
		}
		// Search has the catalog as its fallback, so its breaker opens sooner.
		searchGuard := guard("search", cfg.SearchTimeout, upstream.Settings{TripAfter: 3})
		searcher = searchEndpoints.Use(searchGuard.Middleware()).Service()
		breakers = append(breakers, searchGuard)
	}
	redisConn, err := redisx.SettingsFor(cfg.Redis)
	if err != nil {
		return nil, fmt.Errorf("MOVIES_GATEWAY_REDIS_*: %w", err)
	}
	a.shared = respcache.NewShared(respcache.SharedSettings{
		Addr: redisConn.Addr, Username: redisConn.Username, Password: redisConn.Password, DB: redisConn.DB, TLS: redisConn.TLS,
		Namespace: cfg.RedisNamespace,
		TTL:       cfg.RedisTTL, Budget: cfg.RedisTimeout, BreakerOpen: cfg.RedisBreakerOpen, IndexLag: cfg.CacheIndexLag,
		Tracer: tr.TracerProvider(),
	}, reg)
	if a.shared != nil {
		// Redis down leaves the gateway serving; Redis refusing its
		// credentials is a misconfiguration that must stop a rollout.
		a.Health.AddCheck("redis-credentials", redisx.Logged("gateway-cache", log, a.shared.Credentials))
	}
	a.Health.AddDetail("breakers", func(context.Context) any {
		states := map[string]string{}
		for _, g := range breakers {
			states[g.Name()] = g.State()
		}
		if a.shared != nil {
			states["redis"] = a.shared.State()
		}
		return states
	})

	clients, err := clientip.Configure(cfg.TrustedProxies, cfg.TrustedProxyHops)
	if err != nil {
		return nil, fmt.Errorf("MOVIES_GATEWAY_TRUSTED_PROXIES, MOVIES_GATEWAY_TRUSTED_PROXY_HOPS: %w", err)
	}
	var publicURL *url.URL
	if cfg.PublicURL != "" {
		if publicURL, err = gateway.ParsePublicURL(cfg.PublicURL); err != nil {
			return nil, fmt.Errorf("MOVIES_GATEWAY_PUBLIC_URL: %w", err)
		}
	}
	cursors, err := cfg.Cursor.Signer("MOVIES_GATEWAY_", log)
	if err != nil {
		return nil, err
	}
	var limit httpx.Middleware
	if cfg.RateLimit {
		limit = a.rateLimit(cfg, redisConn, clients, reg)
	}
	a.Gateway = gateway.New(gateway.Options{
		Catalog: a.Catalog,
		Auth:    a.Auth,
		Search:  searcher,
		Tokens:  authn.NewCache(a.Auth, authn.CacheSettings{TTL: cfg.AuthCacheTTL}, reg),
		Log:     log,
		Metrics: httpx.NewHTTPMetrics(reg),
		Cache:   respcache.New(respcache.Settings{TTL: cfg.CacheTTL, MaxBytes: cfg.CacheBytes}, reg),
		Shared:  a.shared,
		MaxAge:  cfg.CacheMaxAge,

		ClientAddr:  clients.ClientAddr,
		TrustsProxy: clients.FromTrustedProxy,
		PublicURL:   publicURL,
		Cursors:     cursors,
		RateLimit:   limit,
		SQLSearches: cfg.SQLSearches,
	})
	a.Handler = a.Gateway
	return a, nil
}

// rateLimit is the per-client limit of every request, shared through
// Redis when the gateway has one.
func (a *App) rateLimit(cfg Config, conn redisx.Settings, clients clientip.Resolver, reg prometheus.Registerer) httpx.Middleware {
	s := ratelimit.Settings{Namespace: cfg.RedisNamespace + ":rate"}
	if conn.Addr != "" {
		conn.Budget, conn.BreakerOpen, conn.Name = cfg.RedisTimeout, cfg.RedisBreakerOpen, "ratelimit-redis"
		a.rateRedis = redisx.New(conn, redisx.Hooks{})
		reg.MustRegister(a.rateRedis.PoolCollector("ratelimit"))
		s.Redis = a.rateRedis
	}
	name := func(r ratelimit.Rule, n string) ratelimit.Rule { r.Name = n; return r }
	return ratelimit.New(s, reg).Middleware(ratelimit.Policy{
		Anonymous:  name(cfg.RateAnonymous, "anonymous"),
		User:       name(cfg.RateUser, "user"),
		Login:      name(cfg.RateLogin, "login"),
		UserAdmin:  name(cfg.RateUserAdmin, "user-admin"),
		ClientAddr: clients.ClientAddr,
		Token: func(r *http.Request) string {
			token, _ := authn.TokenFromRequest(r) // a malformed header is the handler's 401
			return token
		},
	})
}

// Close releases the upstream and Redis connections.
func (a *App) Close() error {
	a.httpClient.CloseIdleConnections()
	if a.rateRedis != nil {
		a.rateRedis.Close()
	}
	return a.shared.Close()
}

// newHTTPClient is tuned for many concurrent calls to a few hosts; per-call
// deadlines come from the upstream guards, not from the client. Calls carry
// the request's trace to the upstream (tr's propagators).
func newHTTPClient(tr *telemetry.Tracing) *http.Client {
	return &http.Client{Transport: tr.Transport(&http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     false,
	})}
}

// reachable checks an upstream's API port answers HTTP at all. Reachability,
// not readiness: a replica of this gateway that cannot reach the catalog is
// not helped by being taken out of rotation when every replica shares the
// fault, but a gateway that cannot reach it at all (network policy, DNS)
// should not receive traffic. The upstream's health endpoints are on its
// admin port, which the gateway may not reach, so any answer below 500 on
// the API port (a 404 for its root) counts.
func reachable(hc *http.Client, base string) server.Check {
	url := strings.TrimSuffix(base, "/") + "/"
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return errors.New("unreachable")
		}
		resp.Body.Close()
		if resp.StatusCode >= http.StatusInternalServerError {
			return fmt.Errorf("answered %d", resp.StatusCode)
		}
		return nil
	}
}
