package search

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/moviesplatform/platform/contract"
)

// Endpoints holds one go-kit endpoint per remote Service method. List is not
// one: it is Search seen through the list's shape, on both sides.
type Endpoints struct {
	Search       endpoint.Endpoint
	StartReindex endpoint.Endpoint
}

// MakeEndpoints returns the endpoints of s.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Search: func(ctx context.Context, req any) (any, error) {
			r, err := s.Search(ctx, req.(searchRequest).Query)
			return searchResponse{Result: r, Err: err}, nil
		},
		StartReindex: func(ctx context.Context, _ any) (any, error) {
			return reindexResponse{Err: s.StartReindex(ctx)}, nil
		},
	}
}

// The requests and responses of the endpoints; a response carries the
// service's error in Err (go-kit's Failer).
type (
	searchRequest  struct{ Query contract.SearchQuery }
	searchResponse struct {
		Result contract.SearchResult
		Err    error
	}
	reindexRequest  struct{}
	reindexResponse struct{ Err error }
)

func (r searchResponse) Failed() error  { return r.Err }
func (r reindexResponse) Failed() error { return r.Err }
