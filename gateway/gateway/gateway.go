// Package gateway is the public edge of the movies platform: the seed's
// routes, who may call them, and the translation to the services behind.
// It owns no data; the catalog and auth-svc answer, through interfaces, so
// the same code fronts in-process services or remote ones.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"

	"github.com/moviesplatform/gateway/authn"
	"github.com/moviesplatform/gateway/clientip"
	"github.com/moviesplatform/gateway/cursorsig"
	"github.com/moviesplatform/gateway/docs"
	"github.com/moviesplatform/gateway/respcache"
	"github.com/moviesplatform/gateway/upstream"
)

// Searcher is the search service as the gateway uses it: search-svc's
// search.Service (in-process or its HTTP client) is one.
type Searcher interface {
	// List answers a list query with ?search= in the list's shape.
	List(ctx context.Context, q contract.ListQuery) (contract.Page, error)
	// Search answers GET /api/search/: hits, facets and an estimated total.
	Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error)
}

// TokenCache remembers token introspections (authn.Cache is one).
type TokenCache interface {
	authn.Introspector
	// Forget drops what is known about a token, at once.
	Forget(token string)
	// ForgetUser drops what is known about every token of a user, at once.
	ForgetUser(username string)
}

// Options are the gateway's collaborators.
type Options struct {
	Catalog catalog.Service
	Auth    auth.Service
	// Search, when set, answers list queries with ?search= and
	// GET /api/search/; the catalog answers ?search= when it is unset or
	// failing.
	Search Searcher
	// Tokens answers introspections in front of Auth; nil asks Auth every time.
	Tokens TokenCache
	Log    *slog.Logger
	// Metrics instrument every route; nil for none.
	Metrics *httpx.HTTPMetrics
	// Cache keeps anonymous answers of the movie GETs; nil for none.
	Cache *respcache.Cache
	// Shared is the cache's second level in Redis; nil for none. It is
	// used only with Cache.
	Shared *respcache.Shared
	// MaxAge is the Cache-Control max-age of anonymous movie GETs: how long
	// a CDN or browser may keep them.
	MaxAge time.Duration
	// ClientAddr is a request's end client (clientip.Resolver.ClientAddr);
	// nil means the peer address.
	ClientAddr func(*http.Request) string
	// RateLimit bounds each client's requests (ratelimit.Limiter's
	// Middleware); nil for none.
	RateLimit httpx.Middleware
	// Cursors signs the page cursors handed out and verifies those sent
	// back; nil generates a key (for one process alone: see cursorsig).
	Cursors *cursorsig.Signer
	// PublicURL, when set, is the base of every URL the gateway hands out
	// (Link, Location): the address clients use, whatever Host or
	// forwarded headers a request carries (ParsePublicURL checks one).
	PublicURL *url.URL
	// TrustsProxy tells whether a request came through a trusted proxy
	// (clientip.Resolver.FromTrustedProxy), whose X-Forwarded-Proto and
	// X-Forwarded-Host are then believed when PublicURL is unset; nil
	// trusts none.
	TrustsProxy func(*http.Request) bool
	// SQLSearches bounds the catalog's SQL searches (?search= when
	// search-svc is down, slow or overloaded) this gateway runs at once; 0
	// means DefaultSQLSearches. Each scans the catalog's names, holding a
	// database core for the whole scan, so a few at once take the database
	// from every other read: unbounded, a search outage becomes a catalog
	// outage (docs/performance.md has the load runs that showed it).
	SQLSearches int
}

// DefaultSQLSearches is the default bound on concurrent SQL searches.
const DefaultSQLSearches = 1

// Gateway is the public API's HTTP handler.
type Gateway struct {
	catalog catalog.Service
	auth    auth.Service
	search  Searcher
	tokens  TokenCache
	log     *slog.Logger
	router  *httpx.Router
	handler http.Handler

	clientAddr  func(*http.Request) string
	trustsProxy func(*http.Request) bool
	publicURL   *url.URL
	cursors     *cursorsig.Signer

	cache              *respcache.Cache
	shared             *respcache.Shared
	fills              singleflight.Group
	publicCacheControl string
	sqlSearches        chan struct{}
}

