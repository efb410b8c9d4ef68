package auth

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/moviesplatform/platform/contract"
)

// Endpoints are the service's operations as go-kit endpoints. Endpoints also
// satisfies Service, which is how the HTTP client becomes a Service.
type Endpoints struct {
	Login      endpoint.Endpoint
	Revoke     endpoint.Endpoint
	Introspect endpoint.Endpoint
	CreateUser endpoint.Endpoint
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
)

func (r loginResponse) Failed() error      { return r.Err }
func (r revokeResponse) Failed() error     { return r.Err }
func (r introspectResponse) Failed() error { return r.Err }
func (r createUserResponse) Failed() error { return r.Err }

// Service returns a Service that calls the endpoints, so remote endpoints
// (the HTTP client's) look like a local service.
func (e Endpoints) Service() Service { return endpointService{e} }

type endpointService struct{ e Endpoints }

func (s endpointService) Login(ctx context.Context, c contract.Credentials) (contract.TokenResponse, error) {
	r, err := call[loginResponse](ctx, s.e.Login, loginRequest{c})
	return r.Token, err
}

func (s endpointService) Revoke(ctx context.Context, token string) error {
	_, err := call[revokeResponse](ctx, s.e.Revoke, tokenRequest{token})
	return err
}

func (s endpointService) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	r, err := call[introspectResponse](ctx, s.e.Introspect, tokenRequest{token})
	return r.Identity, err
}

func (s endpointService) CreateUser(ctx context.Context, u contract.NewUser) (contract.User, error) {
	r, err := call[createUserResponse](ctx, s.e.CreateUser, createUserRequest{u})
	return r.User, err
}

// call runs e and returns its response with either error: the transport's
// or the business one the response carries.
func call[R endpoint.Failer](ctx context.Context, e endpoint.Endpoint, req any) (R, error) {
	resp, err := e(ctx, req)
	if err != nil {
		var zero R
		return zero, err
	}
	r := resp.(R)
	return r, r.Failed()
}
