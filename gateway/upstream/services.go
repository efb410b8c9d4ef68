package upstream

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/moviesplatform/platform/endpointmw"
)

// Middleware sends every call of a service's endpoints through its guard.
func (g *Guard) Middleware() endpointmw.Middleware {
	return Guarding(func(endpointmw.Method) *Guard { return g })
}

// Guarding sends each call through the guard that pick chooses for its
// method, so one service can have a breaker per class of call.
func Guarding(pick func(endpointmw.Method) *Guard) endpointmw.Middleware {
	return func(m endpointmw.Method, next endpoint.Endpoint) endpoint.Endpoint {
		g := pick(m)
		return func(ctx context.Context, req any) (any, error) {
			return Call(ctx, g, func(ctx context.Context) (any, error) {
				resp, err := next(ctx, req)
				// The breaker must see the upstream's own answer too.
				if failure := endpointmw.Failure(resp, err); failure != nil {
					return nil, failure
				}
				return resp, nil
			})
		}
	}
}

// CatalogGuards are the catalog's guards by class of call (the catalog
// endpoints' class tag). Each class has its own breaker, so slow list pages
// (a costly filter) cannot open the circuit for detail pages or writes,
// which stay fast.
type CatalogGuards struct {
	List  *Guard // class list: filtered, sorted pages
	Read  *Guard // class read: Get and the change feed, primary-key reads
	Write *Guard // class write: Create, Replace, Patch, Delete
}

// All lists the guards, for readiness detail and metrics.
func (g CatalogGuards) All() []*Guard { return []*Guard{g.List, g.Read, g.Write} }

// Middleware guards every catalog call by its class.
func (g CatalogGuards) Middleware() endpointmw.Middleware {
	return Guarding(func(m endpointmw.Method) *Guard {
		switch m.Class {
		case "list":
			return g.List
		case string(endpointmw.Write):
			return g.Write
		default:
			return g.Read
		}
	})
}

// AuthGuards are auth-svc's guards by class of call (the auth endpoints'
// class tag). Logins are slow by design (bcrypt) and are what a flood
// sends; token checks are on every authenticated request. Apart, a login
// flood fills and trips only its own bound and breaker, and token checks
// keep answering.
type AuthGuards struct {
	Login      *Guard // class login
	Introspect *Guard // class introspect
	Other      *Guard // revocation, token lists, user administration
}

// All lists the guards, for readiness detail and metrics.
func (g AuthGuards) All() []*Guard { return []*Guard{g.Login, g.Introspect, g.Other} }

// Middleware guards every auth call by its class.
func (g AuthGuards) Middleware() endpointmw.Middleware {
	return Guarding(func(m endpointmw.Method) *Guard {
		switch m.Class {
		case "login":
			return g.Login
		case "introspect":
			return g.Introspect
		default:
			return g.Other
		}
	})
}
