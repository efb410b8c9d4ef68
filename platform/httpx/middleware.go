package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/exemplar"
	"github.com/moviesplatform/platform/logging"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies middlewares so the first one listed is the outermost.
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

type requestIDKey struct{}

// RequestID returns the request id stored by WithRequestID, if any.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// ContextWithRequestID stores a request id, so clients can pass it on and
// every log record of the request carries it.
func ContextWithRequestID(ctx context.Context, id string) context.Context {
	ctx = logging.WithAttrs(ctx, slog.String("request_id", id))
	return context.WithValue(ctx, requestIDKey{}, id)
}

// WithRequestID keeps a sane incoming X-Request-Id or makes one, echoes it in
// the response and puts it in the context for logs and outgoing calls.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(contract.HeaderRequestID)
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set(contract.HeaderRequestID, id)
		next.ServeHTTP(w, r.WithContext(ContextWithRequestID(r.Context(), id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Recover turns a panic into a logged 500 instead of a dropped connection.
func Recover(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.ErrorContext(r.Context(), "panic serving request",
						"panic", fmt.Sprint(v), "stack", string(debug.Stack()), "path", r.URL.Path)
					apierr.Encode(r.Context(), fmt.Errorf("panic: %v", v), w)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// AccessLog logs one line per request at debug level, unexpected server
// errors (500) at error level and unavailable or slow dependencies (other
// 5xx) at warn level, so a busy service does not drown in logs.
func AccessLog(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			level := slog.LevelDebug
			switch {
			case rec.status == http.StatusInternalServerError:
				level = slog.LevelError
			case rec.status >= 500:
				level = slog.LevelWarn
			}
			// Asked first: the arguments would be boxed (allocated) on every
			// request even when the level is off, as it is for 2xx and 4xx.
			if !log.Enabled(r.Context(), level) {
				return
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
				slog.Int("bytes", rec.bytes), slog.Duration("duration", time.Since(start)))
		})
	}
}

// HTTPMetrics are the RED metrics of an HTTP server.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// NewHTTPMetrics registers the server metrics on reg.
func NewHTTPMetrics(reg prometheus.Registerer) *HTTPMetrics {
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_server_requests_total", Help: "HTTP requests served, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_server_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_server_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight)
	return m
}

// routeSeries are one route's series for one method and status.
type routeSeries struct {
	method   string
	code     int
	requests prometheus.Counter
	duration prometheus.Observer
}

// Route instruments the handler of one route; route is the contract pattern,
// so label cardinality stays bounded.
func (m *HTTPMetrics) Route(route string, next http.Handler) http.Handler {
	// The series of the last method and status seen, so the common case
	// (the same GET answered 200 again and again) skips the label look-up
	// and its allocations; any other pair replaces it.
	var last atomic.Pointer[routeSeries]
	series := func(method string, code int) *routeSeries {
		if s := last.Load(); s != nil && s.method == method && s.code == code {
			return s
		}
		s := &routeSeries{method: method, code: code,
			requests: m.requests.WithLabelValues(route, method, strconv.Itoa(code)),
			duration: m.duration.WithLabelValues(route, method)}
		last.Store(s)
		return s
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inflight.Inc()
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		// Deferred so a panicking handler (answered 500 by Recover further
		// out) still leaves the in-flight gauge and is counted.
		panicked := true
		defer func() {
			m.inflight.Dec()
			switch {
			case panicked:
				rec.status = http.StatusInternalServerError
			case rec.status == 0:
				rec.status = http.StatusOK
			}
			s := series(r.Method, rec.status)
			s.requests.Inc()
			exemplar.Observe(r.Context(), s.duration, time.Since(start).Seconds())
		}()
		next.ServeHTTP(rec, r)
		panicked = false
	})
}
