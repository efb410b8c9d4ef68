// Package auth is the identity service: users with a role (admin or user),
// login to an opaque token, token revocation and introspection.
package auth

import (
	"context"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

// Service is auth-svc's business API. The HTTP client in this package
// satisfies it too.
type Service interface {
	// Login checks credentials and issues a new token, shown only this once.
	Login(ctx context.Context, c contract.Credentials) (contract.TokenResponse, error)
	// Revoke invalidates a token; revoking an unknown token is ErrInvalidToken.
	Revoke(ctx context.Context, token string) error
	// Introspect tells who a token belongs to, or ErrInvalidToken.
	Introspect(ctx context.Context, token string) (contract.Identity, error)
	// CreateUser adds a user. Authorization (admins only) is the caller's
	// job: the gateway checks it before calling.
	CreateUser(ctx context.Context, u contract.NewUser) (contract.User, error)

	// The methods below act for the context's actor (servicetoken.ActorOf),
	// whom the gateway names from a token it verified: ErrForbidden without
	// one, or when that user is disabled or gone.

	// ListTokens lists the actor's live tokens, newest first, never the
	// tokens themselves.
	ListTokens(ctx context.Context) ([]contract.TokenInfo, error)
	// RevokeTokenByID revokes one of the actor's tokens by its id;
	// ErrTokenNotFound when the actor has no such token.
	RevokeTokenByID(ctx context.Context, id string) error

	// The administration methods need an active admin actor (checked here
	// against the store, not only by the caller) or an operator's own
	// credential: ErrForbidden otherwise.

	// ListUsers returns a page of users by id.
	ListUsers(ctx context.Context, q contract.UserListQuery) (contract.UserPage, error)
	// ChangeUser promotes, demotes, disables or enables a user;
	// ErrLastAdmin when the change would leave no active admin.
	ChangeUser(ctx context.Context, id int64, c contract.UserChange) (contract.User, error)
	// RevokeUserTokens revokes every token of a user, and says whose they
	// were (for the gateway to forget them at once).
	RevokeUserTokens(ctx context.Context, id int64) (contract.User, error)
}

// Errors of auth-svc.
var (
	ErrInvalidToken = apierr.ErrInvalidToken
	// ErrBadCredentials is DRF obtain_auth_token's answer to a wrong login.
	ErrBadCredentials = apierr.Validation(map[string][]string{
		"non_field_errors": {"Unable to log in with provided credentials."},
	})
	// ErrLoginBusy answers a login that waited too long for a password
	// check (checkPassword's bound).
	ErrLoginBusy     = apierr.New(apierr.Unavailable, "Too many logins at once, try again shortly.").WithHeader("Retry-After", "1")
	ErrUsernameTaken = apierr.Validation(map[string][]string{
		"username": {"A user with that username already exists."},
	})
	// ErrTokenExpired refuses a token past its absolute or idle expiry: a
	// 401 like an invalid token, with its own message so the client knows
	// to log in again rather than suspect its configuration.
	ErrTokenExpired = apierr.New(apierr.Unauthenticated, "Token has expired.").
			WithHeader("WWW-Authenticate", `Token realm="api", error="invalid_token", error_description="The token has expired"`)
	// ErrLastAdmin refuses a change that would leave no active admin.
	ErrLastAdmin = apierr.New(apierr.Conflict, "This would leave no active admin: make another user an admin first.")
	// ErrNothingToChange refuses a user change that names no field.
	ErrNothingToChange = apierr.Validation(map[string][]string{
		"non_field_errors": {"Give is_admin or is_active to change."},
	})
)
