package catalog

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/moviesplatform/platform/contract"
)

// Endpoints holds one go-kit endpoint per Service method. The server side
// wraps a Service in them; the client side builds them from HTTP calls and
// is itself a Service.
type Endpoints struct {
	List    endpoint.Endpoint
	Get     endpoint.Endpoint
	Create  endpoint.Endpoint
	Replace endpoint.Endpoint
	Patch   endpoint.Endpoint
	Delete  endpoint.Endpoint
	Changes endpoint.Endpoint
}

// MakeEndpoints returns the endpoints of s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		List: func(ctx context.Context, req any) (any, error) {
			p, err := s.List(ctx, req.(listRequest).Query)
			return listResponse{Page: p, Err: err}, nil
		},
		Get: func(ctx context.Context, req any) (any, error) {
			m, err := s.Get(ctx, req.(idRequest).ID)
			return movieResponse{Movie: m, Err: err}, nil
		},
		Create: func(ctx context.Context, req any) (any, error) {
			m, err := s.Create(ctx, req.(writeRequest).Body)
			return movieResponse{Movie: m, Err: err, created: true}, nil
		},
		Replace: func(ctx context.Context, req any) (any, error) {
			r := req.(writeRequest)
			m, err := s.Replace(ctx, r.ID, r.Body)
			return movieResponse{Movie: m, Err: err}, nil
		},
		Patch: func(ctx context.Context, req any) (any, error) {
			r := req.(writeRequest)
			m, err := s.Patch(ctx, r.ID, r.Body)
			return movieResponse{Movie: m, Err: err}, nil
		},
		Delete: func(ctx context.Context, req any) (any, error) {
			return deleteResponse{Err: s.Delete(ctx, req.(idRequest).ID)}, nil
		},
		Changes: func(ctx context.Context, req any) (any, error) {
			r := req.(changesRequest)
			p, err := s.Changes(ctx, r.After, r.Limit)
			return changesResponse{Page: p, Err: err}, nil
		},
	}
}

// The requests and responses of the endpoints. A response carries the
// service's error in Err (go-kit's Failer), so business errors and transport
// errors stay apart.
type (
	listRequest  struct{ Query contract.ListQuery }
	listResponse struct {
		Page contract.Page
		Err  error
	}
	idRequest    struct{ ID int64 }
	writeRequest struct {
		ID   int64
		Body contract.MovieWrite
	}
	movieResponse struct {
		Movie   contract.Movie
		Err     error
		created bool
	}
	deleteResponse struct{ Err error }
	changesRequest struct {
		After int64
		Limit int
	}
	changesResponse struct {
		Page contract.ChangePage
		Err  error
	}
)

func (r listResponse) Failed() error    { return r.Err }
func (r movieResponse) Failed() error   { return r.Err }
func (r deleteResponse) Failed() error  { return r.Err }
func (r changesResponse) Failed() error { return r.Err }
