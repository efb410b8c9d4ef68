package search

import (
	"context"
	"log/slog"

	"github.com/go-kit/kit/endpoint"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/search-svc/engine"
)

// Endpoints holds one go-kit endpoint per Service method: the server side
// wraps a service in them (New), the client side builds them from HTTP calls
// (NewHTTPClient), every middleware (endpointmw) wraps them alike, and
// Service turns them back into a Service. List is not one: it is Search
// seen through the list's shape, on both sides. The tags tell middlewares
// what each method is.
type Endpoints struct {
	Search       endpoint.Endpoint `endpoint:"read"`
	StartReindex endpoint.Endpoint `endpoint:"write"`
}

// ServiceName names search-svc in metrics, logs and traces.
const ServiceName = "search"

// New returns the search service over eng as endpoints with mws around each
// (the first outermost); rx may be nil when this process does not index
// (then StartReindex fails with ErrNoReindex).
func New(eng engine.Engine, rx Reindexer, mws ...endpointmw.Middleware) Endpoints {
	return MakeEndpoints(basicService{eng: eng, rx: rx}).Use(mws...)
}

// Use returns e with mws wrapped around every endpoint, the first outermost.
func (e Endpoints) Use(mws ...endpointmw.Middleware) Endpoints {
	endpointmw.Apply(ServiceName, &e, mws...)
	return e
}

// Service returns the Service that calls e, so that callers cannot tell
// local endpoints from remote ones.
func (e Endpoints) Service() Service { return endpointService{e} }

type endpointService struct{ e Endpoints }

func (s endpointService) Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	r, err := endpointmw.Call[searchResponse](ctx, s.e.Search, searchRequest{Query: q})
	return r.Result, err
}

func (s endpointService) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return listBySearch(ctx, s, q)
}

func (s endpointService) StartReindex(ctx context.Context) error {
	_, err := endpointmw.Call[reindexResponse](ctx, s.e.StartReindex, reindexRequest{})
	return err
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

func (r searchRequest) LogAttrs() []slog.Attr { return []slog.Attr{slog.String("query", r.Query.Text)} }
func (r searchResponse) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.Int("hits", len(r.Result.Hits)), slog.Int64("total", r.Result.EstimatedTotal)}
}
