package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/moviesplatform/platform/contract"
)

// AdminOptions configure the admin endpoints.
type AdminOptions struct {
	Health *Health
	// Gatherer is served on /metrics.
	Gatherer prometheus.Gatherer
	// Pprof mounts the runtime profiles under /debug/pprof/. Off by default:
	// a profile costs CPU and shows the process's internals.
	Pprof bool
}

// AdminHandler serves /healthz, /readyz, /metrics and, when switched on,
// /debug/pprof/; anything else is a 404. It belongs on the admin listener,
// never beside the API.
func AdminHandler(o AdminOptions) http.Handler {
	mux := http.NewServeMux()
	mountAdmin(mux, o)
	return mux
}

// WithAdmin serves h with the admin endpoints beside it on one handler: for
// in-process tests that want both behind one test server. A process never
// does this; it serves the admin endpoints on their own listener.
func WithAdmin(h http.Handler, o AdminOptions) http.Handler {
	mux := http.NewServeMux()
	mountAdmin(mux, o)
	mux.Handle("/", h)
	return mux
}

func mountAdmin(mux *http.ServeMux, o AdminOptions) {
	health := o.Health
	if health == nil {
		health = NewHealth()
	}
	mux.HandleFunc("GET "+contract.RouteHealthz, health.Live)
	mux.HandleFunc("GET "+contract.RouteReadyz, health.Ready)
	if o.Gatherer != nil {
		// OpenMetrics when the scraper asks for it, so exemplars reach it.
		mux.Handle("GET "+contract.RouteMetrics, promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	}
	if o.Pprof {
		// The handlers are mounted on this mux explicitly; the package's
		// registration on http.DefaultServeMux is never served.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
}
