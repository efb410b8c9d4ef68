package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/servicetoken"
)

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, contentType, body string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", serviceKeys(t).Header(callerOf(req), auth.ServiceName, servicetoken.Actor{}))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, strings.TrimSpace(string(b))}
}

func (r reply) want(t *testing.T, status int, body string) {
	t.Helper()
	if r.status != status || (body != "" && r.body != body) {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, body)
	}
}

func tokenOf(t *testing.T, r reply) string {
	t.Helper()
	r.want(t, http.StatusOK, "")
	var tok contract.TokenResponse
	if err := json.Unmarshal([]byte(r.body), &tok); err != nil || !tokenShape.MatchString(tok.Token) {
		t.Fatalf("login body %s: %v", r.body, err)
	}
	if cc, pragma := r.header.Get("Cache-Control"), r.header.Get("Pragma"); cc != "no-store" || pragma != "no-cache" {
		t.Fatalf("a token answer with Cache-Control %q, Pragma %q: a cache may keep it", cc, pragma)
	}
	return tok.Token
}

const jsonType = "application/json"

func TestHTTPLogin(t *testing.T) {
	f := sqlite(t, auth.Options{})
	mustCreateUser(t, f.basic, "alice", "correct horse", true)
	srv := serve(t, f.basic)
	login := srv.URL + contract.RouteAuthToken

	t.Run("JSON", func(t *testing.T) {
		tokenOf(t, do(t, "POST", login, jsonType, `{"username":"alice","password":"correct horse"}`))
	})
	t.Run("urlencoded form, without trailing slash", func(t *testing.T) {
		form := url.Values{"username": {"alice"}, "password": {"correct horse"}}.Encode()
		tokenOf(t, do(t, "POST", strings.TrimSuffix(login, "/"), "application/x-www-form-urlencoded", form))
	})
	t.Run("multipart form", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("username", "alice")
		_ = mw.WriteField("password", "correct horse")
		_ = mw.Close()
		tokenOf(t, do(t, "POST", login, mw.FormDataContentType(), body.String()))
	})
	t.Run("wrong credentials: DRF's body", func(t *testing.T) {
		do(t, "POST", login, jsonType, `{"username":"alice","password":"nope nope"}`).
			want(t, 400, `{"non_field_errors":["Unable to log in with provided credentials."]}`)
	})
	t.Run("missing fields", func(t *testing.T) {
		do(t, "POST", login, jsonType, `{}`).
			want(t, 400, `{"password":["This field is required."],"username":["This field is required."]}`)
		do(t, "POST", login, "application/x-www-form-urlencoded", "username=alice").
			want(t, 400, `{"password":["This field is required."]}`)
	})
	t.Run("bad bodies are 4xx", func(t *testing.T) {
		do(t, "POST", login, jsonType, `{"username":`).want(t, 400, "")
		do(t, "POST", login, jsonType, `{"username":1,"password":"x"}`).want(t, 400, `{"username":["Not a valid string."]}`)
		do(t, "POST", login, "text/plain", `username=alice`).want(t, 415, "")
		do(t, "POST", login, jsonType, `{"username":"`+strings.Repeat("a", 70<<10)+`"}`).want(t, 413, "")
		do(t, "GET", login, "", "").want(t, 405, "")
	})
}

func TestHTTPThrottle(t *testing.T) {
	f := sqlite(t, auth.Options{ClientThrottle: auth.ThrottleRule{Burst: 1, Every: time.Minute}})
	srv := serve(t, f.basic)
	login := srv.URL + contract.RouteAuthToken
	// The gateway names the end client in X-Forwarded-For.
	do(t, "POST", login, jsonType, `{"username":"x","password":"guess1234"}`, "X-Forwarded-For", "198.51.100.7").want(t, 400, "")
	r := do(t, "POST", login, jsonType, `{"username":"y","password":"guess1234"}`, "X-Forwarded-For", "198.51.100.7")
	r.want(t, 429, `{"detail":"Request was throttled."}`)
	if r.header.Get("Retry-After") != "60" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	do(t, "POST", login, jsonType, `{"username":"y","password":"guess1234"}`, "X-Forwarded-For", "198.51.100.8").want(t, 400, "")
	// Unnamed clients do not share one bucket (the peer is the gateway).
	for _, name := range []string{"p", "q", "r"} {
		do(t, "POST", login, jsonType, `{"username":"`+name+`","password":"guess1234"}`).want(t, 400, "")
	}
}

