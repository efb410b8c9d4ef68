// Package authn tells the gateway who is calling: it reads the token from the
// Authorization header and asks auth-svc about it, remembering the answers
// for a few seconds so most requests cost no network round trip.
package authn

import (
	"net/http"
	"strings"

	"github.com/moviesplatform/platform/apierr"
)

// Malformed Authorization headers, with DRF TokenAuthentication's messages.
var (
	errEmptyToken  = withChallenge(apierr.New(apierr.Unauthenticated, "Invalid token header. No credentials provided."))
	errSpacedToken = withChallenge(apierr.New(apierr.Unauthenticated, "Invalid token header. Token string should not contain spaces."))
)

func withChallenge(e *apierr.Error) *apierr.Error {
	return e.WithHeader("WWW-Authenticate", apierr.ErrNotProvided.Header.Get("WWW-Authenticate"))
}

// TokenFromRequest returns the key of an "Authorization: Token <key>" or
// "Bearer <key>" header (schemes case-insensitive), or "" when the request
// carries none. Another scheme is not ours to judge and counts as none, as
// in DRF; a Token/Bearer header without exactly one key is a 401.
func TokenFromRequest(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	fields := strings.Fields(h)
	if len(fields) == 0 || !strings.EqualFold(fields[0], "Token") && !strings.EqualFold(fields[0], "Bearer") {
		return "", nil
	}
	switch len(fields) {
	case 1:
		return "", errEmptyToken
	case 2:
		return fields[1], nil
	default:
		return "", errSpacedToken
	}
}
