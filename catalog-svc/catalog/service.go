// Package catalog is the movie catalog service: the source of truth for
// movies, their validation, listing with filters and cursors, and the change
// feed that other services (search) follow.
package catalog

import (
	"context"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/servicetoken"
)

// Service is the catalog's business API. The HTTP client in this package
// satisfies it too, so callers cannot tell a local catalog from a remote one.
type Service interface {
	// List returns one page of movies matching q.
	List(ctx context.Context, q contract.ListQuery) (contract.Page, error)
	// Get returns one movie.
	Get(ctx context.Context, id int64) (contract.Movie, error)
	// Create validates and stores a new movie (every required field present).
	Create(ctx context.Context, in contract.MovieWrite) (contract.Movie, error)
	// Replace validates and fully replaces a movie (PUT).
	Replace(ctx context.Context, id int64, in contract.MovieWrite) (contract.Movie, error)
	// Patch validates and applies the fields present in p (PATCH).
	Patch(ctx context.Context, id int64, p contract.MovieWrite) (contract.Movie, error)
	// Delete removes a movie.
	Delete(ctx context.Context, id int64) error
	// Changes returns up to limit changes with Seq > after, in order.
	Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error)
	// AcquireFeedLease takes or renews feed consumer name's lease for
	// r.Holder and records r.Position with it (contract.ErrFeedLeaseHeld
	// while another holder's lease runs): one indexer writes a shared index.
	AcquireFeedLease(ctx context.Context, name string, r contract.FeedLeaseRequest) (contract.FeedLease, error)
	// ReleaseFeedLease gives holder's lease on name up.
	ReleaseFeedLease(ctx context.Context, name, holder string) error
}

// Errors of the catalog.
var (
	ErrNotFound      = apierr.ErrNotFound
	ErrInvalidCursor = apierr.Validation(map[string][]string{contract.ParamCursor: {"Invalid cursor."}})
	// ErrTooSlow is a read the database stopped at its statement limit.
	ErrTooSlow = apierr.New(apierr.Timeout, "The query took too long. Narrow it with more search terms or filters.")
	// ErrDatabaseUnavailable is a call whose database connection was lost
	// (refused, reset, closed mid-answer): a 503 to retry, not a 500. A
	// write that gets it may have been committed; a create retried with
	// its Idempotency-Key is safe.
	ErrDatabaseUnavailable = apierr.New(apierr.Unavailable, "The catalog's database is unreachable, try again shortly.").WithHeader("Retry-After", "1")
	// ErrPreconditionFailed: If-Match named a version that is not current.
	ErrPreconditionFailed = apierr.ErrPreconditionFailed
	// ErrPreconditionRequired: a write without If-Match where Options
	// require one.
	ErrPreconditionRequired = apierr.ErrPreconditionRequired
	// ErrIdempotencyKeyReused: an Idempotency-Key sent again with another body.
	ErrIdempotencyKeyReused = apierr.ErrIdempotencyKeyReused
)

// Options are the service's policies.
type Options struct {
	// RequireIfMatch refuses PUT, PATCH and DELETE without If-Match
	// (ErrPreconditionRequired), so no client can overwrite a version it
	// has not seen.
	RequireIfMatch bool
}

type (
	ifMatchKey        struct{}
	idempotencyKeyKey struct{}
)

// WithIfMatch makes the writes (Replace, Patch, Delete) made with ctx
// conditional on m (RFC 9110 If-Match): they change nothing unless it
// matches the movie's current ETag, compared in the write's transaction.
func WithIfMatch(ctx context.Context, m contract.IfMatch) context.Context {
	return context.WithValue(ctx, ifMatchKey{}, m)
}

// IfMatch returns the condition WithIfMatch stored; absent by default.
func IfMatch(ctx context.Context) contract.IfMatch {
	m, _ := ctx.Value(ifMatchKey{}).(contract.IfMatch)
	return m
}

// WithIdempotencyKey makes a Create made with ctx idempotent under key
// (the client's Idempotency-Key): a retry with the same key and body
// returns the first answer instead of creating another movie.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyKey{}, key)
}

// IdempotencyKey returns the key WithIdempotencyKey stored, or "".
func IdempotencyKey(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKeyKey{}).(string)
	return k
}

// WithActor records who is making a change; the change feed keeps it as the
// audit trail. Over HTTP the actor travels in the caller's service token
// (servicetoken.WithActor is the same record).
func WithActor(ctx context.Context, username string) context.Context {
	return servicetoken.WithActor(ctx, servicetoken.Actor{Username: username})
}

// Actor returns the username of the context's actor, or "" when there is
// none.
func Actor(ctx context.Context) string { return servicetoken.ActorOf(ctx).Username }
