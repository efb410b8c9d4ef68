package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/moviesplatform/platform/telemetry"
)

// clearEnv unsets every variable Setup reads, for this test.
func clearEnv(t *testing.T) {
	for _, k := range []string{
		"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_PROPAGATORS", "OTEL_SERVICE_NAME",
		"OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", telemetry.EnvPodName, telemetry.EnvNamespace,
	} {
		t.Setenv(k, "")
	}
}

// setup is Setup with exactly env set of the variables it reads.
func setup(t *testing.T, env map[string]string) *telemetry.Tracing {
	t.Helper()
	clearEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	tr, err := telemetry.Setup(t.Context(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

type plain struct{}

func (plain) ServeHTTP(http.ResponseWriter, *http.Request) {}

func TestSetupIsOffUnlessAnExporterIsAskedFor(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"nothing set":   {},
		"exporter none": {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
		"sdk disabled":  {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"},
	} {
		t.Run(name, func(t *testing.T) {
			tr := setup(t, env)
			if tr.Enabled() {
				t.Fatal("tracing on")
			}
			if _, ok := tr.TracerProvider().(noop.TracerProvider); !ok {
				t.Fatalf("provider %T, want the no-op one", tr.TracerProvider())
			}
			// Off costs nothing: no wrapper around handlers or transports.
			if h := tr.Handler(plain{}, telemetry.Public); h != (plain{}) {
				t.Fatalf("handler wrapped: %T", h)
			}
			if rt := tr.Transport(http.DefaultTransport); rt != http.DefaultTransport {
				t.Fatalf("transport wrapped: %T", rt)
			}
		})
	}
}

func TestSetupExportsOverHTTPOrGRPC(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"otlp http": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
		"otlp grpc": {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"},
		"console":   {"OTEL_TRACES_EXPORTER": "console", "OTEL_PROPAGATORS": "tracecontext,baggage,b3", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
	} {
		t.Run(name, func(t *testing.T) {
			tr := setup(t, env)
			defer tr.Shutdown(context.Background())
			if !tr.Enabled() {
				t.Fatal("tracing off")
			}
			if _, ok := tr.TracerProvider().(*sdktrace.TracerProvider); !ok {
				t.Fatalf("provider %T, want the SDK's", tr.TracerProvider())
			}
		})
	}
}

func TestSetupRejectsAnUnknownPropagator(t *testing.T) {
	clearEnv(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "console")
	t.Setenv("OTEL_PROPAGATORS", "tracecontext,nonsense")
	if _, err := telemetry.Setup(t.Context(), "test"); err == nil {
		t.Fatal("no error")
	}
}

func TestResourceNamesTheServiceAndItsPod(t *testing.T) {
	clearEnv(t)
	t.Setenv(telemetry.EnvPodName, "catalog-7d9f-abcde")
	t.Setenv(telemetry.EnvNamespace, "movies")
	res, err := telemetry.Resource(t.Context(), "catalog-svc")
	if err != nil {
		t.Fatal(err)
	}
	want := map[attribute.Key]string{
		"service.name": "catalog-svc", "service.version": telemetry.Version(),
		"k8s.pod.name": "catalog-7d9f-abcde", "k8s.namespace.name": "movies",
	}
	for k, v := range want {
		if got, _ := res.Set().Value(k); got.AsString() != v {
			t.Errorf("%s = %q, want %q", k, got.AsString(), v)
		}
	}

	// The standard variables win.
	t.Setenv("OTEL_SERVICE_NAME", "catalog-eu")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "service.version=1.2.3,deployment.environment.name=staging")
	res, err = telemetry.Resource(t.Context(), "catalog-svc")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[attribute.Key]string{"service.name": "catalog-eu", "service.version": "1.2.3", "deployment.environment.name": "staging"} {
		if got, _ := res.Set().Value(k); got.AsString() != v {
			t.Errorf("%s = %q, want %q", k, got.AsString(), v)
		}
	}
}

// serve sends one request carrying a caller's trace context through a
// traced handler and returns the server span and the caller's context.
func serve(t *testing.T, edge telemetry.Edge) (sdktrace.ReadOnlySpan, trace.SpanContext) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tr := telemetry.New(tp, nil)
	ctx, caller := tp.Tracer("client").Start(context.Background(), "client")
	caller.End()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/movies/", nil)
	tr.Propagator().Inject(ctx, propagationHeader(req.Header))
	req = req.WithContext(context.Background()) // the server sees only the headers
	tr.Handler(plain{}, edge).ServeHTTP(httptest.NewRecorder(), req)
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindServer {
			return s, caller.SpanContext()
		}
	}
	t.Fatal("no server span")
	return nil, trace.SpanContext{}
}

func TestInternalServersContinueTheCallersTrace(t *testing.T) {
	span, caller := serve(t, telemetry.Internal)
	if span.SpanContext().TraceID() != caller.TraceID() || span.Parent().SpanID() != caller.SpanID() {
		t.Fatalf("server span %v parent %v, want a child of %v", span.SpanContext(), span.Parent(), caller)
	}
}

func TestThePublicEdgeStartsANewTraceLinkedToTheCallers(t *testing.T) {
	span, caller := serve(t, telemetry.Public)
	if span.SpanContext().TraceID() == caller.TraceID() || span.Parent().IsValid() {
		t.Fatalf("server span %v parent %v continues the caller's trace", span.SpanContext(), span.Parent())
	}
	links := span.Links()
	if len(links) != 1 || links[0].SpanContext.TraceID() != caller.TraceID() || links[0].SpanContext.SpanID() != caller.SpanID() {
		t.Fatalf("links %v, want one to %v", links, caller)
	}
}

type propagationHeader http.Header

func (h propagationHeader) Get(k string) string { return http.Header(h).Get(k) }
func (h propagationHeader) Set(k, v string)     { http.Header(h).Set(k, v) }
func (h propagationHeader) Keys() []string {
	out := make([]string, 0, len(h))
	for k := range h {
		out = append(out, k)
	}
	return out
}
