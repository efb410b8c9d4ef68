package search

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// NewHTTPClient returns a Service that calls a search-svc at baseURL. Errors
// come back as the same apierr errors the remote service returned; a nil hc
// means http.DefaultClient. Deadlines come from the caller's context.
func NewHTTPClient(baseURL string, hc *http.Client) (Service, error) {
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("search client: bad base URL %q", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	opts := []httptransport.ClientOption{httptransport.SetClient(hc), httptransport.ClientBefore(forwardRequestID)}
	return endpointClient{Endpoints{
		Search: httptransport.NewClient(http.MethodGet, base, func(_ context.Context, r *http.Request, req any) error {
			r.URL.Path = base.Path + contract.RouteInternalSearch
			r.URL.RawQuery = req.(searchRequest).Query.Values().Encode()
			return nil
		}, decodeSearchResponse, opts...).Endpoint(),
		StartReindex: httptransport.NewClient(http.MethodPost, base, func(_ context.Context, r *http.Request, _ any) error {
			r.URL.Path = base.Path + contract.RouteInternalReindex
			return nil
		}, decodeReindexResponse, opts...).Endpoint(),
	}}, nil
}

func forwardRequestID(ctx context.Context, r *http.Request) context.Context {
	if id := httpx.RequestID(ctx); id != "" {
		r.Header.Set(contract.HeaderRequestID, id)
	}
	return ctx
}

func decodeSearchResponse(_ context.Context, resp *http.Response) (any, error) {
	if resp.StatusCode >= 300 {
		return nil, apierr.FromResponse(resp)
	}
	var r contract.SearchResult
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, ErrUnavailable.Wrap(fmt.Errorf("search client: decode: %w", err))
	}
	return searchResponse{Result: r}, nil
}

func decodeReindexResponse(_ context.Context, resp *http.Response) (any, error) {
	if resp.StatusCode >= 300 {
		return nil, apierr.FromResponse(resp)
	}
	return reindexResponse{}, nil
}

// endpointClient is a Service made of (remote) endpoints.
type endpointClient struct{ e Endpoints }

func (c endpointClient) Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	resp, err := c.e.Search(ctx, searchRequest{Query: q})
	if err != nil {
		return contract.SearchResult{}, err
	}
	r := resp.(searchResponse)
	return r.Result, r.Err
}

func (c endpointClient) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return listBySearch(ctx, c, q)
}

func (c endpointClient) StartReindex(ctx context.Context) error {
	resp, err := c.e.StartReindex(ctx, reindexRequest{})
	if err != nil {
		return err
	}
	return resp.(reindexResponse).Err
}
