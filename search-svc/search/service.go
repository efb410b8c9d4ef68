// Package search is the search service: full-text search over the catalog's
// movies with the list's filters, sort, facets and paging. The service reads
// from an engine.Engine that the indexer keeps in step with the catalog.
package search

import (
	"context"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/indexer"
)

// Service is search-svc's business API. The HTTP client in this package
// satisfies it too.
type Service interface {
	// Search runs a query and returns one page of hits with facets, an
	// estimated total and cursors.
	Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error)
	// List answers a list query (GET /api/movies/?search=) from the index,
	// in the list's shape and paging, so it can stand in for the catalog's
	// list.
	List(ctx context.Context, q contract.ListQuery) (contract.Page, error)
	// StartReindex starts a full reindex in the background: a fresh index
	// is built from the whole feed and swapped in when complete.
	StartReindex(ctx context.Context) error
}

// Errors of the search service.
var (
	// ErrUnavailable is returned when the engine cannot answer; the gateway
	// then falls back to the catalog's SQL search.
	ErrUnavailable = apierr.ErrUnavailable
	// ErrReindexRunning is returned when a reindex is already under way.
	ErrReindexRunning = indexer.ErrReindexRunning
	// ErrNoReindex is returned by a service that cannot reindex (no feed).
	ErrNoReindex = apierr.New(apierr.Unavailable, "This search service cannot reindex.")
)

// validate bounds what one query may ask of the engine. Queries parsed from
// HTTP are already valid; this guards in-process callers.
func validate(q *contract.SearchQuery) error {
	bad := map[string][]string{}
	if q.Limit <= 0 {
		q.Limit = contract.DefaultPageSize
	}
	if q.Limit > contract.MaxPageSize {
		bad[contract.ParamPageSize] = []string{"Ensure this value is between 1 and 500."}
	}
	if q.Offset < 0 || q.Offset+q.Limit > contract.MaxSearchWindow {
		bad[contract.ParamCursor] = []string{"Invalid cursor."}
	}
	if len(q.Text) > 255 {
		bad[contract.ParamSearch] = []string{"Ensure this value has at most 255 characters."}
	}
	if len(bad) > 0 {
		return apierr.Validation(bad)
	}
	return nil
}
