package gateway

import (
	"net/url"

	"github.com/moviesplatform/catalog-svc/catalog"
	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/gateway/cursorsig"
)

// maxSignedCursor bounds what is hashed to verify a cursor: the longest
// cursor a service makes (contract.ParseListQuery's bound), its issuer's tag
// and the signature.
const maxSignedCursor = 1024 + 2 + cursorsig.Overhead

// Every cursor the gateway hands out (Link headers, the search answer's
// next and prev) is signed by it, and every one a client sends is verified
// before anything reads it: a cursor the gateway did not make is the
// contract's 400, the same as a malformed one, and reaches no service.

// verifyCursor returns the cursor signed in v's cursor parameter, and sets
// the parameter to it; "" when there is none.
func (g *Gateway) verifyCursor(scope cursorsig.Scope, v url.Values) (string, error) {
	signed := v.Get(contract.ParamCursor)
	if signed == "" {
		return "", nil
	}
	c, ok := "", false
	if len(signed) <= maxSignedCursor {
		c, ok = g.cursors.Verify(scope, signed)
	}
	if !ok {
		return "", catalog.ErrInvalidCursor
	}
	v.Set(contract.ParamCursor, c)
	return c, nil
}

// parseList parses the list's parameters in v: the cursor verified and
// without its issuer's tag in q, as the client sent it in signed.
func (g *Gateway) parseList(v url.Values) (q contract.ListQuery, from issuer, signed string, err error) {
	signed = v.Get(contract.ParamCursor)
	c, err := g.verifyCursor(cursorsig.ScopeList, v)
	if err != nil {
		return contract.ListQuery{}, noCursor, "", err
	}
	from, raw := splitCursor(c)
	if from != noCursor {
		v.Set(contract.ParamCursor, raw)
	}
	q, err = contract.ParseListQuery(v)
	return q, from, signed, err
}

// parseSearch parses GET /api/search/'s parameters in v, the cursor verified.
func (g *Gateway) parseSearch(v url.Values) (contract.SearchQuery, error) {
	if _, err := g.verifyCursor(cursorsig.ScopeSearch, v); err != nil {
		return contract.SearchQuery{}, err
	}
	return contract.ParseSearchQuery(v)
}

// signCursors signs the cursors of a page the gateway hands out.
func (g *Gateway) signCursors(scope cursorsig.Scope, next, prev *string) {
	*next = g.cursors.Sign(scope, *next)
	*prev = g.cursors.Sign(scope, *prev)
}
