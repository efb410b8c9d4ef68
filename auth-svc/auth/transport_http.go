package auth

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/servicetoken"
)

// NewHTTPHandler serves s over HTTP:
//
//	                                                                          who (servicetoken)
//	POST   /api/auth/token/           login, JSON or form {username,          gateway
//	                                  password} → 200 {"token"}
//	POST   /internal/auth/revoke      {"token"} → 204, 401 when invalid       gateway
//	POST   /api/auth/users/           create a user {username, password,      gateway for an admin,
//	                                  is_admin} → 201 user                    operator
//	POST   /internal/auth/introspect  {"token"} → 200 {username, is_admin},   gateway
//	                                  401 when invalid or expired
//	GET    /api/auth/tokens/          the actor's tokens → 200 [TokenInfo]    gateway, for a user
//	DELETE /api/auth/tokens/{id}/     revoke one of the actor's → 204         gateway, for a user
//	GET    /api/auth/users/           ?after=&page_size= → 200 UserPage       gateway for an admin,
//	                                                                          operator
//	PATCH  /api/auth/users/{id}/      {is_admin, is_active} → 200 user,       gateway for an admin,
//	                                  409 when no active admin would remain   operator
//	DELETE /api/auth/users/{id}/tokens/  revoke all of a user's → 200 user     gateway for an admin,
//	                                                                          operator
//
// Every path also answers without its trailing slash. Every call carries a
// service token (guard); creating users also needs the token to name an
// admin actor (or be an operator's own). Failed logins are throttled per
// client by the last X-Forwarded-For address, which only an authenticated
// gateway can set. metrics may be nil.
func NewHTTPHandler(e Endpoints, log *slog.Logger, metrics *httpx.HTTPMetrics, guard *servicetoken.Guard) *httpx.Router {
	opts := httpx.ServerOptions(log, ServiceName, clientAddrFromRequest)
	serve := func(p servicetoken.Policy, e endpoint.Endpoint, dec httptransport.DecodeRequestFunc, status int) http.Handler {
		return guard.Require(p)(httptransport.NewServer(e, dec, encodeResponse(status), opts...))
	}
	gateway := servicetoken.Allow(servicetoken.Gateway)
	rt := httpx.NewRouter(metrics)
	rt.Handle(http.MethodPost, contract.RouteAuthToken, serve(gateway, e.Login, decodeLogin, http.StatusOK))
	rt.Handle(http.MethodPost, contract.RouteInternalRevoke, serve(gateway, e.Revoke, decodeTokenBody, http.StatusNoContent))
	rt.Handle(http.MethodPost, contract.RouteAuthUsers, serve(servicetoken.AllowAdmin(servicetoken.Gateway, servicetoken.Operator),
		e.CreateUser, decodeCreateUser, http.StatusCreated))
	rt.Handle(http.MethodPost, contract.RouteInternalIntrospect, serve(gateway, e.Introspect, decodeTokenBody, http.StatusOK))
	// The service itself checks the actor of these (an active user; an
	// active admin), against the store.
	admin := servicetoken.AllowAdmin(servicetoken.Gateway, servicetoken.Operator)
	rt.Handle(http.MethodGet, contract.RouteAuthTokens, serve(gateway, e.ListTokens, decodeNothing, http.StatusOK))
	rt.Handle(http.MethodDelete, contract.RouteAuthTokenByID, serve(gateway, e.RevokeTokenByID, decodeTokenID, http.StatusNoContent))
	rt.Handle(http.MethodGet, contract.RouteAuthUsers, serve(admin, e.ListUsers, decodeListUsers, http.StatusOK))
	rt.Handle(http.MethodPatch, contract.RouteAuthUser, serve(admin, e.ChangeUser, decodeChangeUser, http.StatusOK))
	rt.Handle(http.MethodDelete, contract.RouteAuthUserTokens, serve(admin, e.RevokeUserTokens, decodeUserID, http.StatusOK))
	return rt
}

