package auth

import (
	"context"
	"log/slog"

	"github.com/go-kit/kit/endpoint"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/endpointmw"
)

// Endpoints holds one go-kit endpoint per Service method: the server side
// wraps a service in them (New), the client side builds them from HTTP calls
// (NewHTTPClient), every middleware (endpointmw) wraps them alike, and
// Service turns them back into a Service. The tags tell middlewares what
// each method is; logins are logged at info, for whoever watches for
// password guessing.
type Endpoints struct {
	Login      endpoint.Endpoint `endpoint:"write,class=login,log=info"`
	Revoke     endpoint.Endpoint `endpoint:"write"`
	Introspect endpoint.Endpoint `endpoint:"read,class=introspect"`
	CreateUser endpoint.Endpoint `endpoint:"write"`

	ListTokens       endpoint.Endpoint `endpoint:"read"`
	RevokeTokenByID  endpoint.Endpoint `endpoint:"write,log=info"`
	ListUsers        endpoint.Endpoint `endpoint:"read"`
	ChangeUser       endpoint.Endpoint `endpoint:"write,log=info"`
	RevokeUserTokens endpoint.Endpoint `endpoint:"write,log=info"`
}

// ServiceName names auth-svc in metrics, logs and traces.
const ServiceName = "auth"

// Use returns e with mws wrapped around every endpoint, the first outermost.
func (e Endpoints) Use(mws ...endpointmw.Middleware) Endpoints {
	endpointmw.Apply(ServiceName, &e, mws...)
	return e
}

// MakeEndpoints exposes s as endpoints.
func MakeEndpoints(s Service) Endpoints {
	return Endpoints{
		Login: func(ctx context.Context, req any) (any, error) {
			tok, err := s.Login(ctx, req.(loginRequest).Credentials)
			return loginResponse{Token: tok, Err: err}, nil
		},
		Revoke: func(ctx context.Context, req any) (any, error) {
			return revokeResponse{Err: s.Revoke(ctx, req.(tokenRequest).Token)}, nil
		},
		Introspect: func(ctx context.Context, req any) (any, error) {
			id, err := s.Introspect(ctx, req.(tokenRequest).Token)
			return introspectResponse{Identity: id, Err: err}, nil
		},
		CreateUser: func(ctx context.Context, req any) (any, error) {
			u, err := s.CreateUser(ctx, req.(createUserRequest).User)
			return createUserResponse{User: u, Err: err}, nil
		},
		ListTokens: func(ctx context.Context, _ any) (any, error) {
			ts, err := s.ListTokens(ctx)
			return listTokensResponse{Tokens: ts, Err: err}, nil
		},
		RevokeTokenByID: func(ctx context.Context, req any) (any, error) {
			return revokeResponse{Err: s.RevokeTokenByID(ctx, req.(tokenIDRequest).ID)}, nil
		},
		ListUsers: func(ctx context.Context, req any) (any, error) {
			p, err := s.ListUsers(ctx, req.(listUsersRequest).Query)
			return listUsersResponse{Page: p, Err: err}, nil
		},
		ChangeUser: func(ctx context.Context, req any) (any, error) {
			r := req.(changeUserRequest)
			u, err := s.ChangeUser(ctx, r.ID, r.Change)
			return createUserResponse{User: u, Err: err}, nil
		},
		RevokeUserTokens: func(ctx context.Context, req any) (any, error) {
			u, err := s.RevokeUserTokens(ctx, req.(userIDRequest).ID)
			return createUserResponse{User: u, Err: err}, nil
		},
	}
}

// Business errors travel inside the responses (Failed), so that go-kit's
// own error path carries only transport failures.
type (
	loginRequest      struct{ Credentials contract.Credentials }
	tokenRequest      struct{ Token string }
	createUserRequest struct{ User contract.NewUser }
	loginResponse     struct {
		Token contract.TokenResponse
		Err   error
	}
	revokeResponse     struct{ Err error }
	introspectResponse struct {
		Identity contract.Identity
		Err      error
	}
	createUserResponse struct {
		User contract.User
		Err  error
	}
	listTokensRequest struct{}
	tokenIDRequest    struct{ ID string }
	listUsersRequest  struct{ Query contract.UserListQuery }
	userIDRequest     struct{ ID int64 }
	changeUserRequest struct {
		ID     int64
		Change contract.UserChange
	}
	listTokensResponse struct {
		Tokens []contract.TokenInfo
		Err    error
	}
	listUsersResponse struct {
		Page contract.UserPage
		Err  error
	}
)

