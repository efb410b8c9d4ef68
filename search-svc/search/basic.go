package search

import (
	"context"
	"errors"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/search-svc/engine"
)

// Reindexer starts full reindexes (indexer.Indexer is one).
type Reindexer interface {
	StartReindex(ctx context.Context) error
}

type basicService struct {
	eng engine.Engine
	rx  Reindexer
}

func (b basicService) Search(ctx context.Context, q contract.SearchQuery) (contract.SearchResult, error) {
	if err := validate(&q); err != nil {
		return contract.SearchResult{}, err
	}
	res, err := b.eng.Search(ctx, q)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return contract.SearchResult{}, err
		}
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return contract.SearchResult{}, err
		}
		return contract.SearchResult{}, ErrUnavailable.Wrap(err)
	}
	res.Offset, res.Limit = q.Offset, q.Limit
	res.Next, res.Prev = q.Cursors(res.EstimatedTotal)
	return res, nil
}

func (b basicService) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return listBySearch(ctx, b, q)
}

// listBySearch is List in terms of Search, shared by the local service and
// the HTTP client so both page alike.
func listBySearch(ctx context.Context, s Service, q contract.ListQuery) (contract.Page, error) {
	sq, err := contract.SearchQueryFromList(q)
	if err != nil {
		return contract.Page{}, err
	}
	sq.Facets = nil
	res, err := s.Search(ctx, sq)
	if err != nil {
		return contract.Page{}, err
	}
	return res.Page(), nil
}

func (b basicService) StartReindex(ctx context.Context) error {
	if b.rx == nil {
		return ErrNoReindex
	}
	return b.rx.StartReindex(ctx)
}
