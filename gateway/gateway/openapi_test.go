package gateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/auth-svc/auth"
	"github.com/moviesplatform/auth-svc/auth/authtest"
)

// documented lists the document's operations: path → lower-case methods.
func documented(t *testing.T) map[string][]string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(contract.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for path, item := range doc.Paths {
		for k := range item {
			if slices.Contains([]string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}, k) {
				out[path] = append(out[path], k)
			}
		}
	}
	return out
}

func TestOpenAPIDocumentIsValid31(t *testing.T) {
	doc, err := libopenapi.NewDocument(contract.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("version %q, want 3.1", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("building the validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.FieldPath)
			}
		}
	}
}

func TestEveryRouteIsDocumented(t *testing.T) {
	doc := documented(t)
	f := newFixture(t, 1)
	for pattern, methods := range f.gw.Routes() {
		for _, m := range methods {
			if m == http.MethodHead || m == http.MethodOptions {
				continue // implied by GET, and by every path
			}
			if !slices.Contains(doc[pattern], strings.ToLower(m)) {
				t.Errorf("%s %s is served but not documented", m, pattern)
			}
		}
	}
}

// requestBodies are valid bodies for the documented operations that take one.
var requestBodies = map[string]struct{ body, contentType string }{
	"POST /api/movies/":           {`{"name": "King Kong", "director": "Merian C. Cooper", "popularity": 80.0, "imdb_score": 8.0, "genre": [{"name": "Adventure"}]}`, "application/json"},
	"PUT /api/movie/{id}/":        {`{"name": "King Kong Part 2", "director": "Merian C. Cooper", "popularity": 85.0, "imdb_score": 8.5, "genre": []}`, "application/json"},
	"PATCH /api/movie/{id}/":      {`{"imdb_score": 9.1}`, "application/json"},
	"POST /api/auth/token/":       {`{"username": "alice", "password": "alice-pass"}`, "application/json"},
	"POST /api/auth/users/":       {`{"username": "bob", "password": "long-enough-1", "is_admin": false}`, "application/json"},
	"PATCH /api/auth/users/{id}/": {`{"is_admin": true}`, "application/json"},
}

// TestEveryDocumentedOperationAnswers calls every documented operation as an
// admin with a valid body: each must be routed (no 404/405), succeed, and
// answer what the document says (status, headers, body schema).
func TestEveryDocumentedOperationAnswers(t *testing.T) {
	doc, err := libopenapi.NewDocument(contract.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for path, methods := range documented(t) {
		for _, m := range methods {
			op := strings.ToUpper(m) + " " + path
			t.Run(op, func(t *testing.T) {
				f := newFixture(t, 3, withSearch(t)) // fresh: the DELETE must not disturb the others
				target := strings.ReplaceAll(path, "{id}", "2")
				if path == contract.RouteAuthTokenByID { // one of the admin's own
					target = contract.TokenPath(auth.TokenIDOfHash(auth.HashToken(authtest.AdminToken)))
				}
				b := requestBodies[op]
				w := f.do(t, req{method: strings.ToUpper(m), path: target, body: b.body, contentType: b.contentType, token: authtest.AdminToken})
				if w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed || w.Code >= 300 {
					t.Fatalf("%s answered %d: %s", op, w.Code, w.Body.String())
				}
				hr := httptest.NewRequest(strings.ToUpper(m), target, strings.NewReader(b.body))
				if b.contentType != "" {
					hr.Header.Set("Content-Type", b.contentType)
				}
				if ok, verrs := v.ValidateHttpResponse(hr, w.Result()); !ok {
					for _, e := range verrs {
						t.Errorf("response does not match the document: %s: %s", e.Message, e.Reason)
					}
				}
			})
		}
	}
}

func TestEveryDocumentedErrorBodyMatches(t *testing.T) {
	doc, err := libopenapi.NewDocument(contract.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := validator.NewValidator(doc)
	f := newFixture(t, 3)
	for _, r := range []req{
		{method: http.MethodGet, path: "/api/movie/99/"},
		{method: http.MethodGet, path: "/api/movies/?page_size=0"},
		{method: http.MethodGet, path: "/api/auth/me/"},
		{method: http.MethodPost, path: "/api/movies/", body: `{"name": "x"}`, token: authtest.UserToken},
		{method: http.MethodPost, path: "/api/movies/", body: `{"name": "x"}`},
		{method: http.MethodPost, path: "/api/movies/", body: `{`, token: authtest.AdminToken},
		{method: http.MethodPost, path: "/api/movies/", body: `{}`, contentType: "text/plain", token: authtest.AdminToken},
		{method: http.MethodPost, path: "/api/auth/token/", body: `{"username": "alice", "password": "wrong"}`},
		{method: http.MethodGet, path: "/api/search/?q=star"}, // no search-svc in this fixture: 503
	} {
		w := f.do(t, r)
		if w.Code < 400 {
			t.Fatalf("%s %s: %d", r.method, r.path, w.Code)
		}
		hr := httptest.NewRequest(r.method, r.path, nil)
		if ok, verrs := v.ValidateHttpResponse(hr, w.Result()); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s → %d: %s: %s", r.method, r.path, w.Code, e.Message, e.Reason)
			}
		}
	}
}

// TestDocsPageIsServedByTheGateway checks the page and its files are wired
// into the gateway; gateway/docs checks what they hold.
func TestDocsPageIsServedByTheGateway(t *testing.T) {
	f := newFixture(t, 0)
	for _, path := range []string{"/api/docs/", "/api/docs", "/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/swagger-ui.css", "/api/docs/assets/page.js"} {
		w := f.do(t, req{method: http.MethodGet, path: path})
		wantStatus(t, w, http.StatusOK)
		if w.Body.Len() == 0 {
			t.Fatalf("%s: empty", path)
		}
	}
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/docs/assets/other.js"}), http.StatusNotFound)

	w := f.do(t, req{method: http.MethodGet, path: "/api/openapi.json"})
	wantStatus(t, w, http.StatusOK)
	if w.Body.String() != string(contract.OpenAPI()) {
		t.Fatal("served document differs from the contract's")
	}
}
