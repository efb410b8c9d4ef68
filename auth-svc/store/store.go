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
		`INSERT INTO users (username, username_key, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.Username, auth.UsernameKey(u.Username), u.PasswordHash, u.IsAdmin, u.CreatedAt)
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

const userColumns = `u.id, u.username, u.password_hash, u.is_admin, u.created_at`

// UserByUsername finds a user case-insensitively.
func (s *SQL) UserByUsername(ctx context.Context, username string) (auth.UserRecord, error) {
	return s.user(ctx, auth.ErrUserNotFound,
		`SELECT `+userColumns+` FROM users u WHERE u.username_key = ?`, auth.UsernameKey(username))
}

// UserByToken finds the owner of a token hash.
func (s *SQL) UserByToken(ctx context.Context, tokenHash string) (auth.UserRecord, error) {
	return s.user(ctx, auth.ErrInvalidToken,
		`SELECT `+userColumns+` FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, tokenHash)
}

func (s *SQL) user(ctx context.Context, notFound error, query string, arg any) (auth.UserRecord, error) {
	var u auth.UserRecord
	err := s.db.QueryRowContext(ctx, query, arg).Scan(&u.ID, &u.Username, &u.PasswordHash, &u.IsAdmin, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.UserRecord{}, notFound
	}
	if err != nil {
		return auth.UserRecord{}, fmt.Errorf("find user: %w", err)
	}
	return u, nil
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

// PruneTokens removes a user's tokens older than its keep newest ones. It
// finds the cut-off first because MySQL cannot LIMIT an IN subquery.
func (s *SQL) PruneTokens(ctx context.Context, userID int64, keep int) error {
	var cutoff time.Time
	err := s.db.QueryRowContext(ctx,
		`SELECT created_at FROM tokens WHERE user_id = ? ORDER BY created_at DESC LIMIT 1 OFFSET ?`, userID, keep-1).Scan(&cutoff)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // keep or fewer tokens
	}
	if err != nil {
		return fmt.Errorf("prune tokens: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ? AND created_at < ?`, userID, cutoff); err != nil {
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
