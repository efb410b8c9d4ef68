package auth

import (
	"context"
	"net/http"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// NewHTTPClient returns the endpoints of auth-svc at baseURL (e.g.
// "http://127.0.0.1:8082") with hc (nil means http.DefaultClient). It
// forwards the request id and the client address of the context (see
// ContextWithClientAddr) and rebuilds the server's errors, so
// errors.Is(err, ErrInvalidToken) holds as it does locally.
func NewHTTPClient(baseURL string, hc *http.Client) (Endpoints, error) {
	rm, err := httpx.NewRemote(ServiceName, baseURL, hc, forwardClientAddr)
	if err != nil {
		return Endpoints{}, err
	}
	return Endpoints{
		Login: rm.Endpoint(http.MethodPost, contract.RouteAuthToken, func(_ context.Context, r *http.Request, req any) error {
			return httpx.SetJSONBody(r, req.(loginRequest).Credentials)
		}, httpx.DecodeInto(rm, func(t contract.TokenResponse) any { return loginResponse{Token: t} })),
		Revoke:     rm.Endpoint(http.MethodPost, contract.RouteInternalRevoke, setTokenBody, httpx.DecodeEmpty(revokeResponse{})),
		Introspect: rm.Endpoint(http.MethodPost, contract.RouteInternalIntrospect, setTokenBody, httpx.DecodeInto(rm, func(id contract.Identity) any { return introspectResponse{Identity: id} })),
		CreateUser: rm.Endpoint(http.MethodPost, contract.RouteAuthUsers, func(_ context.Context, r *http.Request, req any) error {
			return httpx.SetJSONBody(r, req.(createUserRequest).User)
		}, httpx.DecodeInto(rm, func(u contract.User) any { return createUserResponse{User: u} })),
		ListTokens: rm.Endpoint(http.MethodGet, contract.RouteAuthTokens, nil,
			httpx.DecodeInto(rm, func(ts []contract.TokenInfo) any { return listTokensResponse{Tokens: ts} })),
		RevokeTokenByID: rm.Endpoint(http.MethodDelete, contract.RouteAuthTokenByID, func(_ context.Context, r *http.Request, req any) error {
			r.URL.Path = rm.Path(contract.TokenPath(req.(tokenIDRequest).ID))
			return nil
		}, httpx.DecodeEmpty(revokeResponse{})),
		ListUsers: rm.Endpoint(http.MethodGet, contract.RouteAuthUsers, func(_ context.Context, r *http.Request, req any) error {
			r.URL.RawQuery = req.(listUsersRequest).Query.Values().Encode()
			return nil
		}, httpx.DecodeInto(rm, func(p contract.UserPage) any { return listUsersResponse{Page: p} })),
		ChangeUser: rm.Endpoint(http.MethodPatch, contract.RouteAuthUser, func(_ context.Context, r *http.Request, req any) error {
			cr := req.(changeUserRequest)
			r.URL.Path = rm.Path(contract.UserPath(cr.ID))
			return httpx.SetJSONBody(r, cr.Change)
		}, httpx.DecodeInto(rm, func(u contract.User) any { return createUserResponse{User: u} })),
		RevokeUserTokens: rm.Endpoint(http.MethodDelete, contract.RouteAuthUserTokens, func(_ context.Context, r *http.Request, req any) error {
			r.URL.Path = rm.Path(contract.UserTokensPath(req.(userIDRequest).ID))
			return nil
		}, httpx.DecodeInto(rm, func(u contract.User) any { return createUserResponse{User: u} })),
	}, nil
}

// setTokenBody sends a user's token in the body; one that cannot exist is
// ErrInvalidToken without a round trip, as the local service answers it.
func setTokenBody(_ context.Context, r *http.Request, req any) error {
	token := req.(tokenRequest).Token
	if !wellFormedToken(token) {
		return ErrInvalidToken
	}
	return httpx.SetJSONBody(r, contract.IntrospectRequest{Token: token})
}

// forwardClientAddr names the end client, for login throttling.
func forwardClientAddr(ctx context.Context, r *http.Request) context.Context {
	if addr := ClientAddr(ctx); addr != "" {
		r.Header.Set("X-Forwarded-For", addr)
	}
	return ctx
}
