package catalog

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/servicetoken"
)

// Paging headers of a list answer. The body stays the seed's JSON array; the
// cursors around it travel in headers (the gateway turns them into Link).
const (
	HeaderNextCursor = "X-Next-Cursor"
	HeaderPrevCursor = "X-Prev-Cursor"
)

// NewHTTPHandler serves s over HTTP:
//
//	                                                                   who (servicetoken)
//	GET    /api/movies/              list: JSON array; X-Next-Cursor,     gateway, search
//	                                 X-Prev-Cursor, X-Total-Count
//	POST   /api/movies/              create: 201, Location, the movie     gateway
//	GET    /api/movie/{id}/          one movie                            gateway, search
//	PUT    /api/movie/{id}/          full replace                         gateway
//	PATCH  /api/movie/{id}/          partial update                       gateway
//	DELETE /api/movie/{id}/          204                                  gateway
//	GET    /internal/changes?after=N&limit=M   the change feed            search, operator
//	                 [&primary=true] (contract.ChangePage), from the
//	                                 primary database when asked
//	PUT    /internal/feed/consumers/{name}/lease  take or renew a    search, operator
//	                                 consumer's lease, record its position
//	                                 (contract.FeedLeaseRequest): 200
//	                                 contract.FeedLease, 409 held by another
//	DELETE /internal/feed/consumers/{name}/lease?holder=H  release: 204  search, operator
//
// Every path also answers without its trailing slash. Every call carries a
// service token (guard): the caller is authenticated and authorised per
// route, and the actor recorded in the change feed is the token's, never a
// header's. A movie's answers carry its ETag; PUT, PATCH and DELETE honour
// If-Match (412, or 428 when Options require it), POST honours
// Idempotency-Key. metrics may be nil.
func NewHTTPHandler(e Endpoints, log *slog.Logger, metrics *httpx.HTTPMetrics, guard *servicetoken.Guard) *httpx.Router {
	opts := httpx.ServerOptions(log, ServiceName)
	serve := func(p servicetoken.Policy, e endpoint.Endpoint, dec httptransport.DecodeRequestFunc, enc httptransport.EncodeResponseFunc) http.Handler {
		return guard.Require(p)(httptransport.NewServer(e, dec, enc, opts...))
	}
	read := servicetoken.Allow(servicetoken.Gateway, servicetoken.Search)
	// Who may write is the gateway's decision (admins); the catalog takes
	// writes from it alone, and records the actor its token names.
	write := servicetoken.Allow(servicetoken.Gateway)
	feed := servicetoken.Allow(servicetoken.Search, servicetoken.Operator)
	rt := httpx.NewRouter(metrics)
	rt.Handle(http.MethodGet, contract.RouteMovies, serve(read, e.List, decodeList, encodeList))
	rt.Handle(http.MethodPost, contract.RouteMovies, serve(write, e.Create, decodeWrite(false), encodeMovie))
	rt.Handle(http.MethodGet, contract.RouteMovie, serve(read, e.Get, decodeID, encodeMovie))
	rt.Handle(http.MethodPut, contract.RouteMovie, serve(write, e.Replace, decodeWrite(true), encodeMovie))
	rt.Handle(http.MethodPatch, contract.RouteMovie, serve(write, e.Patch, decodeWrite(true), encodeMovie))
	rt.Handle(http.MethodDelete, contract.RouteMovie, serve(write, e.Delete, decodeDelete, encodeDelete))
	rt.Handle(http.MethodGet, contract.RouteInternalChanges, serve(feed, e.Changes, decodeChanges, encodeChanges))
	rt.Handle(http.MethodPut, contract.RouteInternalFeedLease, serve(feed, e.AcquireFeedLease, decodeLease, encodeLease))
	rt.Handle(http.MethodDelete, contract.RouteInternalFeedLease, serve(feed, e.ReleaseFeedLease, decodeRelease, encodeDelete))
	return rt
}

func decodeList(_ context.Context, r *http.Request) (any, error) {
	q, err := contract.ParseListQuery(r.URL.Query())
	return listRequest{Query: q}, err
}

// pathID reads the {id} of a movie path; anything but a positive integer is
// an unknown movie, as in the seed.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

func decodeID(_ context.Context, r *http.Request) (any, error) {
	id, err := pathID(r)
	return idRequest{ID: id}, err
}

func decodeDelete(_ context.Context, r *http.Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	cond, err := contract.IfMatchOf(r.Header)
	return idRequest{ID: id, IfMatch: cond}, err
}

