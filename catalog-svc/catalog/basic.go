package catalog

import (
	"context"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/endpointmw"
)

// Change feed page sizes.
const (
	DefaultChangesLimit = 100
	MaxChangesLimit     = 1000
)

// New returns the catalog service on store as endpoints with mws around
// each (the first outermost); Endpoints.Service makes it a Service again.
func New(store Store, mws ...endpointmw.Middleware) Endpoints {
	return MakeEndpoints(basicService{store: store}).Use(mws...)
}

type basicService struct{ store Store }

func (s basicService) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return s.store.List(ctx, normalizeQuery(q))
}

// normalizeQuery makes q well-formed for the store whoever built it: the
// ordering ends with id (a total order, so cursors are stable) and the page
// size is within bounds.
func normalizeQuery(q contract.ListQuery) contract.ListQuery {
	ordering, msg := contract.ParseOrdering(contract.OrderingString(q.Ordering))
	if msg == "" {
		q.Ordering = ordering
	} else {
		q.Ordering = []contract.Order{{Field: contract.FieldID}}
	}
	switch {
	case q.PageSize <= 0:
		q.PageSize = contract.DefaultPageSize
	case q.PageSize > contract.MaxPageSize:
		q.PageSize = contract.MaxPageSize
	}
	return q
}

func (s basicService) Get(ctx context.Context, id int64) (contract.Movie, error) {
	if id <= 0 {
		return contract.Movie{}, ErrNotFound
	}
	return s.store.Get(ctx, id)
}

func (s basicService) Create(ctx context.Context, in contract.MovieWrite) (contract.Movie, error) {
	m, err := ValidateNew(in)
	if err != nil {
		return contract.Movie{}, err
	}
	return s.store.Create(ctx, m, Actor(ctx))
}

func (s basicService) Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error) {
	m, err := ValidateNew(in)
	if err != nil {
		return contract.Movie{}, err
	}
	if id <= 0 {
		return contract.Movie{}, ErrNotFound
	}
	return s.store.Update(ctx, id, func(contract.Movie) (contract.Movie, error) { return m, nil }, Actor(ctx))
}

func (s basicService) Patch(ctx context.Context, id int64, p contract.MovieWrite) (contract.Movie, error) {
	// Validate the fields on their own first, so bad input is rejected
	// without touching the store (and an unknown id with bad input is a 400).
	if _, err := ValidatePatch(contract.Movie{}, p); err != nil {
		return contract.Movie{}, err
	}
	if id <= 0 {
		return contract.Movie{}, ErrNotFound
	}
	return s.store.Update(ctx, id, func(cur contract.Movie) (contract.Movie, error) {
		return ValidatePatch(cur, p)
	}, Actor(ctx))
}

func (s basicService) Delete(ctx context.Context, id int64) error {
	if id <= 0 {
		return ErrNotFound
	}
	return s.store.Delete(ctx, id, Actor(ctx))
}

func (s basicService) Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error) {
	switch {
	case limit <= 0:
		limit = DefaultChangesLimit
	case limit > MaxChangesLimit:
		limit = MaxChangesLimit
	}
	return s.store.Changes(ctx, max(after, 0), limit)
}
