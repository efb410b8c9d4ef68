// Package store keeps auth-svc's users and token hashes in SQL: the
// embedded SQLite or MySQL (MariaDB, Vitess). The queries are portable; only
// the schema (one migration set per dialect) and the duplicate-key error
// differ.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/platform/sqldb"
)

// MigrationsTable is auth-svc's goose version table, apart from other
// services' histories when they share a database.
const MigrationsTable = "auth_schema_migrations"

//go:embed migrations
var migrations embed.FS

// Migrate brings db's schema up to date.
func Migrate(ctx context.Context, db *sql.DB, driver sqldb.Driver) error {
	dir, err := fs.Sub(migrations, "migrations/"+string(driver))
	if err != nil {
		return err
	}
	return sqldb.Migrate(ctx, db, driver, dir, MigrationsTable)
}

// SQL is an auth.Store over a SQL database.
type SQL struct {
	db     *sql.DB
	driver sqldb.Driver
}

var _ auth.Store = (*SQL)(nil)

// New returns a store over db, whose schema Migrate has set up.
func New(db *sql.DB, driver sqldb.Driver) *SQL { return &SQL{db: db, driver: driver} }

// CreateUser inserts u.
func (s *SQL) CreateUser(ctx context.Context, u auth.UserRecord) (auth.UserRecord, error) {
	u.CreatedAt = u.CreatedAt.UTC()
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO users (username, username_key, password_hash, is_admin, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.Username, auth.UsernameKey(u.Username), u.PasswordHash, u.IsAdmin, u.Disabled, u.CreatedAt)
	if isDuplicate(err) {
		return auth.UserRecord{}, auth.ErrUsernameTaken
	}
	if err != nil {
		return auth.UserRecord{}, fmt.Errorf("insert user: %w", err)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return auth.UserRecord{}, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

const userColumns = `u.id, u.username, u.password_hash, u.is_admin, u.disabled, u.created_at`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner, extra ...any) (auth.UserRecord, error) {
	var u auth.UserRecord
	err := row.Scan(append([]any{&u.ID, &u.Username, &u.PasswordHash, &u.IsAdmin, &u.Disabled, &u.CreatedAt}, extra...)...)
	return u, err
}

// UserByUsername finds a user case-insensitively.
func (s *SQL) UserByUsername(ctx context.Context, username string) (auth.UserRecord, error) {
	return s.user(ctx, s.db, "", `WHERE u.username_key = ?`, auth.UsernameKey(username))
}

// UserByID finds a user by id.
func (s *SQL) UserByID(ctx context.Context, id int64) (auth.UserRecord, error) {
	return s.user(ctx, s.db, "", `WHERE u.id = ?`, id)
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *SQL) user(ctx context.Context, q querier, suffix, where string, arg any) (auth.UserRecord, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u `+where+suffix, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.UserRecord{}, auth.ErrUserNotFound
	}
	if err != nil {
		return auth.UserRecord{}, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// ListUsers returns a page of users by id.
func (s *SQL) ListUsers(ctx context.Context, afterID int64, limit int) ([]auth.UserRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []auth.UserRecord
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// ChangeUser applies change in a transaction. On MySQL the active admins
// and then the user are locked (FOR UPDATE), always in that order, so
// concurrent changes queue instead of each counting admins the other is
// about to remove; SQLite takes its write lock at BEGIN (sqldb's
// _txlock=immediate), which serializes them anyway.
func (s *SQL) ChangeUser(ctx context.Context, id int64, change auth.UserChange) (auth.UserRecord, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return auth.UserRecord{}, fmt.Errorf("change user: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	lock := ""
	if s.driver == sqldb.MySQL {
		lock = " FOR UPDATE"
	}
	var admins int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE is_admin = ? AND disabled = ?`+lock, true, false).Scan(&admins); err != nil {
		return auth.UserRecord{}, fmt.Errorf("count admins: %w", err)
	}
	cur, err := s.user(ctx, tx, lock, `WHERE u.id = ?`, id)
	if err != nil {
		return auth.UserRecord{}, err
	}
	next, err := change(cur, admins)
	if err != nil {
		return auth.UserRecord{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET is_admin = ?, disabled = ? WHERE id = ?`, next.IsAdmin, next.Disabled, id); err != nil {
		return auth.UserRecord{}, fmt.Errorf("change user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return auth.UserRecord{}, fmt.Errorf("change user: %w", err)
	}
	cur.IsAdmin, cur.Disabled = next.IsAdmin, next.Disabled
	return cur, nil
}

// TokenByHash finds a token hash and its owner.
func (s *SQL) TokenByHash(ctx context.Context, tokenHash string) (auth.TokenRecord, auth.UserRecord, error) {
	t := auth.TokenRecord{Hash: tokenHash}
	var used sql.NullTime
	u, err := scanUser(s.db.QueryRowContext(ctx,
		`SELECT `+userColumns+`, t.created_at, t.last_used_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`,
		tokenHash), &t.CreatedAt, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.TokenRecord{}, auth.UserRecord{}, auth.ErrInvalidToken
	}
	if err != nil {
		return auth.TokenRecord{}, auth.UserRecord{}, fmt.Errorf("find token: %w", err)
	}
	t.UserID, t.LastUsedAt = u.ID, used.Time
	return t, u, nil
}

// TouchToken records a use of a token when the recorded one is stale.
func (s *SQL) TouchToken(ctx context.Context, tokenHash string, at, staleBefore time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		at.UTC(), tokenHash, staleBefore.UTC())
	if err != nil {
		return fmt.Errorf("touch token: %w", err)
	}
	return nil
}

// ListTokens returns a user's tokens, newest first.
func (s *SQL) ListTokens(ctx context.Context, userID int64) ([]auth.TokenRecord, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT token_hash, created_at, last_used_at FROM tokens WHERE user_id = ? ORDER BY created_at DESC, token_hash`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []auth.TokenRecord
	for rows.Next() {
		t := auth.TokenRecord{UserID: userID}
		var used sql.NullTime
		if err := rows.Scan(&t.Hash, &t.CreatedAt, &used); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.LastUsedAt = used.Time
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// DeleteUserToken removes one of a user's tokens by its id. The id is a
// prefix of the hash; a user has at most Options.MaxTokensPerUser tokens,
// so the user's index bounds the rows compared.
func (s *SQL) DeleteUserToken(ctx context.Context, userID int64, id string) error {
	return s.execOne(ctx, auth.ErrTokenNotFound,
		`DELETE FROM tokens WHERE user_id = ? AND SUBSTR(token_hash, 1, ?) = ?`, userID, len(id), id)
}

// UpdateUser sets a user's password hash and admin flag.
func (s *SQL) UpdateUser(ctx context.Context, id int64, passwordHash string, isAdmin bool) error {
	err := s.execOne(ctx, auth.ErrUserNotFound,
		`UPDATE users SET password_hash = ?, is_admin = ? WHERE id = ?`, passwordHash, isAdmin, id)
	if errors.Is(err, auth.ErrUserNotFound) {
		// MySQL counts changed rows, not matched ones: an update to the
		// values a row already has looks like a miss.
		var one int
		if s.db.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, id).Scan(&one) == nil {
			return nil
		}
	}
	return err
}

// CreateToken records a token hash.
func (s *SQL) CreateToken(ctx context.Context, tokenHash string, userID int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)`, tokenHash, userID, at.UTC())
	if err != nil {
		return fmt.Errorf("insert token: %w", err)
	}
	return nil
}

// DeleteToken removes a token hash.
func (s *SQL) DeleteToken(ctx context.Context, tokenHash string) error {
	return s.execOne(ctx, auth.ErrInvalidToken, `DELETE FROM tokens WHERE token_hash = ?`, tokenHash)
}

// DeleteUserTokens removes every token of a user.
func (s *SQL) DeleteUserTokens(ctx context.Context, userID int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("delete tokens: %w", err)
	}
	return nil
}

// PruneTokens removes a user's tokens older than its keep newest ones and
// its expired ones. It finds the cut-off first because MySQL cannot LIMIT an
// IN subquery.
func (s *SQL) PruneTokens(ctx context.Context, userID int64, keep int, createdBefore, usedBefore time.Time) error {
	var cutoff time.Time
	err := s.db.QueryRowContext(ctx,
		`SELECT created_at FROM tokens WHERE user_id = ? ORDER BY created_at DESC LIMIT 1 OFFSET ?`, userID, keep-1).Scan(&cutoff)
	switch {
	case errors.Is(err, sql.ErrNoRows): // keep or fewer tokens
	case err != nil:
		return fmt.Errorf("prune tokens: %w", err)
	case cutoff.After(createdBefore):
		createdBefore = cutoff
	}
	if _, err := s.db.ExecContext(ctx,
		`DELETE FROM tokens WHERE user_id = ? AND (created_at < ? OR COALESCE(last_used_at, created_at) < ?)`,
		userID, createdBefore.UTC(), usedBefore.UTC()); err != nil {
		return fmt.Errorf("prune tokens: %w", err)
	}
	return nil
}

// Ping checks the database answers.
func (s *SQL) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// execOne runs a statement that must touch a row, else returns notFound.
func (s *SQL) execOne(ctx context.Context, notFound error, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// isDuplicate reports a unique-key violation on either backend.
func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062 // ER_DUP_ENTRY
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
