// Package endpointmw is the one middleware mechanism of every service.
//
// A service's endpoint set is a struct whose fields are go-kit endpoints, one
// per method of its Service interface. Each cross-cutting concern (tracing,
// logging, metrics, read routing, an upstream's guard) is written once as a
// Middleware that sees which method it wraps, and Apply wraps every endpoint
// of a set with it. Adding a method to a service therefore touches its
// interface, its implementation, its endpoint set and its transport, and no
// decorator: every middleware covers the new field by itself.
//
// A field's `endpoint` tag describes the method to the middlewares:
//
//	List   endpoint.Endpoint `endpoint:"read,class=list"`
//	Create endpoint.Endpoint `endpoint:"write"`
//	Login  endpoint.Endpoint `endpoint:"write,log=info"`
//
// The first word is the kind (read, the default, or write); class names the
// group an upstream guard puts the method in (its kind by default); log=info
// raises a read's log level to info (writes are logged at info already).
package endpointmw

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"

	"github.com/go-kit/kit/endpoint"
)

// Kind tells whether a method changes state.
type Kind string

// The kinds of method.
const (
	Read  Kind = "read"
	Write Kind = "write"
)

// Method describes the endpoint a middleware is wrapping.
type Method struct {
	// Service names the service ("catalog", "auth", "search").
	Service string
	// Name is the method's name, the endpoint set's field name ("Get").
	Name string
	// Kind is read or write.
	Kind Kind
	// Class groups methods for a per-group policy (an upstream's breaker
	// per class); it defaults to the kind.
	Class string
	// LogLevel is the level at which a successful call is logged.
	LogLevel slog.Level
}

// Middleware decorates the endpoint of one method.
type Middleware func(m Method, next endpoint.Endpoint) endpoint.Endpoint

// Apply wraps every endpoint of set, a pointer to an endpoint set struct, in
// mws; the first middleware is the outermost. A nil endpoint, a field of
// another type or a malformed tag is a programming error and panics, at
// start-up where Apply is called.
func Apply(service string, set any, mws ...Middleware) {
	for _, m := range Methods(service, set) {
		f := reflect.ValueOf(set).Elem().FieldByName(m.Name)
		ep := f.Interface().(endpoint.Endpoint)
		if ep == nil {
			panic(fmt.Sprintf("endpointmw: %s.%s is nil", service, m.Name))
		}
		for i := len(mws) - 1; i >= 0; i-- {
			ep = mws[i](m, ep)
		}
		f.Set(reflect.ValueOf(ep))
	}
}

var endpointType = reflect.TypeOf(endpoint.Endpoint(nil))

// Methods describes the endpoints of set, a pointer to an endpoint set
// struct, in field order.
func Methods(service string, set any) []Method {
	v := reflect.ValueOf(set)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("endpointmw: %T is not a pointer to an endpoint set", set))
	}
	t := v.Elem().Type()
	methods := make([]Method, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type != endpointType {
			panic(fmt.Sprintf("endpointmw: %s.%s is a %s, not an endpoint", t.Name(), f.Name, f.Type))
		}
		m, err := parseTag(service, f.Name, f.Tag.Get("endpoint"))
		if err != nil {
			panic(fmt.Sprintf("endpointmw: %s.%s: %v", t.Name(), f.Name, err))
		}
		methods = append(methods, m)
	}
	return methods
}

func parseTag(service, name, tag string) (Method, error) {
	m := Method{Service: service, Name: name, Kind: Read, LogLevel: slog.LevelDebug}
	for i, word := range strings.Split(tag, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(word), "=")
		switch {
		case key == "":
		case i == 0 && (key == string(Read) || key == string(Write)):
			m.Kind = Kind(key)
		case key == "class" && value != "":
			m.Class = value
		case key == "log":
			if err := m.LogLevel.UnmarshalText([]byte(value)); err != nil {
				return m, err
			}
		default:
			return m, fmt.Errorf("unknown tag word %q", word)
		}
	}
	if m.Class == "" {
		m.Class = string(m.Kind)
	}
	if m.Kind == Write {
		m.LogLevel = max(m.LogLevel, slog.LevelInfo)
	}
	return m, nil
}

// Call runs e and returns its response with the error the call ended with:
// the transport's, or the business error the response carries. An endpoint
// set's Service methods are one Call each.
func Call[R endpoint.Failer](ctx context.Context, e endpoint.Endpoint, req any) (R, error) {
	resp, err := e(ctx, req)
	if err != nil {
		var zero R
		return zero, err
	}
	r := resp.(R)
	return r, r.Failed()
}
