// Package authtest is auth-svc's test support for other modules: an
// in-memory auth.Service with fixed tokens that records what it was asked.
// Tests import it; binaries never do.
package authtest

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
)

// Auth is an in-memory auth-svc with fixed tokens: tokens are "token-<username>".
type Auth struct {
	mu     sync.Mutex
	users  map[string]user
	tokens map[string]string
	// Introspections counts calls to Introspect.
	Introspections atomic.Int64
	// LoginClient is the client address the last Login was told of.
	LoginClient string
}

type user struct {
	id       int64
	password string
	admin    bool
}

// Tokens of the users NewAuth creates.
const (
	AdminToken = "token-admin"
	UserToken  = "token-alice"
)

// NewAuth returns auth with an admin ("admin"/"admin-pass", AdminToken) and a
// user ("alice"/"alice-pass", UserToken), both logged in.
func NewAuth() *Auth {
	return &Auth{
		users: map[string]user{
			"admin": {1, "admin-pass", true},
			"alice": {2, "alice-pass", false},
		},
		tokens: map[string]string{AdminToken: "admin", UserToken: "alice"},
	}
}

func (a *Auth) Login(ctx context.Context, c contract.Credentials) (contract.TokenResponse, error) {
	a.mu.Lock()
	a.LoginClient = auth.ClientAddr(ctx)
	a.mu.Unlock()
	bad := map[string][]string{}
	if c.Username == "" {
		bad["username"] = []string{apierr.MsgRequired}
	}
	if c.Password == "" {
		bad["password"] = []string{apierr.MsgRequired}
	}
	if len(bad) > 0 {
		return contract.TokenResponse{}, apierr.Validation(bad)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[c.Username]
	if !ok || u.password != c.Password {
		return contract.TokenResponse{}, auth.ErrBadCredentials
	}
	tok := "token-" + c.Username
	a.tokens[tok] = c.Username
	return contract.TokenResponse{Token: tok}, nil
}

func (a *Auth) Revoke(_ context.Context, token string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.tokens[token]; !ok {
		return auth.ErrInvalidToken
	}
	delete(a.tokens, token)
	return nil
}

func (a *Auth) Introspect(_ context.Context, token string) (contract.Identity, error) {
	a.Introspections.Add(1)
	a.mu.Lock()
	defer a.mu.Unlock()
	name, ok := a.tokens[token]
	if !ok {
		return contract.Identity{}, auth.ErrInvalidToken
	}
	return contract.Identity{Username: name, IsAdmin: a.users[name].admin}, nil
}

func (a *Auth) CreateUser(_ context.Context, nu contract.NewUser) (contract.User, error) {
	if nu.Username == nil || nu.Password == nil {
		return contract.User{}, apierr.Validation(map[string][]string{"username": {apierr.MsgRequired}})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.users[*nu.Username]; ok {
		return contract.User{}, auth.ErrUsernameTaken
	}
	u := user{id: int64(len(a.users) + 1), password: *nu.Password, admin: nu.IsAdmin != nil && *nu.IsAdmin}
	a.users[*nu.Username] = u
	return contract.User{ID: u.id, Username: *nu.Username, IsAdmin: u.admin}, nil
}
