package endpointmw_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-kit/kit/endpoint"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/endpointmw"
)

type set struct {
	List   endpoint.Endpoint `endpoint:"read,class=list"`
	Create endpoint.Endpoint `endpoint:"write"`
	Login  endpoint.Endpoint `endpoint:"write,log=info"`
	Peek   endpoint.Endpoint
}

type response struct{ Err error }

func (r response) Failed() error { return r.Err }

func answer(err error) endpoint.Endpoint {
	return func(context.Context, any) (any, error) { return response{Err: err}, nil }
}

func newSet() set {
	return set{List: answer(nil), Create: answer(nil), Login: answer(nil), Peek: answer(nil)}
}

func TestMethodsReadTheTags(t *testing.T) {
	s := newSet()
	got := map[string]endpointmw.Method{}
	for _, m := range endpointmw.Methods("svc", &s) {
		got[m.Name] = m
	}
	for name, want := range map[string]endpointmw.Method{
		"List":   {Service: "svc", Name: "List", Kind: endpointmw.Read, Class: "list", LogLevel: slog.LevelDebug},
		"Create": {Service: "svc", Name: "Create", Kind: endpointmw.Write, Class: "write", LogLevel: slog.LevelInfo},
		"Login":  {Service: "svc", Name: "Login", Kind: endpointmw.Write, Class: "write", LogLevel: slog.LevelInfo},
		"Peek":   {Service: "svc", Name: "Peek", Kind: endpointmw.Read, Class: "read", LogLevel: slog.LevelDebug},
	} {
		if got[name] != want {
			t.Errorf("%s: got %+v, want %+v", name, got[name], want)
		}
	}
}

func TestApplyWrapsEveryEndpointFirstOutermost(t *testing.T) {
	s := newSet()
	var order []string
	mark := func(tag string) endpointmw.Middleware {
		return func(m endpointmw.Method, next endpoint.Endpoint) endpoint.Endpoint {
			return func(ctx context.Context, req any) (any, error) {
				order = append(order, tag+":"+m.Name)
				return next(ctx, req)
			}
		}
	}
	endpointmw.Apply("svc", &s, mark("outer"), mark("inner"))
	for _, e := range []endpoint.Endpoint{s.List, s.Create, s.Login, s.Peek} {
		if _, err := e(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	want := "outer:List inner:List outer:Create inner:Create outer:Login inner:Login outer:Peek inner:Peek"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestApplyRefusesMalformedSets(t *testing.T) {
	for name, bad := range map[string]any{
		"not a pointer":   newSet(),
		"nil endpoint":    &set{},
		"unknown tag":     &struct{ A endpoint.Endpoint `endpoint:"read,sometimes"` }{A: answer(nil)},
		"not an endpoint": &struct{ A int }{},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			endpointmw.Apply("svc", bad)
		})
	}
}

func TestCallReturnsTheBusinessError(t *testing.T) {
	notFound := apierr.ErrNotFound
	if _, err := endpointmw.Call[response](context.Background(), answer(notFound), nil); !errors.Is(err, notFound) {
		t.Errorf("business error: got %v", err)
	}
	broken := errors.New("connection reset")
	failing := func(context.Context, any) (any, error) { return nil, broken }
	if _, err := endpointmw.Call[response](context.Background(), failing, nil); !errors.Is(err, broken) {
		t.Errorf("transport error: got %v", err)
	}
}

func TestInstrumentingCountsOutcomesFromStart(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := set{List: answer(nil), Create: answer(apierr.ErrNotFound), Login: answer(nil), Peek: answer(nil)}
	endpointmw.Apply("svc", &s, endpointmw.Instrumenting(reg, "svc"))
	// Every method's ok series exists before any call.
	if n := testutil.CollectAndCount(reg, "svc_service_calls_total"); n != 4 {
		t.Errorf("series before any call: %d, want 4", n)
	}
	_, _ = s.Create(context.Background(), nil)
	_, _ = s.List(context.Background(), nil)
	want := `
# HELP svc_service_calls_total Service calls, by method and outcome (ok or the error kind's HTTP status).
# TYPE svc_service_calls_total counter
svc_service_calls_total{method="Create",outcome="404"} 1
svc_service_calls_total{method="Create",outcome="ok"} 0
svc_service_calls_total{method="List",outcome="ok"} 1
svc_service_calls_total{method="Login",outcome="ok"} 0
svc_service_calls_total{method="Peek",outcome="ok"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "svc_service_calls_total"); err != nil {
		t.Error(err)
	}
}

func TestLoggingLevels(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s := set{List: answer(nil), Create: answer(nil), Login: answer(apierr.ErrThrottled), Peek: answer(errors.New("disk on fire"))}
	endpointmw.Apply("svc", &s, endpointmw.Logging(log))
	for _, e := range []endpoint.Endpoint{s.List, s.Create, s.Login, s.Peek} {
		_, _ = e(context.Background(), nil)
	}
	out := buf.String()
	for _, want := range []string{"level=INFO msg=\"svc call\" operation=Create", "level=WARN msg=\"svc call\" operation=Login", "level=ERROR msg=\"svc call\" operation=Peek"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "operation=List") {
		t.Errorf("a read was logged above debug:\n%s", out)
	}
}
