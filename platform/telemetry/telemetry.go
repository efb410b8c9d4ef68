// Package telemetry sets up OpenTelemetry tracing from the standard OTEL_*
// variables only, through the contrib autoexport and autoprop packages:
//
//   - OTEL_TRACES_EXPORTER (otlp, console, none), OTEL_EXPORTER_OTLP_PROTOCOL
//     (http/protobuf or grpc) and OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT;
//   - OTEL_PROPAGATORS (default tracecontext,baggage);
//   - OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (read by the SDK);
//   - OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, which win over the
//     resource built here (service.name, service.version, and k8s.pod.name /
//     k8s.namespace.name from K8S_POD_NAME / K8S_NAMESPACE_NAME, which a
//     chart fills from the downward API);
//   - OTEL_SDK_DISABLED=true turns tracing off whatever else is set.
//
// Tracing is on only when an exporter is asked for: OTEL_TRACES_EXPORTER set
// to anything but none, or an OTLP endpoint given. Otherwise (the default, a
// laptop with no collector) the provider is OpenTelemetry's no-op one and
// every wrapper here hands back what it was given: tracing off adds nothing
// to a request's path.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// The variables a Kubernetes manifest fills from the downward API
// (metadata.name, metadata.namespace).
const (
	EnvPodName   = "K8S_POD_NAME"
	EnvNamespace = "K8S_NAMESPACE_NAME"
)

// Tracing is a tracer provider with the propagator that goes with it. A nil
// *Tracing is tracing off, so tests and tools can pass nil.
type Tracing struct {
	provider   trace.TracerProvider
	propagator propagation.TextMapPropagator
	shutdown   func(context.Context) error
}

// Off is tracing switched off: the no-op provider, no wrappers.
func Off() *Tracing { return nil }

// New is tracing through tp with prop (W3C trace context and baggage when
// nil); tests pass an SDK provider that records in memory.
func New(tp trace.TracerProvider, prop propagation.TextMapPropagator) *Tracing {
	if prop == nil {
		prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	return &Tracing{provider: tp, propagator: prop, shutdown: func(context.Context) error { return nil }}
}

// Setup returns tracing for service as the OTEL_* variables configure it
// (see the package comment); nil, tracing off, when they ask for none.
func Setup(ctx context.Context, service string) (*Tracing, error) {
	if !wanted() {
		return Off(), nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, err
	}
	if autoexport.IsNoneSpanExporter(exp) {
		return Off(), nil
	}
	prop, err := propagator()
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, err
	}
	res, err := Resource(ctx, service)
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, err
	}
	// The SDK reads OTEL_TRACES_SAMPLER[_ARG] and OTEL_BSP_* itself.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Tracing{provider: tp, propagator: prop, shutdown: tp.Shutdown}, nil
}

// propagator is OTEL_PROPAGATORS' propagator, W3C trace context and baggage
// by default. A misspelt name fails start-up (autoprop's
// NewTextMapPropagator would only log it).
func propagator() (propagation.TextMapPropagator, error) {
	names := os.Getenv("OTEL_PROPAGATORS")
	if names == "" {
		return autoprop.NewTextMapPropagator(), nil
	}
	prop, err := autoprop.TextMapPropagator(strings.Split(names, ",")...)
	if err != nil {
		return nil, fmt.Errorf("OTEL_PROPAGATORS: %w", err)
	}
	return prop, nil
}

// wanted tells whether the environment asks for traces to be exported.
func wanted() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if e := strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")); e != "" {
		return e != "none"
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Resource describes this process: service.name (service unless
// OTEL_SERVICE_NAME says otherwise), service.version, the Kubernetes pod and
// namespace when the downward API variables are set, the SDK, and whatever
// OTEL_RESOURCE_ATTRIBUTES adds; the variables win over the defaults.
func Resource(ctx context.Context, service string) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{semconv.ServiceName(service), semconv.ServiceVersion(Version())}
	if v := os.Getenv(EnvPodName); v != "" {
		attrs = append(attrs, semconv.K8SPodName(v))
	}
	if v := os.Getenv(EnvNamespace); v != "" {
		attrs = append(attrs, semconv.K8SNamespaceName(v))
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attrs...),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // last: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if errors.Is(err, resource.ErrPartialResource) {
		// A malformed OTEL_RESOURCE_ATTRIBUTES entry: keep the rest.
		err = nil
	}
	return res, err
}

// Version is the binary's module version as the Go toolchain stamped it,
// "devel" for a build from a work tree.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// On tells whether tp records spans: not nil nor the no-op provider. A
// library wraps its calls only then, so tracing off costs nothing.
func On(tp trace.TracerProvider) bool {
	if tp == nil {
		return false
	}
	_, off := tp.(noop.TracerProvider)
	return !off
}

// Enabled tells whether spans are recorded.
func (t *Tracing) Enabled() bool { return t != nil }

// TracerProvider is the provider to hand to instrumented libraries; the
// no-op provider when tracing is off (endpointmw then adds no wrapper).
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if t == nil {
		return noop.NewTracerProvider()
	}
	return t.provider
}

// Propagator is the configured propagator (W3C trace context and baggage
// by default); nil when tracing is off.
func (t *Tracing) Propagator() propagation.TextMapPropagator {
	if t == nil {
		return nil
	}
	return t.propagator
}

// Shutdown flushes pending spans.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Edge says how a server treats a trace context its callers send.
type Edge bool

// The two kinds of server.
const (
	// Internal servers continue their caller's trace.
	Internal Edge = false
	// Public servers face the internet: every request starts a new trace,
	// linked to the one the client sent, so an outside client can neither
	// join our traces nor force sampling through its flags.
	Public Edge = true
)

// Handler traces every request served by h with a server span; the router
// names it after the route ("GET /api/movie/{id}/", see httpx.Router).
// Tracing off returns h itself.
func (t *Tracing) Handler(h http.Handler, edge Edge) http.Handler {
	if t == nil {
		return h
	}
	opts := []otelhttp.Option{otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.propagator)}
	if edge == Public {
		opts = append(opts, otelhttp.WithPublicEndpointFn(func(*http.Request) bool { return true }))
	}
	traced := otelhttp.NewHandler(h, "", opts...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The process's own mux (the operational endpoints beside the
		// service at "/") set its pattern, "/"; otelhttp would rename the
		// span "GET /" after the router named it after the route.
		r.Pattern = ""
		traced.ServeHTTP(w, r)
	})
}

// Transport traces every request sent through base (nil:
// http.DefaultTransport) inside a trace with a client span, and propagates
// the trace context and baggage to the callee. A request sent outside any
// trace (a readiness probe's check, an idle poll of the change feed) makes
// no span: a root trace of one client call tells an SRE nothing and
// drowns the rest. Tracing off returns base itself.
func (t *Tracing) Transport(base http.RoundTripper) http.RoundTripper {
	if t == nil {
		return base
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return tracedTransport{
		RoundTripper: otelhttp.NewTransport(base,
			otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.propagator),
			// The conventions' client span name: the method alone.
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
			otelhttp.WithFilter(func(r *http.Request) bool { return trace.SpanContextFromContext(r.Context()).IsValid() })),
		base: base,
	}
}

// tracedTransport passes http.Client.CloseIdleConnections on to the base
// transport, which otelhttp's does not.
type tracedTransport struct {
	http.RoundTripper
	base http.RoundTripper
}

func (t tracedTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
