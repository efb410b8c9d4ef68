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
)
