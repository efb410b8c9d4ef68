package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// response is a finished HTTP exchange.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// do is callContext that fails the test when the request cannot be made.
func do(t testing.TB, method, url, token string, body any, headers ...string) response {
	t.Helper()
	r, err := callContext(context.Background(), method, url, token, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func expectStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body %s", r.Status, want, r.Body)
	}
}

// login returns a token for the user.
func login(t testing.TB, base, username, password string) string {
	t.Helper()
	r := do(t, http.MethodPost, base+"/api/auth/token/", "", map[string]string{"username": username, "password": password})
	expectStatus(t, r, http.StatusOK)
	var tok struct{ Token string }
	r.JSON(t, &tok)
	if len(tok.Token) < 40 {
		t.Fatalf("token %q is too short", tok.Token)
	}
	return tok.Token
}

// call is do for goroutines: it returns what went wrong instead of failing
// the test from outside its goroutine.
func call(method, url, token string, body any, headers ...string) (response, error) {
	return callContext(context.Background(), method, url, token, body, headers...)
}

// callContext is call bounded by ctx; body may be nil, a string or bytes
// (sent as is) or a value (sent as JSON). An empty token sends no
// Authorization header (an anonymous client).
func callContext(ctx context.Context, method, url, token string, body any, headers ...string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, err
}