// decodeWrite reads a create (withID false) or an update of the movie the
// path names: the body, and the conditions in the headers.
func decodeWrite(withID bool) httptransport.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		var req writeRequest
		if withID {
			id, err := pathID(r)
			if err != nil {
				return nil, err
			}
			req.ID = id
			if req.IfMatch, err = contract.IfMatchOf(r.Header); err != nil {
				return nil, err
			}
		} else {
			var err error
			if req.IdempotencyKey, err = contract.IdempotencyKeyOf(r.Header); err != nil {
				return nil, err
			}
		}
		// DecodeJSON only uses the writer to close an oversized request's
		// connection, which the server does anyway.
		if err := httpx.DecodeJSON(nil, r, &req.Body); err != nil {
			return nil, err
		}
		return req, nil
	}
}

func decodeChanges(_ context.Context, r *http.Request) (any, error) {
	q := r.URL.Query()
	var req changesRequest
	bad := map[string][]string{}
	if raw := q.Get(contract.ParamChangesAfter); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			bad[contract.ParamChangesAfter] = []string{"A valid non-negative integer is required."}
		}
		req.After = n
	}
	if raw := q.Get(contract.ParamChangesLimit); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxChangesLimit {
			bad[contract.ParamChangesLimit] = []string{"Ensure this value is between 1 and " + strconv.Itoa(MaxChangesLimit) + "."}
		}
		req.Limit = n
	}
	if raw := q.Get(contract.ParamChangesPrimary); raw != "" {
		switch raw {
		case "true":
			req.Primary = true
		case "false":
		default:
			bad[contract.ParamChangesPrimary] = []string{"Must be true or false."}
		}
	}
	if len(bad) > 0 {
		return nil, apierr.Validation(bad)
	}
	return req, nil
}

// decodeLease reads a lease request; the service validates it.
func decodeLease(_ context.Context, r *http.Request) (any, error) {
	req := leaseRequest{Name: r.PathValue("name")}
	if err := httpx.DecodeJSON(nil, r, &req.Body); err != nil {
		return nil, err
	}
	return req, nil
}

func decodeRelease(_ context.Context, r *http.Request) (any, error) {
	return releaseRequest{Name: r.PathValue("name"), Holder: r.URL.Query().Get(contract.ParamHolder)}, nil
}

func encodeLease(ctx context.Context, w http.ResponseWriter, resp any) error {
	if httpx.EncodeFailure(ctx, w, resp) {
		return nil
	}
	return httpx.WriteJSON(w, http.StatusOK, resp.(leaseResponse).Lease)
}

func encodeList(ctx context.Context, w http.ResponseWriter, resp any) error {
	if httpx.EncodeFailure(ctx, w, resp) {
		return nil
	}
	p := resp.(listResponse).Page
	h := w.Header()
	if p.Next != "" {
		h.Set(HeaderNextCursor, p.Next)
	}
	if p.Prev != "" {
		h.Set(HeaderPrevCursor, p.Prev)
	}
	if p.Total != nil {
		h.Set(contract.HeaderTotalCount, strconv.FormatInt(*p.Total, 10))
	}
	movies := p.Movies
	if movies == nil {
		movies = []contract.Movie{}
	}
	return httpx.WriteJSON(w, http.StatusOK, movies)
}

func encodeMovie(ctx context.Context, w http.ResponseWriter, resp any) error {
	if httpx.EncodeFailure(ctx, w, resp) {
		return nil
	}
	r := resp.(movieResponse)
	if r.Movie.Version > 0 {
		w.Header().Set(contract.HeaderETag, r.Movie.ETag())
	}
	status := http.StatusOK
	if r.created {
		status = http.StatusCreated
		w.Header().Set("Location", contract.MoviePath(r.Movie.ID))
	}
	return httpx.WriteJSON(w, status, r.Movie)
}

func encodeDelete(ctx context.Context, w http.ResponseWriter, resp any) error {
	if httpx.EncodeFailure(ctx, w, resp) {
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func encodeChanges(ctx context.Context, w http.ResponseWriter, resp any) error {
	if httpx.EncodeFailure(ctx, w, resp) {
		return nil
	}
	return httpx.WriteJSON(w, http.StatusOK, resp.(changesResponse).Page)
}

// changesValues renders a change feed request as query parameters.
func changesValues(r changesRequest) url.Values {
	v := url.Values{}
	v.Set(contract.ParamChangesAfter, strconv.FormatInt(max(r.After, 0), 10))
	if r.Limit > 0 {
		// The server rejects limits the local service would clamp; clamp
		// here so both behave alike.
		v.Set(contract.ParamChangesLimit, strconv.Itoa(min(r.Limit, MaxChangesLimit)))
	}
	if r.Primary {
		v.Set(contract.ParamChangesPrimary, "true")
	}
	return v
}
