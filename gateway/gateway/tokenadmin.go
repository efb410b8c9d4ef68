package gateway

import (
	"context"
	"net/http"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/httpx"
)

// adminRoutes registers a user's own token routes and the user
// administration (issue 9). auth-svc checks the actor again against its
// store: the gateway's check saves a round trip, it is not the only one.
func (g *Gateway) adminRoutes() {
	rt := g.router
	rt.Handle(http.MethodGet, contract.RouteAuthTokens, g.handle(g.listTokens))
	rt.Handle(http.MethodDelete, contract.RouteAuthTokenByID, g.handle(g.revokeTokenByID))
	rt.Handle(http.MethodGet, contract.RouteAuthUsers, g.handle(g.listUsers))
	rt.Handle(http.MethodPatch, contract.RouteAuthUser, g.handle(g.changeUser))
	rt.Handle(http.MethodDelete, contract.RouteAuthUserTokens, g.handle(g.revokeUserTokens))
}

// listTokens lists the caller's tokens: ids and dates, never a secret.
func (g *Gateway) listTokens(w http.ResponseWriter, r *http.Request) error {
	id, _, err := g.user(r)
	if err != nil {
		return err
	}
	tokens, err := g.auth.ListTokens(actingFor(r.Context(), id))
	if err != nil {
		return err
	}
	httpx.NoStore(w.Header())
	return httpx.WriteJSON(w, http.StatusOK, tokens)
}

// revokeTokenByID revokes one of the caller's tokens. This gateway forgets
// the caller's cached answers, since it cannot tell which token the id
// names; other replicas stop trusting it within their cache TTL.
func (g *Gateway) revokeTokenByID(w http.ResponseWriter, r *http.Request) error {
	id, _, err := g.user(r)
	if err != nil {
		return err
	}
	if err := g.auth.RevokeTokenByID(actingFor(r.Context(), id), r.PathValue("id")); err != nil {
		return err
	}
	g.tokens.ForgetUser(id.Username)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listUsers is a page of users, a JSON array like every list of the API,
// with the next page in a Link header.
func (g *Gateway) listUsers(w http.ResponseWriter, r *http.Request) error {
	ctx, err := g.admin(r)
	if err != nil {
		return err
	}
	q, bad := contract.ParseUserListQuery(r.URL.Query())
	if bad != nil {
		return apierr.Validation(bad)
	}
	page, err := g.auth.ListUsers(ctx, q)
	if err != nil {
		return err
	}
	if page.Next != 0 {
		u := g.absoluteURL(r, contract.RouteAuthUsers)
		u.RawQuery = contract.UserListQuery{After: page.Next, PageSize: q.PageSize}.Values().Encode()
		w.Header().Set("Link", "<"+u.String()+`>; rel="next"`)
	}
	httpx.NoStore(w.Header())
	return httpx.WriteJSON(w, http.StatusOK, page.Users)
}

// changeUser promotes, demotes, disables or enables a user; the change
// holds on this gateway at once (ForgetUser), on others within the token
// cache's TTL.
func (g *Gateway) changeUser(w http.ResponseWriter, r *http.Request) error {
	ctx, userID, err := g.adminOnUser(r)
	if err != nil {
		return err
	}
	var c contract.UserChange
	if err := httpx.DecodeJSON(w, r, &c); err != nil {
		return err
	}
	u, err := g.auth.ChangeUser(ctx, userID, c)
	if err != nil {
		return err
	}
	g.tokens.ForgetUser(u.Username)
	return httpx.WriteJSON(w, http.StatusOK, u)
}

// revokeUserTokens revokes every token of a user.
func (g *Gateway) revokeUserTokens(w http.ResponseWriter, r *http.Request) error {
	ctx, userID, err := g.adminOnUser(r)
	if err != nil {
		return err
	}
	u, err := g.auth.RevokeUserTokens(ctx, userID)
	if err != nil {
		return err
	}
	g.tokens.ForgetUser(u.Username)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminOnUser is the admin's context and the user id a user-administration
// route names in its path.
func (g *Gateway) adminOnUser(r *http.Request) (context.Context, int64, error) {
	ctx, err := g.admin(r)
	if err != nil {
		return nil, 0, err
	}
	userID, err := auth.PathUserID(r)
	return ctx, userID, err
}