func TestHTTPTokens(t *testing.T) {
	f := sqlite(t, auth.Options{})
	mustCreateUser(t, f.basic, "bob", "correct horse", false)
	srv := serve(t, f.basic)
	introspect := srv.URL + contract.RouteInternalIntrospect
	token := mustLogin(t, f.basic, "bob", "correct horse")

	do(t, "POST", introspect, jsonType, `{"token":"`+token+`"}`).want(t, 200, `{"username":"bob","is_admin":false}`)
	for _, bad := range []string{`{"token":"nope"}`, `{}`, `{"token":"` + strings.Repeat("a", 40) + `"}`} {
		r := do(t, "POST", introspect, jsonType, bad)
		r.want(t, 401, `{"detail":"Invalid token."}`)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Token") {
			t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
		}
	}

	revoke := srv.URL + contract.RouteInternalRevoke
	do(t, "POST", revoke, jsonType, `{}`).want(t, 401, `{"detail":"Invalid token."}`)
	do(t, "POST", revoke, jsonType, `{"token":"`+token+`"}`).want(t, 204, "")
	do(t, "POST", revoke, jsonType, `{"token":"`+token+`"}`).want(t, 401, `{"detail":"Invalid token."}`)
	do(t, "POST", introspect, jsonType, `{"token":"`+token+`"}`).want(t, 401, "")

	// The user's token in Authorization, where it used to travel, is not
	// a service credential.
	second := mustLogin(t, f.basic, "bob", "correct horse")
	r := do(t, "POST", revoke, jsonType, `{"token":"`+second+`"}`, "Authorization", "Token "+second)
	r.want(t, 401, `{"detail":"Service credentials were not provided."}`)
	do(t, "POST", introspect, jsonType, `{"token":"`+second+`"}`).want(t, 200, "")
}

func TestHTTPCreateUser(t *testing.T) {
	srv := serve(t, sqlite(t, auth.Options{}).basic)
	users := srv.URL + contract.RouteAuthUsers
	do(t, "POST", users, jsonType, `{"username":"carol","password":"correct horse","is_admin":true}`).
		want(t, 201, `{"id":1,"username":"carol","is_admin":true,"is_active":true}`)
	do(t, "POST", users, jsonType, `{"username":"Carol","password":"correct horse"}`).
		want(t, 400, `{"username":["A user with that username already exists."]}`)
	do(t, "POST", users, jsonType, `{"username":"dave"}`).want(t, 400, `{"password":["This field is required."]}`)
	do(t, "POST", users, jsonType, `{"username":"dave","password":"correct horse","is_admin":"yes"}`).
		want(t, 400, `{"is_admin":["Must be a valid boolean."]}`)
}

// TestClientErrorsAcrossTheWire checks the errors the gateway branches on
// survive the HTTP round trip, headers included.
func TestClientErrorsAcrossTheWire(t *testing.T) {
	f := sqlite(t, auth.Options{UserThrottle: auth.ThrottleRule{Burst: 1, Every: time.Minute}})
	c := remote(t, f.basic)
	ctx := context.Background()
	_, err := c.Login(ctx, contract.Credentials{Username: "ghost", Password: "guess1234"})
	if !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("bad credentials: %v", err)
	}
	_, err = c.Login(ctx, contract.Credentials{Username: "ghost", Password: "guess1234"})
	var e *apierr.Error
	if !errors.Is(err, auth.ErrThrottled) || !errors.As(err, &e) || e.Header.Get("Retry-After") == "" {
		t.Fatalf("throttled: %v", err)
	}
	_, err = c.Introspect(ctx, strings.Repeat("b", 40))
	if !errors.Is(err, auth.ErrInvalidToken) || !errors.As(err, &e) || e.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("invalid token: %v", err)
	}
	if _, err := auth.NewHTTPClient("not a url", nil); err == nil {
		t.Fatal("a bad base URL was accepted")
	}
}

// TestClientForwardsClientAddr checks that a caller (the gateway) naming the
// end client in the context gets per-client throttling across the wire.
func TestClientForwardsClientAddr(t *testing.T) {
	f := sqlite(t, auth.Options{ClientThrottle: auth.ThrottleRule{Burst: 1, Every: time.Minute}})
	c := remote(t, f.basic)
	one := auth.ContextWithClientAddr(context.Background(), "203.0.113.1")
	two := auth.ContextWithClientAddr(context.Background(), "203.0.113.2")
	if _, err := c.Login(one, contract.Credentials{Username: "a", Password: "guess1234"}); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatal(err)
	}
	if _, err := c.Login(one, contract.Credentials{Username: "b", Password: "guess1234"}); !errors.Is(err, auth.ErrThrottled) {
		t.Fatalf("same client: %v", err)
	}
	if _, err := c.Login(two, contract.Credentials{Username: "b", Password: "guess1234"}); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("other client: %v", err)
	}
}
