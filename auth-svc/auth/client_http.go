package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// NewHTTPClient returns a Service that calls auth-svc at baseURL (e.g.
// "http://127.0.0.1:8082") with hc (nil means http.DefaultClient). It
// forwards the request id and the client address of the context (see
// ContextWithClientAddr) and rebuilds the server's errors, so
// errors.Is(err, ErrInvalidToken) holds as it does locally.
func NewHTTPClient(baseURL string, hc *http.Client) (Service, error) {
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("auth client: bad base URL %q", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	opts := []httptransport.ClientOption{
		httptransport.SetClient(hc),
		httptransport.ClientBefore(forwardContext),
	}
	client := func(method, route string, enc httptransport.EncodeRequestFunc, dec httptransport.DecodeResponseFunc) *httptransport.Client {
		target := *base
		target.Path = base.Path + route
		return httptransport.NewClient(method, &target, enc, dec, opts...)
	}
	return validatingClient{Endpoints{
		Login: client(http.MethodPost, contract.RouteAuthToken, func(_ context.Context, r *http.Request, req any) error {
			return setJSONBody(r, req.(loginRequest).Credentials)
		}, decodeJSON(func(t contract.TokenResponse) any { return loginResponse{Token: t} })).Endpoint(),
		Revoke: client(http.MethodDelete, contract.RouteAuthToken, func(_ context.Context, r *http.Request, req any) error {
			r.Header.Set("Authorization", "Token "+req.(tokenRequest).Token)
			return nil
		}, decodeNoContent).Endpoint(),
		Introspect: client(http.MethodPost, contract.RouteInternalIntrospect, func(_ context.Context, r *http.Request, req any) error {
			return setJSONBody(r, contract.IntrospectRequest{Token: req.(tokenRequest).Token})
		}, decodeJSON(func(id contract.Identity) any { return introspectResponse{Identity: id} })).Endpoint(),
		CreateUser: client(http.MethodPost, contract.RouteAuthUsers, func(_ context.Context, r *http.Request, req any) error {
			return setJSONBody(r, req.(createUserRequest).User)
		}, decodeJSON(func(u contract.User) any { return createUserResponse{User: u} })).Endpoint(),
	}.Service()}, nil
}

// validatingClient answers for tokens that cannot exist without a round
// trip, as the local service does; it also keeps a token with spaces out of
// a header.
type validatingClient struct{ Service }

func (c validatingClient) Revoke(ctx context.Context, token string) error {
	if !wellFormedToken(token) {
		return ErrInvalidToken
	}
	return c.Service.Revoke(ctx, token)
}

func (c validatingClient) Introspect(ctx context.Context, token string) (contract.Identity, error) {
	if !wellFormedToken(token) {
		return contract.Identity{}, ErrInvalidToken
	}
	return c.Service.Introspect(ctx, token)
}

func forwardContext(ctx context.Context, r *http.Request) context.Context {
	if addr := ClientAddr(ctx); addr != "" {
		r.Header.Set("X-Forwarded-For", addr)
	}
	if id := httpx.RequestID(ctx); id != "" {
		r.Header.Set(contract.HeaderRequestID, id)
	}
	return ctx
}

func setJSONBody(r *http.Request, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return nil
}

// decodeJSON turns an error status into the error the server encoded, and a
// success body (a T) into the endpoint's response with wrap.
func decodeJSON[T any](wrap func(T) any) httptransport.DecodeResponseFunc {
	return func(_ context.Context, resp *http.Response) (any, error) {
		if resp.StatusCode >= 400 {
			return nil, apierr.FromResponse(resp)
		}
		var v T
		if err := json.NewDecoder(io.LimitReader(resp.Body, httpx.MaxBodyBytes)).Decode(&v); err != nil {
			return nil, fmt.Errorf("auth client: bad response body: %w", err)
		}
		return wrap(v), nil
	}
}

func decodeNoContent(_ context.Context, resp *http.Response) (any, error) {
	if resp.StatusCode >= 400 {
		return nil, apierr.FromResponse(resp)
	}
	return revokeResponse{}, nil
}