// clientAddrFromRequest takes the end client's address from the last
// X-Forwarded-For entry, which the caller (the gateway, authenticated by
// the guard) sets. The peer address is deliberately not used: it is the
// gateway's, and one bucket for every client behind it would let anyone
// lock everyone out of logging in.
func clientAddrFromRequest(ctx context.Context, r *http.Request) context.Context {
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return ctx
	}
	hops := strings.Split(xff[len(xff)-1], ",")
	if last := strings.TrimSpace(hops[len(hops)-1]); last != "" {
		return ContextWithClientAddr(ctx, last)
	}
	return ctx
}

// The decoders pass a nil writer to the body readers: go-kit does not give
// decoders the writer, and http.MaxBytesReader only uses it to ask the server
// to close the connection after an oversized body.

// decodeLogin reads credentials as DRF's obtain_auth_token does: a JSON body,
// or form fields (urlencoded or multipart).
func decodeLogin(_ context.Context, r *http.Request) (any, error) {
	var c contract.Credentials
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data" {
		err := httpx.DecodeJSON(nil, r, &c)
		return loginRequest{c}, err
	}
	r.Body = http.MaxBytesReader(nil, r.Body, httpx.MaxBodyBytes)
	if err := r.ParseMultipartForm(httpx.MaxBodyBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, apierr.ErrTooLarge
		}
		return nil, apierr.New(apierr.Invalid, "Malformed form data.")
	}
	c.Username, c.Password = r.PostFormValue("username"), r.PostFormValue("password")
	return loginRequest{c}, nil
}

// decodeTokenBody reads a user's token from the body: the Authorization
// header carries the caller's service token.
func decodeTokenBody(_ context.Context, r *http.Request) (any, error) {
	var req contract.IntrospectRequest
	err := httpx.DecodeJSON(nil, r, &req)
	return tokenRequest{req.Token}, err
}

func decodeCreateUser(_ context.Context, r *http.Request) (any, error) {
	var u contract.NewUser
	err := httpx.DecodeJSON(nil, r, &u)
	return createUserRequest{u}, err
}

func decodeNothing(context.Context, *http.Request) (any, error) { return listTokensRequest{}, nil }

func decodeTokenID(_ context.Context, r *http.Request) (any, error) {
	return tokenIDRequest{r.PathValue("id")}, nil
}

func decodeListUsers(_ context.Context, r *http.Request) (any, error) {
	q, bad := contract.ParseUserListQuery(r.URL.Query())
	if bad != nil {
		return nil, apierr.Validation(bad)
	}
	return listUsersRequest{q}, nil
}

// PathUserID reads the {id} of a user path; anything but a positive integer
// is an unknown user.
func PathUserID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrUserNotFound
	}
	return id, nil
}

func decodeUserID(_ context.Context, r *http.Request) (any, error) {
	id, err := PathUserID(r)
	return userIDRequest{id}, err
}

func decodeChangeUser(_ context.Context, r *http.Request) (any, error) {
	id, err := PathUserID(r)
	if err != nil {
		return nil, err
	}
	var c contract.UserChange
	err = httpx.DecodeJSON(nil, r, &c)
	return changeUserRequest{ID: id, Change: c}, err
}

// encodeResponse writes a successful response with status, or the error the
// response carries.
func encodeResponse(status int) httptransport.EncodeResponseFunc {
	return func(ctx context.Context, w http.ResponseWriter, resp any) error {
		if httpx.EncodeFailure(ctx, w, resp) {
			return nil
		}
		var body any
		switch r := resp.(type) {
		case loginResponse:
			httpx.NoStore(w.Header())
			body = r.Token
		case introspectResponse:
			body = r.Identity
		case createUserResponse:
			body = r.User
		case listTokensResponse:
			httpx.NoStore(w.Header())
			body = r.Tokens
		case listUsersResponse:
			body = r.Page
		default:
			w.WriteHeader(status)
			return nil
		}
		return httpx.WriteJSON(w, status, body)
	}
}
