package httpx

import (
	"net/http"
	"slices"
	"strings"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/moviesplatform/platform/apierr"
)

// Router maps a path to handlers by method. It answers 405 in DRF's shape
// with an Allow header, serves HEAD where GET is served, answers OPTIONS,
// and registers every path with and without its trailing slash.
type Router struct {
	metrics *HTTPMetrics
	mux     *http.ServeMux
	routes  map[string]map[string]http.Handler
	order   []string
}

// NewRouter returns an empty router; with metrics, every route is instrumented
// under its pattern.
func NewRouter(metrics *HTTPMetrics) *Router {
	return &Router{metrics: metrics, mux: http.NewServeMux(), routes: map[string]map[string]http.Handler{}}
}

// Handle registers h for method on pattern (a contract route such as
// "/api/movie/{id}/").
func (rt *Router) Handle(method, pattern string, h http.Handler) {
	methods, ok := rt.routes[pattern]
	if !ok {
		methods = map[string]http.Handler{}
		rt.routes[pattern] = methods
		rt.order = append(rt.order, pattern)
		dispatch := rt.dispatcher(methods)
		trimmed := strings.TrimSuffix(pattern, "/")
		if trimmed != pattern && trimmed != "" {
			rt.mux.Handle(pattern+"{$}", dispatch)
			rt.mux.Handle(trimmed, dispatch)
		} else {
			rt.mux.Handle(pattern, dispatch)
		}
	}
	if rt.metrics != nil {
		h = rt.metrics.Route(pattern, h)
	}
	methods[method] = routed(pattern, h)
}

// routed names the request's server span after its route, as OpenTelemetry's
// conventions ask ("GET /api/movie/{id}/" with http.route), instead of the
// bare method: the mux's own pattern ("/api/movie/{id}/{$}") is not the
// route, and the tracing handler outside sees a copy of the request anyway.
// The request's Pattern becomes the route too, for the handler's own
// renaming when it does see this request.
func routed(pattern string, h http.Handler) http.Handler {
	route := semconv.HTTPRoute(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Pattern = pattern
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
			span.SetName(r.Method + " " + pattern)
			span.SetAttributes(route)
		}
		h.ServeHTTP(w, r)
	})
}

// HandleFunc is Handle for a function.
func (rt *Router) HandleFunc(method, pattern string, h http.HandlerFunc) {
	rt.Handle(method, pattern, h)
}

// Mount registers h for every method under a prefix pattern ("/x/").
func (rt *Router) Mount(prefix string, h http.Handler) { rt.mux.Handle(prefix, h) }

// Routes lists the registered patterns with their methods.
func (rt *Router) Routes() map[string][]string {
	out := map[string][]string{}
	for _, p := range rt.order {
		out[p] = allowed(rt.routes[p])
	}
	return out
}

// ServeHTTP answers unknown paths with a DRF-shaped 404.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Handler reports no pattern for paths nothing matches; ServeHTTP still
	// does the dispatch because only it fills in path values.
	if _, pattern := rt.mux.Handler(r); pattern == "" {
		apierr.Encode(r.Context(), apierr.ErrNotFound, w)
		return
	}
	rt.mux.ServeHTTP(w, r)
}

func (rt *Router) dispatcher(methods map[string]http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := methods[r.Method]; ok {
			h.ServeHTTP(w, r)
			return
		}
		if h, ok := methods[http.MethodGet]; ok && r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		allow := allowed(methods)
		if r.Method == http.MethodOptions {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		apierr.Encode(r.Context(), apierr.MethodNotAllowedError(r.Method, allow), w)
	})
}

func allowed(methods map[string]http.Handler) []string {
	var out []string
	for m := range methods {
		out = append(out, m)
	}
	if _, ok := methods[http.MethodGet]; ok {
		out = append(out, http.MethodHead)
	}
	out = append(out, http.MethodOptions)
	slices.Sort(out)
	return out
}
