package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"
)

// DefaultTrimBatch is how many feed rows one TrimFeed pass scans at most.
const DefaultTrimBatch = 10_000

// deleteChunk bounds the parameters of one DELETE ... IN (...).
const deleteChunk = 500

// freeSince is the expiry of a lease no one holds.
var freeSince = time.Unix(0, 0).UTC()

// feedTx runs fn in a transaction of its own. Feed consumers and retention
// do not take the writer lock (inTx): they never write movies or feed rows
// a reader could still be waiting for.
func (s *SQL) feedTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return unavailable(err)
	}
	return unavailable(tx.Commit())
}

// AcquireFeedLease grants or renews consumer name's lease in one
// transaction: the row is made to exist (INSERT IGNORE, so concurrent
// first acquires wait on one another instead of deadlocking on MySQL's gap
// locks), then locked, then granted only when free, expired or r.Holder's.
func (s *SQL) AcquireFeedLease(ctx context.Context, name string, r contract.FeedLeaseRequest) (contract.FeedLease, error) {
	var out contract.FeedLease
	err := s.feedTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, s.d.insertIgnore+
			" feed_consumers (name, holder, lease_expires, position, updated_at) VALUES (?, '', ?, 0, ?)", name, freeSince, now); err != nil {
			return err
		}
		var (
			holder  string
			expires time.Time
			pos     int64
		)
		if err := tx.QueryRowContext(ctx, "SELECT holder, lease_expires, position FROM feed_consumers WHERE name = ?"+s.d.lockRow, name).
			Scan(&holder, &expires, &pos); err != nil {
			return err
		}
		if holder != "" && holder != r.Holder && expires.After(now) {
			return contract.ErrFeedLeaseHeld
		}
		if r.Position != nil {
			pos = *r.Position
		}
		expires = now.Add(r.TTL())
		if _, err := tx.ExecContext(ctx, "UPDATE feed_consumers SET holder = ?, lease_expires = ?, position = ?, updated_at = ? WHERE name = ?",
			r.Holder, expires, pos, now, name); err != nil {
			return err
		}
		out = contract.FeedLease{Consumer: name, Holder: r.Holder, ExpiresAt: expires, Position: pos}
		return nil
	})
	return out, err
}

// ReleaseFeedLease frees holder's lease on name, keeping its position, so
// a standby takes over without waiting for the expiry.
func (s *SQL) ReleaseFeedLease(ctx context.Context, name, holder string) error {
	return s.feedTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE feed_consumers SET holder = '', lease_expires = ?, updated_at = ? WHERE name = ? AND holder = ?",
			freeSince, s.now(), name, holder)
		return err
	})
}

// TrimFeed runs one pass of feed retention: it scans at most r.Batch feed
// rows after the point earlier passes reached (feed_retention), up to the
// first row that is neither passed by every registered consumer nor older
// than r.MaxAge, and never the feed's newest row. For each movie met, every
// older row of it is deleted: the row scanned supersedes them. What stays
// is each movie's latest change (a tombstone for a deleted one), so a
// follower at any position, and a rebuild from 0, still converge on the
// catalog as it is, and no consumer ever needs to be told to rebuild.
func (s *SQL) TrimFeed(ctx context.Context, r catalog.FeedRetention) (catalog.FeedTrim, error) {
	batch := r.Batch
	if batch <= 0 {
		batch = DefaultTrimBatch
	}
	var out catalog.FeedTrim
	err := s.feedTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MIN(position), 0) FROM feed_consumers").
			Scan(&out.Consumers, &out.MinPosition); err != nil {
			return err
		}
		var from, head int64
		if err := tx.QueryRowContext(ctx, "SELECT compacted_through FROM feed_retention WHERE id = 1"+s.d.lockRow).Scan(&from); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM movie_changes").Scan(&head); err != nil {
			return err
		}
		out.Through = from
		rows, err := tx.QueryContext(ctx, "SELECT seq, movie_id, created_at FROM movie_changes WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?",
			from, head, batch)
		if err != nil {
			return err
		}
		defer rows.Close()
		cutoff := now.Add(-r.MaxAge)
		latest := map[int64]int64{} // movie -> its newest row among those scanned
		var order, superseded []int64
		scanned, stopped := 0, false
		for rows.Next() {
			var (
				seq, movie int64
				at         time.Time
			)
			if err := rows.Scan(&seq, &movie, &at); err != nil {
				return err
			}
			scanned++
			passed := out.Consumers > 0 && seq <= out.MinPosition
			aged := r.MaxAge > 0 && at.Before(cutoff)
			if !passed && !aged {
				stopped = true
				break
			}
			if prev, ok := latest[movie]; ok {
				superseded = append(superseded, prev)
			} else {
				order = append(order, movie)
			}
			latest[movie] = seq
			out.Through = seq
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		out.More = scanned == batch && !stopped
		if out.Through == from {
			return nil
		}
		// Rows of these movies at or below from are superseded by the
		// rows just scanned.
		for ids := range chunks(order) {
			n, err := execCount(ctx, tx, "DELETE FROM movie_changes WHERE seq <= ? AND movie_id IN ("+placeholders(len(ids))+")",
				append([]any{from}, ids...)...)
			if err != nil {
				return err
			}
			out.Deleted += n
		}
		for seqs := range chunks(superseded) {
			n, err := execCount(ctx, tx, "DELETE FROM movie_changes WHERE seq IN ("+placeholders(len(seqs))+")", seqs...)
			if err != nil {
				return err
			}
			out.Deleted += n
		}
		_, err = tx.ExecContext(ctx, "UPDATE feed_retention SET compacted_through = ? WHERE id = 1", out.Through)
		return err
	})
	if err != nil {
		return catalog.FeedTrim{}, err
	}
	return out, nil
}

// chunks yields vs as []any of at most deleteChunk values.
func chunks(vs []int64) func(yield func([]any) bool) {
	return func(yield func([]any) bool) {
		for len(vs) > 0 {
			n := min(len(vs), deleteChunk)
			args := make([]any, n)
			for i, v := range vs[:n] {
				args[i] = v
			}
			if !yield(args) {
				return
			}
			vs = vs[n:]
		}
	}
}

func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