// New builds the gateway and its routes.
func New(o Options) *Gateway {
	g := &Gateway{
		catalog: o.Catalog,
		auth:    o.Auth,
		search:  o.Search,
		tokens:  o.Tokens,
		log:     o.Log,
		router:  httpx.NewRouter(o.Metrics),
		cache:   o.Cache,
		shared:  o.Shared,

		clientAddr:  o.ClientAddr,
		trustsProxy: o.TrustsProxy,
		publicURL:   o.PublicURL,
		cursors:     o.Cursors,
		// Whole seconds, rounded down: a CDN must not keep an answer
		// longer than the gateway promises.
		publicCacheControl: "public, max-age=" + strconv.Itoa(int(o.MaxAge/time.Second)),
	}
	if o.SQLSearches <= 0 {
		o.SQLSearches = DefaultSQLSearches
	}
	g.sqlSearches = make(chan struct{}, o.SQLSearches)
	if g.tokens == nil {
		g.tokens = uncached{o.Auth}
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.cursors == nil {
		g.cursors = cursorsig.Generate()
	}
	if g.trustsProxy == nil {
		g.trustsProxy = func(*http.Request) bool { return false }
	}
	if g.clientAddr == nil {
		var peer clientip.Resolver // trusts no proxy
		g.clientAddr = peer.ClientAddr
	}
	g.routes()
	mws := []httpx.Middleware{httpx.WithRequestID, httpx.Recover(g.log), httpx.AccessLog(g.log), CORS,
		httpx.LimitBody(httpx.MaxBodyBytes, httpx.DrainBytes)}
	if o.RateLimit != nil {
		// Inside CORS, so that a browser can read a 429 and its headers.
		mws = append(mws, o.RateLimit)
	}
	g.handler = httpx.Chain(g.router, mws...)
	return g
}

// withClient names the request's client in its context, so that every call
// made for it counts against that client's share of the upstream's bound
// (upstream.Settings.ClientShare): its token when it presents one, else its
// address. It is called where a request may first reach an upstream (its
// handler, and the token check before a cache lookup), not as middleware:
// an anonymous cache hit calls none, and naming costs a context and a copy
// of the request.
func (g *Gateway) withClient(r *http.Request) *http.Request {
	if upstream.HasClient(r.Context()) {
		return r
	}
	token, _ := authn.TokenFromRequest(r) // a malformed header is the handler's 401
	return r.WithContext(upstream.WithClient(r.Context(), upstream.Client{Token: token, Addr: g.clientAddr(r)}))
}

// The route table. Every path is also served without its trailing slash;
// HEAD follows GET; other methods get 405 with Allow.
//
//	GET    /api/movies/        list (filters, ordering, cursor pages)   anyone
//	POST   /api/movies/        create                                   admin
//	GET    /api/search/        hits, genre facets, estimated total      anyone
//	GET    /api/movie/{id}/    fetch                                    anyone
//	PUT    /api/movie/{id}/    replace                                  admin
//	PATCH  /api/movie/{id}/    change some fields                       admin
//	DELETE /api/movie/{id}/    delete                                   admin
//	POST   /api/auth/token/    log in → {"token"}                       anyone
//	DELETE /api/auth/token/    revoke the presented token               token holder
//	GET    /api/auth/me/       who the token belongs to                 token holder
//	POST   /api/auth/users/    create a user                            admin
//	GET    /api/auth/tokens/   my tokens (never the secrets)            token holder
//	DELETE /api/auth/tokens/{id}/  revoke one of my tokens              token holder
//	GET    /api/auth/users/    users, by id, ?after=&page_size=         admin
//	PATCH  /api/auth/users/{id}/  {is_admin, is_active}; 409 when no    admin
//	                           active admin would remain
//	DELETE /api/auth/users/{id}/tokens/  revoke all of a user's tokens  admin
//	GET    /api/openapi.json   the OpenAPI 3.1 document                 anyone
//	GET    /api/docs/          the document rendered with Swagger UI    anyone
func (g *Gateway) routes() {
	rt := g.router
	rt.Handle(http.MethodGet, contract.RouteMovies, g.cached(g.listKey, g.handle(g.listMovies)))
	rt.Handle(http.MethodPost, contract.RouteMovies, g.handle(g.createMovie))
	rt.Handle(http.MethodGet, contract.RouteSearch, g.cached(g.searchKey, g.handle(g.searchMovies)))
	rt.Handle(http.MethodGet, contract.RouteMovie, g.cached(movieKey, g.handle(g.getMovie)))
	rt.Handle(http.MethodPut, contract.RouteMovie, g.handle(g.replaceMovie))
	rt.Handle(http.MethodPatch, contract.RouteMovie, g.handle(g.patchMovie))
	rt.Handle(http.MethodDelete, contract.RouteMovie, g.handle(g.deleteMovie))
	rt.Handle(http.MethodPost, contract.RouteAuthToken, g.handle(g.login))
	rt.Handle(http.MethodDelete, contract.RouteAuthToken, g.handle(g.logout))
	rt.Handle(http.MethodGet, contract.RouteAuthMe, g.handle(g.me))
	rt.Handle(http.MethodPost, contract.RouteAuthUsers, g.handle(g.createUser))
	g.adminRoutes()
	docs.Register(rt)
}

// ServeHTTP serves the public API.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// Routes lists the registered route patterns with their methods.
func (g *Gateway) Routes() map[string][]string { return g.router.Routes() }

// handle adapts a handler that returns its error, so every failure goes out
// through the one encoder. Unexpected failures (500) are logged with their
// cause; an upstream down or slow (503, 504) is already one access-log line
// and a metric, and a second line per failure would add work exactly when
// the gateway is overloaded.
func (g *Gateway) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = g.withClient(r)
		err := h(w, r)
		if err == nil {
			return
		}
		if apierr.KindOf(err) == apierr.Internal {
			g.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path,
				"error", err)
		}
		apierr.Encode(r.Context(), err, w)
	})
}

type uncached struct{ auth.Service }

func (uncached) Forget(string)     {}
func (uncached) ForgetUser(string) {}
