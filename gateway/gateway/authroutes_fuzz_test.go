package gateway

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
)

// FuzzDecodeCredentials: the login form decoder (JSON, urlencoded or
// multipart, as DRF's obtain_auth_token) answers any body and content type
// with credentials or a client error, never a panic or a server fault.
func FuzzDecodeCredentials(f *testing.F) {
	f.Add("application/json", `{"username": "admin", "password": "pw"}`)
	f.Add("application/x-www-form-urlencoded", "username=admin&password=pw")
	f.Add("application/x-www-form-urlencoded", "username=%zz&password")
	f.Add("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nadmin\r\n--b--\r\n")
	f.Add("multipart/form-data", "--b\r\n")
	f.Add("text/plain", "username=admin")
	f.Add("application/json", `{"username": 1}`)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest("POST", "/api/auth/token/", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		c, err := decodeCredentials(httptest.NewRecorder(), r)
		if err != nil {
			if s := apierr.KindOf(err).Status(); s < 400 || s >= 500 {
				t.Fatalf("content type %q body %q: status %d for %v", contentType, body, s, err)
			}
			return
		}
		if len(c.Username) > len(body) || len(c.Password) > len(body) {
			t.Fatalf("credentials longer than the body: %+v", c)
		}
	})
}
