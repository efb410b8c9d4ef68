package servicetoken

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/httpx"
	"github.com/moviesplatform/platform/logging"
)

type callerKey struct{}
type actorKey struct{}

// WithCaller records a verified caller (and its actor, see WithActor).
func WithCaller(ctx context.Context, c Caller) context.Context {
	ctx = logging.WithAttrs(ctx, slog.String("caller", c.Service))
	ctx = context.WithValue(ctx, callerKey{}, c)
	if c.Actor.Username != "" {
		ctx = WithActor(ctx, c.Actor)
	}
	return ctx
}

// CallerOf returns the verified caller of the request ctx serves, if any.
// In-process calls have none: they are authenticated by construction.
func CallerOf(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// WithActor records the user a call is made for: the gateway sets it from a
// token it verified with auth-svc, a service from a verified credential
// (WithCaller), never from a header.
func WithActor(ctx context.Context, a Actor) context.Context {
	ctx = logging.WithAttrs(ctx, slog.String("actor", a.Username))
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor stored by WithActor, the zero Actor when none.
func ActorOf(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// The challenge of every refusal, RFC 6750's: clients of a service (the
// Transport below) tell a refused service credential from a user's refused
// token (WWW-Authenticate: Token) by its realm.
const (
	realm            = `Bearer realm="movies-internal"`
	challengeInvalid = realm + `, error="invalid_token"`
	challengeScope   = realm + `, error="insufficient_scope"`
)

// Refusals of the middleware; every bad credential is the same 401, the
// reason only logged.
var (
	ErrNoCredentials  = apierr.New(apierr.Unauthenticated, "Service credentials were not provided.").WithHeader("WWW-Authenticate", realm)
	ErrBadCredentials = apierr.New(apierr.Unauthenticated, "Invalid service credentials.").WithHeader("WWW-Authenticate", challengeInvalid)
	ErrCallerRefused  = apierr.New(apierr.Forbidden, "This service may not call this route.").WithHeader("WWW-Authenticate", challengeScope)
	ErrActorRefused   = apierr.New(apierr.Forbidden, apierr.MsgForbidden).WithHeader("WWW-Authenticate", challengeScope)
)

// Policy is who may call one route.
type Policy struct {
	// Callers are the issuers allowed (services, or Operator).
	Callers []string
	// Admin, when set, also requires an admin actor, except from Operator,
	// whose credential is a person's own.
	Admin bool
}

// Allow lets callers call the route, for any actor or none.
func Allow(callers ...string) Policy { return Policy{Callers: callers} }

// AllowAdmin lets callers call the route for an admin actor only (and the
// operator in person).
func AllowAdmin(callers ...string) Policy { return Policy{Callers: callers, Admin: true} }

// Guard authenticates the callers of one service's routes and authorises
// each route by its Policy.
type Guard struct {
	verifier *Verifier
	log      *slog.Logger
}

// NewGuard guards routes with v; refusals are logged on log at warn, with
// their reason.
func NewGuard(v *Verifier, log *slog.Logger) *Guard {
	if log == nil {
		log = logging.Discard()
	}
	return &Guard{verifier: v, log: log}
}

// Require is the middleware of one route: the request must carry
// "Authorization: Bearer <token>" for this service from a caller p allows
// (401 without or with a bad credential, 403 for a caller or actor p
// refuses); the handler then finds the caller in its context (CallerOf) and
// the actor it acts for (ActorOf).
func (g *Guard) Require(p Policy) httpx.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			caller, err := g.authenticate(r)
			if err == nil {
				err = p.authorize(caller)
			}
			if err != nil {
				g.log.WarnContext(r.Context(), "internal call refused", "method", r.Method, "path", r.URL.Path,
					"caller", caller.Service, "actor", caller.Actor.Username, "error", err)
				apierr.Encode(r.Context(), err, w)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), caller)))
		})
	}
}

func (g *Guard) authenticate(r *http.Request) (Caller, error) {
	h := r.Header.Get("Authorization")
	scheme, raw, ok := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") {
		return Caller{}, ErrNoCredentials
	}
	if !ok || raw == "" {
		return Caller{}, ErrBadCredentials
	}
	c, err := g.verifier.Verify(raw)
	if err != nil {
		return Caller{}, ErrBadCredentials.Wrap(err)
	}
	return c, nil
}

func (p Policy) authorize(c Caller) error {
	if !slices.Contains(p.Callers, c.Service) {
		return ErrCallerRefused.Wrap(fmt.Errorf("caller %q not in %v", c.Service, p.Callers))
	}
	if p.Admin && c.Service != Operator && !c.Actor.Admin {
		return ErrActorRefused.Wrap(fmt.Errorf("actor %q is not an admin", c.Actor.Username))
	}
	return nil
}

// Transport presents signer's tokens for audience on every request through
// base, acting for the request context's actor (WithActor). A refusal of
// the credential itself (401 or 403 with this package's challenge) is a
// misconfiguration between services, never the end client's fault, so it
// comes back as an error (a 500 to the client, logged) rather than as the
// callee's 401 or 403, which the caller would pass on as the client's.
func (s *Signer) Transport(audience string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{signer: s, audience: audience, base: base}
}

type transport struct {
	signer   *Signer
	audience string
	base     http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := t.signer.Token(t.audience, ActorOf(r.Context()))
	if err != nil {
		return nil, fmt.Errorf("service token for %s: %w", t.audience, err)
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) &&
		strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), realm) {
		resp.Body.Close()
		return nil, fmt.Errorf("%s refused %s's service credential (%d %s)", t.audience, t.signer.issuer, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	return resp, nil
}
