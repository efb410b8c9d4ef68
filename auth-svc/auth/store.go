package auth

import (
	"context"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/moviesplatform/platform/apierr"
)

// UserRecord is a user as the store keeps it.
type UserRecord struct {
	ID           int64
	Username     string
	PasswordHash string
	IsAdmin      bool
	CreatedAt    time.Time
}

// Store keeps users and token hashes. It never sees a token or a password,
// only their hashes. Usernames are unique by UsernameKey, so lookups and the
// uniqueness rule are case-insensitive on every backend.
type Store interface {
	// CreateUser inserts u and returns it with its ID; ErrUsernameTaken when
	// the username's key is in use.
	CreateUser(ctx context.Context, u UserRecord) (UserRecord, error)
	// UserByUsername finds a user by UsernameKey(username), or ErrUserNotFound.
	UserByUsername(ctx context.Context, username string) (UserRecord, error)
	// UpdateUser sets a user's password hash and admin flag; ErrUserNotFound
	// when the id is unknown.
	UpdateUser(ctx context.Context, id int64, passwordHash string, isAdmin bool) error
	// CreateToken records a token hash for a user.
	CreateToken(ctx context.Context, tokenHash string, userID int64, at time.Time) error
	// UserByToken finds the owner of a token hash, or ErrInvalidToken.
	UserByToken(ctx context.Context, tokenHash string) (UserRecord, error)
	// DeleteToken removes a token hash, or ErrInvalidToken when absent.
	DeleteToken(ctx context.Context, tokenHash string) error
	// DeleteUserTokens removes every token of a user.
	DeleteUserTokens(ctx context.Context, userID int64) error
	// PruneTokens removes a user's tokens older than its keep newest ones
	// (tokens created in the same instant as the oldest kept one stay).
	PruneTokens(ctx context.Context, userID int64, keep int) error
	// Ping checks the store can serve.
	Ping(ctx context.Context) error
}

// ErrUserNotFound is a store answer; the service never shows it to clients
// (a login with an unknown username is ErrBadCredentials).
var ErrUserNotFound = apierr.New(apierr.NotFound, "User not found.")

// UsernameKey is the form of a username that uniqueness and lookups use:
// NFKC-normalized, as Django normalizes usernames, and lower-cased so
// "Admin" and "admin" are one user.
func UsernameKey(username string) string {
	return strings.ToLower(norm.NFKC.String(username))
}
