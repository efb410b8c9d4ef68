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
	resp, err := s.e.Login(ctx, loginRequest{c})
	if err != nil {
		return contract.TokenResponse{}, err
	}
	r := resp.(loginResponse)
	return r.Token, r.Err
}

func (s endpointService) Revoke(ctx context.Context, token string) error {
	resp, err := s.e.Revoke(ctx, tokenRequest{token})
	if err != nil {
		return err
	}
	return resp.(revokeResponse).Err
}

func (s endpointService) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	resp, err := s.e.Introspect(ctx, tokenRequest{token})
	if err != nil {
		return contract.Identity{}, err
	}
	r := resp.(introspectResponse)
	return r.Identity, r.Err
}

func (s endpointService) CreateUser(ctx context.Context, u contract.NewUser) (contract.User, error) {
	resp, err := s.e.CreateUser(ctx, createUserRequest{u})
	if err != nil {
		return contract.User{}, err
	}
	r := resp.(createUserResponse)
	return r.User, r.Err
}
