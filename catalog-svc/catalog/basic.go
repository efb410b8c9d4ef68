package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/json"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/endpointmw"
)

// Change feed page sizes.
const (
	DefaultChangesLimit = 100
	MaxChangesLimit     = 1000
)

// New returns the catalog service on store, with the policies of opts, as
// endpoints with mws around each (the first outermost); Endpoints.Service
// makes it a Service again.
func New(store Store, opts Options, mws ...endpointmw.Middleware) Endpoints {
	return MakeEndpoints(basicService{store: store, opts: opts}).Use(mws...)
}

type basicService struct {
	store Store
	opts  Options
}

func (s basicService) List(ctx context.Context, q contract.ListQuery) (contract.Page, error) {
	return s.store.List(ctx, normalizeQuery(q))
}

// normalizeQuery makes q well-formed for the store whoever built it: the
// ordering ends with id (a total order, so cursors are stable) and the page
// size is within bounds.
func normalizeQuery(q contract.ListQuery) contract.ListQuery {
	return q.Normalized()
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
	raw := IdempotencyKey(ctx)
	if raw == "" {
		return s.store.Create(ctx, m, Actor(ctx))
	}
	key, err := contract.ParseIdempotencyKey(raw)
	if err != nil {
		return contract.Movie{}, err
	}
	// The body as decoded, re-encoded: a retry that spaces its JSON
	// differently is the same request. ValidateNew has ruled out what JSON
	// cannot carry.
	body, err := json.Marshal(in)
	if err != nil {
		return contract.Movie{}, err
	}
	return s.store.CreateOnce(ctx, m, Actor(ctx), Idempotency{Key: key, BodyHash: sha256.Sum256(body)})
}

// ifMatch returns the write's condition, or ErrPreconditionRequired when
// the policy wants one and the request has none.
func (s basicService) ifMatch(ctx context.Context) (contract.IfMatch, error) {
	cond := IfMatch(ctx)
	if s.opts.RequireIfMatch && !cond.Present() {
		return cond, ErrPreconditionRequired
	}
	return cond, nil
}

func (s basicService) Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error) {
	m, err := ValidateNew(in)
	if err != nil {
		return contract.Movie{}, err
	}
	if id <= 0 {
		return contract.Movie{}, ErrNotFound
	}
	cond, err := s.ifMatch(ctx)
	if err != nil {
		return contract.Movie{}, err
	}
	return s.store.Update(ctx, id, cond, func(contract.Movie) (contract.Movie, error) { return m, nil }, Actor(ctx))
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
	cond, err := s.ifMatch(ctx)
	if err != nil {
		return contract.Movie{}, err
	}
	return s.store.Update(ctx, id, cond, func(cur contract.Movie) (contract.Movie, error) {
		return ValidatePatch(cur, p)
	}, Actor(ctx))
}

func (s basicService) Delete(ctx context.Context, id int64) error {
	if id <= 0 {
		return ErrNotFound
	}
	cond, err := s.ifMatch(ctx)
	if err != nil {
		return err
	}
	return s.store.Delete(ctx, id, cond, Actor(ctx))
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

func (s basicService) AcquireFeedLease(ctx context.Context, name string, r contract.FeedLeaseRequest) (contract.FeedLease, error) {
	if err := contract.ValidateFeedLease(name, r); err != nil {
		return contract.FeedLease{}, err
	}
	return s.store.AcquireFeedLease(ctx, name, r)
}

func (s basicService) ReleaseFeedLease(ctx context.Context, name, holder string) error {
	if err := contract.ValidateFeedRelease(name, holder); err != nil {
		return err
	}
	return s.store.ReleaseFeedLease(ctx, name, holder)
}
