// Package authtest is auth-svc's test support for other modules: an
// in-memory auth.Service with fixed tokens that records what it was asked.
// Tests import it; binaries never do.
package authtest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/servicetoken"
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
	disabled bool
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
			"admin": {id: 1, password: "admin-pass", admin: true},
			"alice": {id: 2, password: "alice-pass"},
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
	if !ok || a.users[name].disabled {
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
	return contract.User{ID: u.id, Username: *nu.Username, IsAdmin: u.admin, IsActive: true}, nil
}

// Created is when every token of the fake was issued.
var Created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// actor is the context's actor; a.mu is held.
func (a *Auth) actor(ctx context.Context) (string, user, error) {
	name := servicetoken.ActorOf(ctx).Username
	u, ok := a.users[name]
	if !ok || u.disabled {
		return "", user{}, apierr.ErrForbidden
	}
	return name, u, nil
}

// ListTokens lists the actor's tokens, all issued at Created.
func (a *Auth) ListTokens(ctx context.Context) ([]contract.TokenInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	name, _, err := a.actor(ctx)
	if err != nil {
		return nil, err
	}
	out := []contract.TokenInfo{}
	for tok, owner := range a.tokens {
		if owner == name {
			out = append(out, contract.TokenInfo{ID: auth.TokenIDOfHash(auth.HashToken(tok)), Created: Created, Expires: Created.AddDate(0, 0, 30)})
		}
	}
	return out, nil
}

// RevokeTokenByID revokes one of the actor's tokens by id.
func (a *Auth) RevokeTokenByID(ctx context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	name, _, err := a.actor(ctx)
	if err != nil {
		return err
	}
	for tok, owner := range a.tokens {
		if owner == name && auth.TokenIDOfHash(auth.HashToken(tok)) == id {
			delete(a.tokens, tok)
			return nil
		}
	}
	return auth.ErrTokenNotFound
}

// requireAdmin is the real service's check; a.mu is held.
func (a *Auth) requireAdmin(ctx context.Context) error {
	_, u, err := a.actor(ctx)
	if err == nil && !u.admin {
		err = apierr.ErrForbidden
	}
	return err
}

func (a *Auth) public(name string) contract.User {
	u := a.users[name]
	return contract.User{ID: u.id, Username: name, IsAdmin: u.admin, IsActive: !u.disabled}
}

// ListUsers pages the users by id.
func (a *Auth) ListUsers(ctx context.Context, q contract.UserListQuery) (contract.UserPage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.requireAdmin(ctx); err != nil {
		return contract.UserPage{}, err
	}
	var all []contract.User
	for name, u := range a.users {
		if u.id > q.After {
			all = append(all, a.public(name))
		}
	}
	slices.SortFunc(all, func(x, y contract.User) int { return int(x.ID - y.ID) })
	page := contract.UserPage{Users: all}
	if q.PageSize > 0 && len(all) > q.PageSize {
		page.Users = all[:q.PageSize]
		page.Next = page.Users[q.PageSize-1].ID
	}
	return page, nil
}

// byID finds a user's name; a.mu is held.
func (a *Auth) byID(id int64) (string, error) {
	for name, u := range a.users {
		if u.id == id {
			return name, nil
		}
	}
	return "", auth.ErrUserNotFound
}

// ChangeUser changes a user's flags, keeping an active admin.
func (a *Auth) ChangeUser(ctx context.Context, id int64, c contract.UserChange) (contract.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c.IsAdmin == nil && c.IsActive == nil {
		return contract.User{}, auth.ErrNothingToChange
	}
	if err := a.requireAdmin(ctx); err != nil {
		return contract.User{}, err
	}
	name, err := a.byID(id)
	if err != nil {
		return contract.User{}, err
	}
	u := a.users[name]
	if c.IsAdmin != nil {
		u.admin = *c.IsAdmin
	}
	if c.IsActive != nil {
		u.disabled = !*c.IsActive
	}
	admins := 0
	for n, o := range a.users {
		if n == name {
			o = u
		}
		if o.admin && !o.disabled {
			admins++
		}
	}
	if admins == 0 {
		return contract.User{}, auth.ErrLastAdmin
	}
	a.users[name] = u
	return a.public(name), nil
}

// RevokeUserTokens revokes every token of a user.
func (a *Auth) RevokeUserTokens(ctx context.Context, id int64) (contract.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.requireAdmin(ctx); err != nil {
		return contract.User{}, err
	}
	name, err := a.byID(id)
	if err != nil {
		return contract.User{}, err
	}
	for tok, owner := range a.tokens {
		if owner == name {
			delete(a.tokens, tok)
		}
	}
	return a.public(name), nil
}
