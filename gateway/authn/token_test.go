package authn

import (
	"net/http/httptest"
	"testing"

	"github.com/moviesplatform/platform/apierr"
)

func TestTokenFromRequest(t *testing.T) {
	cases := []struct {
		header, token string
		invalid       bool
	}{
		{"", "", false},
		{"Token abc", "abc", false},
		{"token abc", "abc", false},
		{"Bearer abc", "abc", false},
		{"BEARER  abc ", "abc", false},
		{"Basic dXNlcjpwdw==", "", false},
		{"Token", "", true},
		{"Bearer", "", true},
		{"Token a b", "", true},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		tok, err := TokenFromRequest(r)
		if tok != c.token || (err != nil) != c.invalid {
			t.Errorf("%q: got %q, %v", c.header, tok, err)
		}
		if err != nil && (apierr.KindOf(err) != apierr.Unauthenticated || err.(*apierr.Error).Header.Get("WWW-Authenticate") == "") {
			t.Errorf("%q: error %v is not a 401 with a challenge", c.header, err)
		}
	}
}
