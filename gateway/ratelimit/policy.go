package ratelimit

import (
	"net/http"
	"strings"

	"github.com/moviesplatform/platform/contract"
)

// Policy chooses each request's rule and the key it is counted under.
type Policy struct {
	// Anonymous limits each client address without a token.
	Anonymous Rule
	// User limits each token: a user's requests from anywhere share it.
	User Rule
	// Login limits each client address's logins (POST /api/auth/token/),
	// stricter, on top of auth-svc's throttle of failed ones.
	Login Rule
	// UserAdmin limits each client address's calls to /api/auth/users/.
	UserAdmin Rule
	// ClientAddr is the request's client (clientip.Resolver.ClientAddr).
	ClientAddr func(*http.Request) string
	// Token is the token a request presents, "" for none.
	Token func(*http.Request) string
}

// Rules lists the policy's rules.
func (p Policy) Rules() []Rule { return []Rule{p.Anonymous, p.User, p.Login, p.UserAdmin} }

func (p Policy) classify(r *http.Request) (Rule, string) {
	path := strings.TrimSuffix(r.URL.Path, "/") + "/"
	switch {
	case path == contract.RouteAuthToken && r.Method == http.MethodPost:
		return p.Login, "client:" + p.ClientAddr(r)
	case path == contract.RouteAuthUsers:
		return p.UserAdmin, "client:" + p.ClientAddr(r)
	}
	if token := p.Token(r); token != "" {
		return p.User, TokenKey(token)
	}
	return p.Anonymous, "client:" + p.ClientAddr(r)
}

// Middleware counts every request under policy and refuses those past
// their rule with 429; every answer carries the RateLimit headers.
func (l *Limiter) Middleware(policy Policy) func(http.Handler) http.Handler {
	l.InitPolicies(policy.Rules()...)
	// Each rule's RateLimit-Policy field is the same on every answer.
	policies := map[string]string{}
	for _, r := range policy.Rules() {
		policies[r.Name] = r.policyHeader()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rule, key := policy.classify(r)
			d := l.Allow(r.Context(), rule, key)
			setHeaders(w.Header(), policies[rule.Name], rule.Name, d)
			if !d.Allowed {
				l.refuse(w, r, rule, d)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
