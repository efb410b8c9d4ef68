package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/sqldb"
)

// The statements every writer of the catalog schema shares: the store's
// writes and the bulk loader (catalog-svc/internal/bulk) take the same
// writer lock, keep the same movie counter and find or create genres the
// same way, so the two cannot drift apart.

// Execer runs a write: a *sql.Tx, *sql.Conn or *sql.DB.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// LockWriter takes the catalog's writer lock in tx: the feed's writer row
// (movie_changes_writer), held until tx ends. Every write takes it first
// (see inTx for what that buys); the bulk loader holds it for a whole load.
func LockWriter(ctx context.Context, tx Execer) error {
	_, err := tx.ExecContext(ctx, "UPDATE movie_changes_writer SET changes = changes + 1 WHERE id = 1")
	return err
}

// AddMovies moves the movie counter (Count) by delta in tx, the transaction
// of the creates or deletes it counts.
func AddMovies(ctx context.Context, tx Execer, delta int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE movie_count SET movies = movies + ? WHERE id = 1", delta)
	return err
}

// GenreWriter is what FindOrCreateGenre needs: a transaction, or a
// connection whose statements commit at once.
type GenreWriter interface {
	Execer
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// FindOrCreateGenre returns the id of the genre named name (compared by
// catalog.FoldKey) and its stored spelling, creating it when it does not
// exist: a genre keeps the spelling it was first created with. The caller
// holds the writer lock (LockWriter), so no other writer creates the genre
// between the look and the insert; the insert still skips a duplicate key,
// and the look comes first because a session with unique_checks off (the
// bulk loader's) may not check the key.
func FindOrCreateGenre(ctx context.Context, tx GenreWriter, driver sqldb.Driver, name string) (id int64, stored string, err error) {
	d, ok := dialects[driver]
	if !ok {
		return 0, "", fmt.Errorf("store: unsupported driver %q", driver)
	}
	key := catalog.FoldKey(name)
	find := func() error {
		return tx.QueryRowContext(ctx, "SELECT id, name FROM genres WHERE name_key = ?", key).Scan(&id, &stored)
	}
	err = find()
	if !errors.Is(err, sql.ErrNoRows) {
		return id, stored, err
	}
	if _, err := tx.ExecContext(ctx, d.insertIgnore+" genres (name, name_key) VALUES (?, ?)", name, key); err != nil {
		return 0, "", err
	}
	return id, stored, find()
}
