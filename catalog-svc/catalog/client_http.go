package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// NewHTTPClient returns a Service that calls the catalog at baseURL (e.g.
// "http://127.0.0.1:8081") with hc (nil means http.DefaultClient). It
// forwards the context's actor and request id, and rebuilds the server's
// errors, so it fails exactly like a local service.
func NewHTTPClient(baseURL string, hc *http.Client) (Service, error) {
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("catalog client: bad base URL %q", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	opts := []httptransport.ClientOption{
		httptransport.SetClient(hc),
		httptransport.ClientBefore(forwardContext),
	}
	client := func(method string, enc httptransport.EncodeRequestFunc, dec httptransport.DecodeResponseFunc) *httptransport.Client {
		return httptransport.NewClient(method, base, enc, dec, opts...)
	}
	moviePath := func(id int64) string { return base.Path + contract.MoviePath(id) }
	return endpointClient{Endpoints{
		List: client(http.MethodGet, func(_ context.Context, r *http.Request, req any) error {
			r.URL.Path = base.Path + contract.RouteMovies
			q := req.(listRequest).Query
			q.PageSize = min(q.PageSize, contract.MaxPageSize) // clamped, as the local service does
			r.URL.RawQuery = q.Values().Encode()
			return nil
		}, decodeListResponse).Endpoint(),
		Get: client(http.MethodGet, func(_ context.Context, r *http.Request, req any) error {
			r.URL.Path = moviePath(req.(idRequest).ID)
			return nil
		}, decodeMovieResponse).Endpoint(),
		Create: client(http.MethodPost, func(_ context.Context, r *http.Request, req any) error {
			r.URL.Path = base.Path + contract.RouteMovies
			return setMovieBody(r, req.(writeRequest).Body)
		}, decodeMovieResponse).Endpoint(),
		Replace: client(http.MethodPut, encodeWriteRequest(moviePath), decodeMovieResponse).Endpoint(),
		Patch:   client(http.MethodPatch, encodeWriteRequest(moviePath), decodeMovieResponse).Endpoint(),
		Delete: client(http.MethodDelete, func(_ context.Context, r *http.Request, req any) error {
			r.URL.Path = moviePath(req.(idRequest).ID)
			return nil
		}, decodeDeleteResponse).Endpoint(),
		Changes: client(http.MethodGet, func(_ context.Context, r *http.Request, req any) error {
			c := req.(changesRequest)
			r.URL.Path = base.Path + contract.RouteInternalChanges
			r.URL.RawQuery = changesValues(c.After, c.Limit).Encode()
			return nil
		}, decodeChangesResponse).Endpoint(),
	}}, nil
}

func forwardContext(ctx context.Context, r *http.Request) context.Context {
	if a := Actor(ctx); a != "" {
		r.Header.Set(contract.HeaderActor, a)
	}
	if id := httpx.RequestID(ctx); id != "" {
		r.Header.Set(contract.HeaderRequestID, id)
	}
	return ctx
}

func encodeWriteRequest(path func(int64) string) httptransport.EncodeRequestFunc {
	return func(_ context.Context, r *http.Request, req any) error {
		w := req.(writeRequest)
		r.URL.Path = path(w.ID)
		return setMovieBody(r, w.Body)
	}
}

// setMovieBody writes body as JSON. What JSON cannot carry (NaN, Inf) fails
// with the validation error the local service gives it.
func setMovieBody(r *http.Request, body contract.MovieWrite) error {
	b, err := json.Marshal(body)
	if err != nil {
		if _, invalid := ValidatePatch(contract.Movie{}, body); invalid != nil {
			return invalid
		}
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.Header.Set("Content-Type", "application/json")
	return nil
}

// remoteError rebuilds the error of a failed response; nil when it succeeded.
func remoteError(resp *http.Response) error {
	if resp.StatusCode < 300 {
		return nil
	}
	return apierr.FromResponse(resp)
}

func decodeListResponse(_ context.Context, resp *http.Response) (any, error) {
	if err := remoteError(resp); err != nil {
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
	if err := decodeJSONBody(resp, &p.Movies); err != nil {
		return nil, fmt.Errorf("catalog client: list: %w", err)
	}
	return listResponse{Page: p}, nil
}

func decodeMovieResponse(_ context.Context, resp *http.Response) (any, error) {
	if err := remoteError(resp); err != nil {
		return nil, err
	}
	var m contract.Movie
	if err := decodeJSONBody(resp, &m); err != nil {
		return nil, fmt.Errorf("catalog client: movie: %w", err)
	}
	return movieResponse{Movie: m}, nil
}

func decodeDeleteResponse(_ context.Context, resp *http.Response) (any, error) {
	return deleteResponse{}, remoteError(resp)
}

func decodeChangesResponse(_ context.Context, resp *http.Response) (any, error) {
	if err := remoteError(resp); err != nil {
		return nil, err
	}
	var p contract.ChangePage
	if err := decodeJSONBody(resp, &p); err != nil {
		return nil, fmt.Errorf("catalog client: changes: %w", err)
	}
	return changesResponse{Page: p}, nil
}

// endpointClient is a Service made of endpoints (remote ones, here).
type endpointClient struct{ e Endpoints }

func (c endpointClient) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	resp, err := c.e.List(ctx, listRequest{Query: q})
	if err != nil {
		return contract.Page{}, err
	}
	r := resp.(listResponse)
	return r.Page, r.Err
}

func (c endpointClient) Get(ctx context.Context, id int64) (contract.Movie, error) {
	return c.movie(c.e.Get(ctx, idRequest{ID: id}))
}

func (c endpointClient) Create(ctx context.Context, in contract.MovieWrite) (contract.Movie, error) {
	return c.movie(c.e.Create(ctx, writeRequest{Body: in}))
}

func (c endpointClient) Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error) {
	return c.movie(c.e.Replace(ctx, writeRequest{ID: id, Body: in}))
}

func (c endpointClient) Patch(ctx context.Context, id int64, p contract.MovieWrite) (contract.Movie, error) {
	return c.movie(c.e.Patch(ctx, writeRequest{ID: id, Body: p}))
}

func (c endpointClient) movie(resp any, err error) (contract.Movie, error) {
	if err != nil {
		return contract.Movie{}, err
	}
	r := resp.(movieResponse)
	return r.Movie, r.Err
}

func (c endpointClient) Delete(ctx context.Context, id int64) error {
	resp, err := c.e.Delete(ctx, idRequest{ID: id})
	if err != nil {
		return err
	}
	return resp.(deleteResponse).Err
}

func (c endpointClient) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	// The server rejects limits the local service would clamp; clamp here so
	// both behave alike.
	resp, err := c.e.Changes(ctx, changesRequest{After: max(after, 0), Limit: min(limit, MaxChangesLimit)})
	if err != nil {
		return contract.ChangePage{}, err
	}
	r := resp.(changesResponse)
	return r.Page, r.Err
}
