package catalog

import (
	"context"
	"log/slog"

	"github.com/go-kit/kit/endpoint"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/endpointmw"
	"github.com/moviesplatform/platform/readpref"
)

// Endpoints holds one go-kit endpoint per Service method: the server side
// wraps a service in them (New), the client side builds them from HTTP calls
// (NewHTTPClient), every middleware (endpointmw) wraps them alike, and
// Service turns them back into a Service. The tags tell middlewares what each method
// is (endpointmw's package comment).
type Endpoints struct {
	List    endpoint.Endpoint `endpoint:"read,class=list"`
	Get     endpoint.Endpoint `endpoint:"read"`
	Create  endpoint.Endpoint `endpoint:"write"`
	Replace endpoint.Endpoint `endpoint:"write"`
	Patch   endpoint.Endpoint `endpoint:"write"`
	Delete  endpoint.Endpoint `endpoint:"write"`
	Changes endpoint.Endpoint `endpoint:"read"`
	// A search replica renews its feed lease every few seconds.
	AcquireFeedLease endpoint.Endpoint `endpoint:"write"`
	ReleaseFeedLease endpoint.Endpoint `endpoint:"write"`
}

// ServiceName names the catalog in metrics, logs and traces.
const ServiceName = "catalog"

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
			r := req.(writeRequest)
			m, err := s.Create(r.context(ctx), r.Body)
			return movieResponse{Movie: m, Err: err, created: true}, nil
		},
		Replace: func(ctx context.Context, req any) (any, error) {
			r := req.(writeRequest)
			m, err := s.Replace(r.context(ctx), r.ID, r.Body)
			return movieResponse{Movie: m, Err: err}, nil
		},
		Patch: func(ctx context.Context, req any) (any, error) {
			r := req.(writeRequest)
			m, err := s.Patch(r.context(ctx), r.ID, r.Body)
			return movieResponse{Movie: m, Err: err}, nil
		},
		Delete: func(ctx context.Context, req any) (any, error) {
			r := req.(idRequest)
			return deleteResponse{Err: s.Delete(WithIfMatch(ctx, r.IfMatch), r.ID)}, nil
		},
		Changes: func(ctx context.Context, req any) (any, error) {
			r := req.(changesRequest)
			if r.Primary {
				ctx = readpref.WithPrimary(ctx)
			}
			p, err := s.Changes(ctx, r.After, r.Limit)
			return changesResponse{Page: p, Err: err}, nil
		},
		AcquireFeedLease: func(ctx context.Context, req any) (any, error) {
			r := req.(leaseRequest)
			l, err := s.AcquireFeedLease(ctx, r.Name, r.Body)
			return leaseResponse{Lease: l, Err: err}, nil
		},
		ReleaseFeedLease: func(ctx context.Context, req any) (any, error) {
			r := req.(releaseRequest)
			return deleteResponse{Err: s.ReleaseFeedLease(ctx, r.Name, r.Holder)}, nil
		},
	}
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

func (s endpointService) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	r, err := endpointmw.Call[listResponse](ctx, s.e.List, listRequest{Query: q})
	return r.Page, err
}

func (s endpointService) Get(ctx context.Context, id int64) (contract.Movie, error) {
	r, err := endpointmw.Call[movieResponse](ctx, s.e.Get, idRequest{ID: id})
	return r.Movie, err
}

func (s endpointService) Create(ctx context.Context, in contract.MovieWrite) (contract.Movie, error) {
	r, err := endpointmw.Call[movieResponse](ctx, s.e.Create, newWriteRequest(ctx, 0, in))
	return r.Movie, err
}

func (s endpointService) Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error) {
	r, err := endpointmw.Call[movieResponse](ctx, s.e.Replace, newWriteRequest(ctx, id, in))
	return r.Movie, err
}

func (s endpointService) Patch(ctx context.Context, id int64, p contract.MovieWrite) (contract.Movie, error) {
	r, err := endpointmw.Call[movieResponse](ctx, s.e.Patch, newWriteRequest(ctx, id, p))
	return r.Movie, err
}

func (s endpointService) Delete(ctx context.Context, id int64) error {
	_, err := endpointmw.Call[deleteResponse](ctx, s.e.Delete, idRequest{ID: id, IfMatch: IfMatch(ctx)})
	return err
}