func (r loginResponse) Failed() error      { return r.Err }
func (r revokeResponse) Failed() error     { return r.Err }
func (r introspectResponse) Failed() error { return r.Err }
func (r createUserResponse) Failed() error { return r.Err }
func (r listTokensResponse) Failed() error { return r.Err }
func (r listUsersResponse) Failed() error  { return r.Err }

// Service returns the Service that calls e, so that callers cannot tell
// local endpoints from remote ones.
func (e Endpoints) Service() Service { return endpointService{e} }

type endpointService struct{ e Endpoints }

func (s endpointService) Login(ctx context.Context, c contract.Credentials) (contract.TokenResponse, error) {
	r, err := endpointmw.Call[loginResponse](ctx, s.e.Login, loginRequest{c})
	return r.Token, err
}

func (s endpointService) Revoke(ctx context.Context, token string) error {
	_, err := endpointmw.Call[revokeResponse](ctx, s.e.Revoke, tokenRequest{token})
	return err
}

func (s endpointService) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	r, err := endpointmw.Call[introspectResponse](ctx, s.e.Introspect, tokenRequest{token})
	return r.Identity, err
}

func (s endpointService) CreateUser(ctx context.Context, u contract.NewUser) (contract.User, error) {
	r, err := endpointmw.Call[createUserResponse](ctx, s.e.CreateUser, createUserRequest{u})
	return r.User, err
}

func (s endpointService) ListTokens(ctx context.Context) ([]contract.TokenInfo, error) {
	r, err := endpointmw.Call[listTokensResponse](ctx, s.e.ListTokens, listTokensRequest{})
	return r.Tokens, err
}

func (s endpointService) RevokeTokenByID(ctx context.Context, id string) error {
	_, err := endpointmw.Call[revokeResponse](ctx, s.e.RevokeTokenByID, tokenIDRequest{id})
	return err
}

func (s endpointService) ListUsers(ctx context.Context, q contract.UserListQuery) (contract.UserPage, error) {
	r, err := endpointmw.Call[listUsersResponse](ctx, s.e.ListUsers, listUsersRequest{q})
	return r.Page, err
}

func (s endpointService) ChangeUser(ctx context.Context, id int64, c contract.UserChange) (contract.User, error) {
	r, err := endpointmw.Call[createUserResponse](ctx, s.e.ChangeUser, changeUserRequest{id, c})
	return r.User, err
}

func (s endpointService) RevokeUserTokens(ctx context.Context, id int64) (contract.User, error) {
	r, err := endpointmw.Call[createUserResponse](ctx, s.e.RevokeUserTokens, userIDRequest{id})
	return r.User, err
}

// LogAttrs say what a call's log line records: usernames, never passwords
// or tokens.
func (r loginRequest) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.String("username", loggable(r.Credentials.Username))}
}
func (r introspectResponse) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.String("username", r.Identity.Username)}
}
func (r tokenIDRequest) LogAttrs() []slog.Attr    { return []slog.Attr{slog.String("token_id", r.ID)} }
func (r userIDRequest) LogAttrs() []slog.Attr     { return []slog.Attr{slog.Int64("user_id", r.ID)} }
func (r changeUserRequest) LogAttrs() []slog.Attr { return []slog.Attr{slog.Int64("user_id", r.ID)} }
func (r createUserResponse) LogAttrs() []slog.Attr {
	return []slog.Attr{slog.String("username", r.User.Username), slog.Bool("is_admin", r.User.IsAdmin)}
}

// loggable bounds an unvalidated username (a login's may be up to a body
// long) to the longest valid one.
func loggable(username string) string {
	if r := []rune(username); len(r) > MaxUsernameLength {
		return string(r[:MaxUsernameLength]) + "…"
	}
	return username
}
