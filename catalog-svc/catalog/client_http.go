package catalog

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// NewHTTPClient returns the endpoints of the catalog at baseURL (e.g.
// "http://127.0.0.1:8081") with hc (nil means http.DefaultClient), whose
// transport presents the caller's service token for the context's actor
// (servicetoken.Signer.Transport). It forwards the request id, and
// rebuilds the server's errors, so it fails exactly like a local service.
func NewHTTPClient(baseURL string, hc *http.Client) (Endpoints, error) {
	rm, err := httpx.NewRemote(ServiceName, baseURL, hc)
	if err != nil {
		return Endpoints{}, err
	}
	moviePath := func(r *http.Request, id int64) { r.URL.Path = rm.Path(contract.MoviePath(id)) }
	decodeMovie := decodeMovieResponse(httpx.DecodeInto(rm, func(m contract.Movie) any { return movieResponse{Movie: m} }))
	writeMovie := func(_ context.Context, r *http.Request, req any) error {
		w := req.(writeRequest)
		moviePath(r, w.ID)
		setIfMatch(r, w.IfMatch)
		return setMovieBody(r, w.Body)
	}
	return Endpoints{
		List: rm.Endpoint(http.MethodGet, contract.RouteMovies, func(_ context.Context, r *http.Request, req any) error {
			q := req.(listRequest).Query
			q.PageSize = min(q.PageSize, contract.MaxPageSize) // clamped, as the local service does
			r.URL.RawQuery = q.Values().Encode()
			return nil
		}, decodeListResponse),
		Get: rm.Endpoint(http.MethodGet, contract.RouteMovie, func(_ context.Context, r *http.Request, req any) error {
			moviePath(r, req.(idRequest).ID)
			return nil
		}, decodeMovie),
		Create: rm.Endpoint(http.MethodPost, contract.RouteMovies, func(_ context.Context, r *http.Request, req any) error {
			w := req.(writeRequest)
			if w.IdempotencyKey != "" {
				r.Header.Set(contract.HeaderIdempotencyKey, w.IdempotencyKey)
			}
			return setMovieBody(r, w.Body)
		}, decodeMovie),
		Replace: rm.Endpoint(http.MethodPut, contract.RouteMovie, writeMovie, decodeMovie),
		Patch:   rm.Endpoint(http.MethodPatch, contract.RouteMovie, writeMovie, decodeMovie),
		Delete: rm.Endpoint(http.MethodDelete, contract.RouteMovie, func(_ context.Context, r *http.Request, req any) error {
			d := req.(idRequest)
			moviePath(r, d.ID)
			setIfMatch(r, d.IfMatch)
			return nil
		}, httpx.DecodeEmpty(deleteResponse{})),
		Changes: rm.Endpoint(http.MethodGet, contract.RouteInternalChanges, func(_ context.Context, r *http.Request, req any) error {
			r.URL.RawQuery = changesValues(req.(changesRequest)).Encode()
			return nil
		}, httpx.DecodeInto(rm, func(p contract.ChangePage) any { return changesResponse{Page: p} })),
		AcquireFeedLease: rm.Endpoint(http.MethodPut, contract.RouteInternalFeedLease, func(_ context.Context, r *http.Request, req any) error {
			l := req.(leaseRequest)
			r.URL.Path = rm.Path(contract.FeedLeasePath(l.Name))
			return httpx.SetJSONBody(r, l.Body)
		}, httpx.DecodeInto(rm, func(l contract.FeedLease) any { return leaseResponse{Lease: l} })),
		ReleaseFeedLease: rm.Endpoint(http.MethodDelete, contract.RouteInternalFeedLease, func(_ context.Context, r *http.Request, req any) error {
			l := req.(releaseRequest)
			r.URL.Path = rm.Path(contract.FeedLeasePath(l.Name))
			r.URL.RawQuery = url.Values{contract.ParamHolder: {l.Holder}}.Encode()
			return nil
		}, httpx.DecodeEmpty(deleteResponse{})),
	}, nil
}

// setIfMatch sends a write's condition, if it has one.
func setIfMatch(r *http.Request, m contract.IfMatch) {
	if m.Present() {
		r.Header.Set(contract.HeaderIfMatch, m.String())
	}
}

// decodeMovieResponse completes dec's movie with the version its ETag
// carries, which the body, in the seed's shape, does not.
func decodeMovieResponse(dec httptransport.DecodeResponseFunc) httptransport.DecodeResponseFunc {
	return func(ctx context.Context, resp *http.Response) (any, error) {
		v, err := dec(ctx, resp)
		if err != nil {
			return nil, err
		}
		r := v.(movieResponse)
		if _, version, ok := contract.ParseMovieETag(resp.Header.Get(contract.HeaderETag)); ok {
			r.Movie.Version = version
		}
		return r, nil
	}
}

// setMovieBody writes body as JSON. What JSON cannot carry (NaN, Inf) fails
// with the validation error the local service gives it.
func setMovieBody(r *http.Request, body contract.MovieWrite) error {
	err := httpx.SetJSONBody(r, body)
	if err != nil {
		if _, invalid := ValidatePatch(contract.Movie{}, body); invalid != nil {
			return invalid
		}
	}
	return err
}

func decodeListResponse(_ context.Context, resp *http.Response) (any, error) {
	if err := httpx.ResponseError(resp); err != nil {
		return nil, err
	}
	p := contract.Page{Next: resp.Header.Get(HeaderNextCursor), Prev: resp.Header.Get(HeaderPrevCursor)}
	if raw := resp.Header.Get(contract.HeaderTotalCount); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("catalog client: bad %s %q", contract.HeaderTotalCount, raw)
		}
		p.Total = &n
	}
	if err := httpx.ReadJSON(resp, &p.Movies); err != nil {
		return nil, fmt.Errorf("catalog client: list: %w", err)
	}
	return listResponse{Page: p}, nil
}