func (s endpointService) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	r, err := endpointmw.Call[changesResponse](ctx, s.e.Changes, changesRequest{After: after, Limit: limit, Primary: readpref.Primary(ctx)})
	return r.Page, err
}

func (s endpointService) AcquireFeedLease(ctx context.Context, name string, req contract.FeedLeaseRequest) (contract.FeedLease, error) {
	r, err := endpointmw.Call[leaseResponse](ctx, s.e.AcquireFeedLease, leaseRequest{Name: name, Body: req})
	return r.Lease, err
}

func (s endpointService) ReleaseFeedLease(ctx context.Context, name, holder string) error {
	_, err := endpointmw.Call[deleteResponse](ctx, s.e.ReleaseFeedLease, releaseRequest{Name: name, Holder: holder})
	return err
}

// The requests and responses of the endpoints. A response carries the
// service's error in Err (go-kit's Failer), so business errors and transport
// errors stay apart. LogAttrs says what a call's log line records.
type (
	listRequest  struct{ Query contract.ListQuery }
	listResponse struct {
		Page contract.Page
		Err  error
	}
	// idRequest's IfMatch conditions a Delete.
	idRequest struct {
		ID      int64
		IfMatch contract.IfMatch
	}
	// writeRequest carries the write's conditions, which the Service takes
	// in its context (WithIfMatch, WithIdempotencyKey), as fields: between
	// endpoints and transports they are part of the request.
	writeRequest struct {
		ID             int64
		Body           contract.MovieWrite
		IfMatch        contract.IfMatch
		IdempotencyKey string
	}
	movieResponse struct {
		Movie   contract.Movie
		Err     error
		created bool
	}
	deleteResponse struct{ Err error }
	// changesRequest's Primary carries the context's read preference
	// (readpref), which the Service takes in its context, across a
	// transport.
	changesRequest struct {
		After   int64
		Limit   int
		Primary bool
	}
	changesResponse struct {
		Page contract.ChangePage
		Err  error
	}
	leaseRequest struct {
		Name string
		Body contract.FeedLeaseRequest
	}
	releaseRequest struct{ Name, Holder string }
	leaseResponse  struct {
		Lease contract.FeedLease
		Err   error
	}
)

// newWriteRequest is the request of a write made with ctx.
func newWriteRequest(ctx context.Context, id int64, body contract.MovieWrite) writeRequest {
	return writeRequest{ID: id, Body: body, IfMatch: IfMatch(ctx), IdempotencyKey: IdempotencyKey(ctx)}
}

// context returns ctx carrying r's conditions for the Service.
func (r writeRequest) context(ctx context.Context) context.Context {
	if r.IdempotencyKey != "" {
		ctx = WithIdempotencyKey(ctx, r.IdempotencyKey)
	}
	return WithIfMatch(ctx, r.IfMatch)
}

func (r listResponse) Failed() error    { return r.Err }
func (r movieResponse) Failed() error   { return r.Err }
func (r deleteResponse) Failed() error  { return r.Err }
func (r changesResponse) Failed() error { return r.Err }
func (r leaseResponse) Failed() error   { return r.Err }

func (r listRequest) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.Any("query", r.Query)}
}
func (r listResponse) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.Int("results", len(r.Page.Movies))}
}
func (r idRequest) LogAttrs() []slog.Attr { return []slog.Attr{slog.Int64("id", r.ID)} }
func (r writeRequest) LogAttrs() []slog.Attr {
	if r.ID == 0 {
		return nil
	}
	return []slog.Attr{slog.Int64("id", r.ID)}
}
func (r movieResponse) LogAttrs() []slog.Attr {
	if !r.created {
		return nil
	}
	return []slog.Attr{slog.Int64("id", r.Movie.ID)}
}
func (r changesRequest) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.Int64("after", r.After), slog.Bool("primary", r.Primary)}
}
func (r changesResponse) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.Int("returned", len(r.Page.Changes))}
}
func (r leaseRequest) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.String("consumer", r.Name), slog.String("holder", r.Body.Holder)}
}
func (r releaseRequest) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.String("consumer", r.Name), slog.String("holder", r.Holder)}
}
