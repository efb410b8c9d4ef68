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
	// Disabled users cannot log in and their tokens are refused.
	Disabled  bool
	CreatedAt time.Time
}

// TokenRecord is a token as the store keeps it: its hash, never itself.
type TokenRecord struct {
	Hash      string
	UserID    int64
	CreatedAt time.Time
	// LastUsedAt is when the token was last seen in use, to within
	// Options.LastUsedStep; zero when never.
	LastUsedAt time.Time
}

// UserChange changes a user's flags. It gets the user as it is and the
// number of active admins (the user included when it is one), read in the
// same transaction that writes its answer, so two admins demoting each
// other at once cannot both succeed.
type UserChange func(cur UserRecord, activeAdmins int) (UserRecord, error)

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
	// UserByID finds a user by id, or ErrUserNotFound.
	UserByID(ctx context.Context, id int64) (UserRecord, error)
	// ListUsers returns up to limit users with an id above afterID, by id.
	ListUsers(ctx context.Context, afterID int64, limit int) ([]UserRecord, error)
	// ChangeUser applies change to a user's admin and disabled flags in one
	// transaction and returns the user as written; ErrUserNotFound when the
	// id is unknown, change's error when it refuses.
	ChangeUser(ctx context.Context, id int64, change UserChange) (UserRecord, error)
	// CreateToken records a token hash for a user.
	CreateToken(ctx context.Context, tokenHash string, userID int64, at time.Time) error
	// TokenByHash finds a token hash and its owner, or ErrInvalidToken.
	TokenByHash(ctx context.Context, tokenHash string) (TokenRecord, UserRecord, error)
	// TouchToken sets a token's last use to at when the recorded one is
	// before staleBefore (or absent): a token in steady use costs a write
	// per step, not per request.
	TouchToken(ctx context.Context, tokenHash string, at, staleBefore time.Time) error
	// ListTokens returns a user's tokens, newest first.
	ListTokens(ctx context.Context, userID int64) ([]TokenRecord, error)
	// DeleteToken removes a token hash, or ErrInvalidToken when absent.
	DeleteToken(ctx context.Context, tokenHash string) error
	// DeleteUserToken removes the user's token whose TokenIDOfHash is id,
	// or ErrTokenNotFound when the user has none.
	DeleteUserToken(ctx context.Context, userID int64, id string) error
	// DeleteUserTokens removes every token of a user.
	DeleteUserTokens(ctx context.Context, userID int64) error
	// PruneTokens removes a user's tokens older than its keep newest ones
	// (tokens created in the same instant as the oldest kept one stay), and
	// those expired by then: created before createdBefore, or last used
	// (created, when never used) before usedBefore.
	PruneTokens(ctx context.Context, userID int64, keep int, createdBefore, usedBefore time.Time) error
	// Ping checks the store can serve.
	Ping(ctx context.Context) error
}

// ErrUserNotFound is a store answer; the service never shows it to clients
// (a login with an unknown username is ErrBadCredentials).
var ErrUserNotFound = apierr.New(apierr.NotFound, "User not found.")

// ErrTokenNotFound answers a revocation by id of a token the user does not
// have (someone else's is not theirs either).
var ErrTokenNotFound = apierr.New(apierr.NotFound, "Token not found.")

// UsernameKey is the form of a username that uniqueness and lookups use:
// NFKC-normalized, as Django normalizes usernames, and lower-cased so
// "Admin" and "admin" are one user.
func UsernameKey(username string) string {
	return strings.ToLower(norm.NFKC.String(username))
}
