package search

import (
	"context"
	"fmt"
	"net/http"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// NewHTTPClient returns a Service that calls a search-svc at baseURL. Errors
// come back as the same apierr errors the remote service returned; a nil hc
// means http.DefaultClient. Deadlines come from the caller's context.
func NewHTTPClient(baseURL string, hc *http.Client) (Service, error) {
	rm, err := httpx.NewRemote("search", baseURL, hc)
	if err != nil {
		return nil, err
	}
	return endpointClient{Endpoints{
		Search: rm.Endpoint(http.MethodGet, contract.RouteInternalSearch, func(_ context.Context, r *http.Request, req any) error {
			r.URL.RawQuery = req.(searchRequest).Query.Values().Encode()
			return nil
		}, decodeSearchResponse),
		StartReindex: rm.Endpoint(http.MethodPost, contract.RouteInternalReindex, nil, httpx.DecodeEmpty(reindexResponse{})),
	}}, nil
}

// decodeSearchResponse treats an unreadable answer as the engine being
// unavailable, so the gateway falls back to the catalog.
func decodeSearchResponse(_ context.Context, resp *http.Response) (any, error) {
	if err := httpx.ResponseError(resp); err != nil {
		return nil, err
	}
	var r contract.SearchResult
	if err := httpx.ReadJSON(resp, &r); err != nil {
		return nil, ErrUnavailable.Wrap(fmt.Errorf("search client: %w", err))
	}
	return searchResponse{Result: r}, nil
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
