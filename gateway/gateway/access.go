package gateway

import (
	"context"
	"net/http"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/servicetoken"

	"github.com/moviesplatform/gateway/authn"
)

// identify returns who presents the request's token: the anonymous identity
// when there is none, ErrInvalidToken for a bad one, and auth-svc's failure
// when it cannot tell.
func (g *Gateway) identify(r *http.Request) (contract.Identity, string, error) {
	token, err := authn.TokenFromRequest(r)
	if err != nil || token == "" {
		return contract.Identity{}, "", err
	}
	id, err := g.tokens.Introspect(r.Context(), token)
	return id, token, err
}

// reader lets anyone read. A present but invalid token is refused, as DRF
// does; when auth-svc cannot answer, the read goes on anonymously (reads
// need no identity) and says so in a header.
func (g *Gateway) reader(w http.ResponseWriter, r *http.Request) (context.Context, error) {
	id, _, err := g.identify(r)
	if err == nil {
		if !id.IsAdmin {
			return r.Context(), nil
		}
		// The catalog routes a recent writer's reads to the primary, so an
		// admin reads its own write even behind lagging replicas. Only admins
		// write: others' reads carry no actor, which spares them the
		// catalog's look-up of recent writers in Redis.
		return actingFor(r.Context(), id), nil
	}
	if !apierr.IsServerFault(err) {
		return nil, err
	}
	g.log.WarnContext(r.Context(), "token check failed; serving the read anonymously", "error", err)
	w.Header().Set(contract.HeaderDegraded, "auth")
	return r.Context(), nil
}

// user requires a valid token.
func (g *Gateway) user(r *http.Request) (contract.Identity, string, error) {
	id, token, err := g.identify(r)
	if err == nil && id.Anonymous() {
		err = apierr.ErrNotProvided
	}
	return id, token, err
}

// admin requires an admin's token, and returns a context that carries the
// admin as the actor of the change.
func (g *Gateway) admin(r *http.Request) (context.Context, error) {
	id, _, err := g.user(r)
	if err != nil {
		return nil, err
	}
	if !id.IsAdmin {
		return nil, apierr.ErrForbidden
	}
	return actingFor(r.Context(), id), nil
}

// actingFor makes id the actor of the calls made for the request: in
// process the services read it from the context, over HTTP it travels in
// the gateway's service token (servicetoken.Signer.Transport). It comes
// from auth-svc's answer for the client's token, nothing the client says.
func actingFor(ctx context.Context, id contract.Identity) context.Context {
	return servicetoken.WithActor(ctx, servicetoken.Actor{Username: id.Username, Admin: id.IsAdmin})
}
