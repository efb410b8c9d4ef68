package search

import (
	"context"
	"fmt"
	"net/http"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// NewHTTPClient returns the endpoints of the search-svc at baseURL. Errors
// come back as the same apierr errors the remote service returned; a nil hc
// means http.DefaultClient. Deadlines come from the caller's context.
func NewHTTPClient(baseURL string, hc *http.Client) (Endpoints, error) {
	rm, err := httpx.NewRemote(ServiceName, baseURL, hc)
	if err != nil {
		return Endpoints{}, err
	}
	return Endpoints{
		Search: rm.Endpoint(http.MethodGet, contract.RouteInternalSearch, func(_ context.Context, r *http.Request, req any) error {
			r.URL.RawQuery = req.(searchRequest).Query.Values().Encode()
			return nil
		}, decodeSearchResponse),
		StartReindex: rm.Endpoint(http.MethodPost, contract.RouteInternalReindex, nil, httpx.DecodeEmpty(reindexResponse{})),
	}, nil
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
