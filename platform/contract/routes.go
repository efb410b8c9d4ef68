// Package contract is the public and internal HTTP contract of the platform,
// written once: route patterns, headers, DTOs and the list query language.
// Servers register these routes and clients call them, so the two cannot
// drift apart.
package contract

// Public routes, as the seed defines them. Every one is also served without
// its trailing slash.
const (
	RouteMovies     = "/api/movies/"
	RouteMovie      = "/api/movie/{id}/"
	RouteAuthToken  = "/api/auth/token/"
	RouteAuthMe     = "/api/auth/me/"
	RouteAuthUsers  = "/api/auth/users/"
	RouteSearch     = "/api/search/"
	RouteOpenAPI    = "/api/openapi.json"
	RouteDocs       = "/api/docs/"
	RouteDocsAssets = "/api/docs/assets/"
)

// Token and user administration (issue 9), public through the gateway: a
// user's own tokens, and an admin's view of the users.
const (
	RouteAuthTokens     = "/api/auth/tokens/"
	RouteAuthTokenByID  = "/api/auth/tokens/{id}/"
	RouteAuthUser       = "/api/auth/users/{id}/"
	RouteAuthUserTokens = "/api/auth/users/{id}/tokens/"
)

// Internal routes: served by a service to other services, never through the
// gateway. NetworkPolicies keep them inside the cluster.
const (
	RouteInternalChanges    = "/internal/changes"
	RouteInternalIntrospect = "/internal/auth/introspect"
	RouteInternalRevoke     = "/internal/auth/revoke"
)

// Query parameters of RouteInternalChanges: the changes after a sequence
// number, at most limit of them, and primary=true to read the page from
// the catalog's primary database instead of a replica that may lag (the
// indexer confirms a feed head behind its cursor that way).
const (
	ParamChangesAfter   = "after"
	ParamChangesLimit   = "limit"
	ParamChangesPrimary = "primary"
)

// Operational routes every service serves.
const (
	RouteHealthz = "/healthz"
	RouteReadyz  = "/readyz"
	RouteMetrics = "/metrics"
)

// Headers of the contract.
const (
	HeaderTotalCount = "X-Total-Count"
	HeaderRequestID  = "X-Request-Id"
	// HeaderDegraded tells a client the answer came from a fallback path.
	HeaderDegraded = "X-Movies-Degraded"
)

// MoviePath is the detail path of one movie.
func MoviePath(id int64) string { return "/api/movie/" + itoa(id) + "/" }
