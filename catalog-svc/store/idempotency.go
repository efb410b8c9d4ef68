package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
)

// DefaultIdempotencyTTL is how long a create's Idempotency-Key is
// remembered: a day, as the IETF draft suggests, long past any client's
// retry loop.
const DefaultIdempotencyTTL = 24 * time.Hour

// statusCreated is the stored status of a create's answer. Only creates
// that committed are stored (the key row is in their transaction); a
// rejected one changed nothing and is answered the same way when retried.
const statusCreated = 201

// IdempotencyTTL sets how long an Idempotency-Key is remembered; an older
// one counts as never used. d <= 0 keeps DefaultIdempotencyTTL.
func IdempotencyTTL(d time.Duration) Option {
	return func(s *SQL) {
		if d > 0 {
			s.idempotencyTTL = d
		}
	}
}

// CreateOnce creates m under idem unless actor already did within the
// retention. Its transaction holds the writer lock from the start (inTx),
// so a concurrent duplicate waits for this one's commit, then reads its key
// row and returns the stored answer: one movie, however many retries race.
// The key's primary key (actor, idem_key) stands behind that.
func (s *SQL) CreateOnce(ctx context.Context, m contract.Movie, actor string, idem catalog.Idempotency) (contract.Movie, error) {
	var out contract.Movie
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		// Trimmed first, so an expired row of this very key goes too.
		if err := s.trimIdempotencyKeys(ctx, tx, now); err != nil {
			return err
		}
		var (
			hash     []byte
			response string
		)
		err := tx.QueryRowContext(ctx, "SELECT body_hash, response FROM idempotency_keys WHERE actor = ? AND idem_key = ?"+s.d.lockRow,
			actor, idem.Key).Scan(&hash, &response)
		switch {
		case err == nil:
			if !bytes.Equal(hash, idem.BodyHash[:]) {
				return catalog.ErrIdempotencyKeyReused
			}
			if err := json.Unmarshal([]byte(response), &out); err != nil {
				return fmt.Errorf("stored answer of idempotency key %q: %w", idem.Key, err)
			}
			// The answer of a create is the movie's first version, whatever
			// happened to it since.
			out.Version = 1
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		created, err := s.insert(ctx, tx, m, genreIDs{}, actor)
		if err != nil {
			return err
		}
		body, err := json.Marshal(created)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys
			(actor, idem_key, body_hash, movie_id, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			actor, idem.Key, idem.BodyHash[:], created.ID, statusCreated, string(body), now); err != nil {
			return err
		}
		out = created
		return nil
	})
	if err != nil {
		return contract.Movie{}, err
	}
	return out, nil
}

// trimIdempotencyKeys deletes the keys past the retention in tx. Through
// idempotency_keys_created it touches only those, and every create runs it,
// so there are never more than a create's worth.
func (s *SQL) trimIdempotencyKeys(ctx context.Context, tx *sql.Tx, now time.Time) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", now.Add(-s.idempotencyTTL))
	return err
}
