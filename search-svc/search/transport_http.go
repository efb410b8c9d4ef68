package search

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/servicetoken"
)

// NewHTTPHandler serves s over HTTP, for the gateway and operators (never
// exposed publicly):
//
//	                                                                       who (servicetoken)
//	GET  /internal/search?search=&genre=&director=&imdb_score_min=         gateway
//	     &imdb_score_max=&popularity_min=&popularity_max=&ordering=
//	     &page_size=&cursor=&facets=
//	                            a contract.SearchResult (hits, facets, estimated
//	                            total, next/prev cursors); the list's parameters
//	POST /internal/search/reindex   202: a full reindex started;           operator only: no public
//	                                409 if one runs                        route leads here
//
// Every call carries a service token (guard). metrics may be nil.
func NewHTTPHandler(e Endpoints, log *slog.Logger, metrics *httpx.HTTPMetrics, guard *servicetoken.Guard) *httpx.Router {
	opts := httpx.ServerOptions(log, ServiceName)
	serve := func(p servicetoken.Policy, e endpoint.Endpoint, dec httptransport.DecodeRequestFunc, enc httptransport.EncodeResponseFunc) http.Handler {
		return guard.Require(p)(httptransport.NewServer(e, dec, enc, opts...))
	}
	rt := httpx.NewRouter(metrics)
	rt.Handle(http.MethodGet, contract.RouteInternalSearch, serve(servicetoken.Allow(servicetoken.Gateway), e.Search, decodeSearch, encodeSearch))
	rt.Handle(http.MethodPost, contract.RouteInternalReindex, serve(servicetoken.Allow(servicetoken.Operator),
		e.StartReindex, decodeReindex, encodeReindex))
	return rt
}

func decodeSearch(_ context.Context, r *http.Request) (any, error) {
	q, err := contract.ParseSearchQuery(r.URL.Query())
	return searchRequest{Query: q}, err
}

func encodeSearch(ctx context.Context, w http.ResponseWriter, resp any) error {
	if httpx.EncodeFailure(ctx, w, resp) {
		return nil
	}
	return httpx.WriteJSON(w, http.StatusOK, resp.(searchResponse).Result)
}

func decodeReindex(context.Context, *http.Request) (any, error) { return reindexRequest{}, nil }

func encodeReindex(ctx context.Context, w http.ResponseWriter, resp any) error {
	if httpx.EncodeFailure(ctx, w, resp) {
		return nil
	}
	return httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "reindex started"})
}
