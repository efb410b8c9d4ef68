package catalog

import (
	"context"
	"time"

	"github.com/moviesplatform/platform/contract"
)

// Store keeps movies and their change feed. It receives movies already
// validated and normalized (ValidateNew, ValidatePatch) and writes every
// change together with its change-feed row, in one transaction.
//
// Errors: ErrNotFound for an unknown id, ErrInvalidCursor for a cursor the
// store did not make for this ordering.
type Store interface {
	// List returns one page of movies matching q. q.Ordering ends with id and
	// q.PageSize is within bounds (the service sees to both).
	List(ctx context.Context, q contract.ListQuery) (contract.Page, error)
	Get(ctx context.Context, id int64) (contract.Movie, error)
	// Create stores m (its ID is ignored) and returns it with its new id
	// and version 1.
	Create(ctx context.Context, m contract.Movie, actor string) (contract.Movie, error)
	// CreateOnce is Create under an Idempotency-Key: the key, actor and body
	// hash are stored with the movie, in its transaction. A later call with
	// the same actor, key and hash, within the store's retention, creates
	// nothing and returns the movie as first created; with another hash it
	// is ErrIdempotencyKeyReused. Concurrent calls with one key make one
	// movie: the others wait for its commit and return it.
	CreateOnce(ctx context.Context, m contract.Movie, actor string, idem Idempotency) (contract.Movie, error)
	// Update replaces movie id with what change returns for its current
	// state and raises its version; change runs inside the transaction, so a
	// read-modify-write (PATCH) cannot lose a concurrent update. ifMatch is
	// checked against the current version in the same transaction
	// (ErrPreconditionFailed). An error from change aborts the update.
	Update(ctx context.Context, id int64, ifMatch contract.IfMatch, change func(cur contract.Movie) (contract.Movie, error), actor string) (contract.Movie, error)
	// Delete removes movie id when ifMatch matches its current version,
	// checked in the delete's transaction.
	Delete(ctx context.Context, id int64, ifMatch contract.IfMatch, actor string) error
	// Import stores, in one transaction and in order, the movies of batch
	// that are not there yet (same name and director, case-insensitively),
	// and returns how many it added.
	Import(ctx context.Context, batch []contract.Movie, actor string) (int, error)
	// Changes returns up to limit changes with Seq > after, in order.
	Changes(ctx context.Context, after int64, limit int) (contract.ChangePage, error)
	// AcquireFeedLease grants consumer name's lease to r.Holder until
	// r.TTL() from now when it is free, expired or already r.Holder's,
	// atomically, and then records r.Position if set; otherwise it is
	// contract.ErrFeedLeaseHeld and changes nothing.
	AcquireFeedLease(ctx context.Context, name string, r contract.FeedLeaseRequest) (contract.FeedLease, error)
	// ReleaseFeedLease ends holder's lease on name at once, keeping the
	// position; releasing a lease one does not hold changes nothing.
	ReleaseFeedLease(ctx context.Context, name, holder string) error
	// TrimFeed runs one bounded pass of feed retention (FeedRetention).
	TrimFeed(ctx context.Context, r FeedRetention) (FeedTrim, error)
	// Count returns how many movies there are.
	Count(ctx context.Context) (int64, error)
	// Ping checks the database answers.
	Ping(ctx context.Context) error
}

// Idempotency names a create retried under one Idempotency-Key.
type Idempotency struct {
	// Key is the client's key, valid (contract.ParseIdempotencyKey).
	Key string
	// BodyHash is the SHA-256 of the request body as the service read it,
	// so a retry with the same content matches whatever its spacing.
	BodyHash [32]byte
}

// FeedRetention is what one TrimFeed pass may remove. Only a change that a
// later change of the same movie supersedes is ever removed, and never the
// feed's newest row: the feed read from 0 still rebuilds the whole catalog
// (deletes included), a follower at any position still converges, and the
// feed's head stays where it was.
type FeedRetention struct {
	// MaxAge: changes older than this are trimmed even when a registered
	// consumer has not passed them (0: only what every consumer passed).
	MaxAge time.Duration
	// Batch bounds the feed rows one pass scans, so no pass holds long
	// locks; a pass that scanned fewer is done.
	Batch int
}

// FeedTrim is what a TrimFeed pass did.
type FeedTrim struct {
	// Deleted counts the feed rows removed.
	Deleted int64
	// Through is the sequence the feed is compacted through now.
	Through int64
	// Consumers counts the registered consumers, MinPosition the lowest
	// position among them (0 when there is none).
	Consumers   int
	MinPosition int64
	// More tells the pass stopped at Batch with more to scan.
	More bool
}
