package gateway_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/moviesplatform/auth-svc/auth/authtest"
	"github.com/moviesplatform/platform/contract"
)

// TestConditionalWritesThroughTheGateway: the detail's ETag is the movie's
// version, a write's answer carries the new one, If-Match reaches the
// catalog (412 for a stale tag, changing nothing), a bad one is a 400, and
// If-None-Match revalidates against the version tag.
func TestConditionalWritesThroughTheGateway(t *testing.T) {
	f := newFixture(t, 3)
	admin := func(method, ifMatch, body string) req {
		r := req{method: method, path: "/api/movie/2/", body: body, token: authtest.AdminToken}
		if ifMatch != "" {
			r.header = http.Header{contract.HeaderIfMatch: {ifMatch}}
		}
		return r
	}
	v1 := f.do(t, get("/api/movie/2/")).Header().Get(contract.HeaderETag)
	if v1 != contract.MovieETag(2, 1) {
		t.Fatalf("detail ETag %q, want the version's", v1)
	}
	w := f.do(t, admin(http.MethodPatch, v1, `{"imdb_score": 2.5}`))
	wantStatus(t, w, http.StatusOK)
	v2 := w.Header().Get(contract.HeaderETag)
	if v2 != contract.MovieETag(2, 2) {
		t.Fatalf("write answer ETag %q", v2)
	}
	wantStatus(t, f.do(t, admin(http.MethodPut, v1, `{"name": "lost"}`)), http.StatusPreconditionFailed)
	wantStatus(t, f.do(t, admin(http.MethodDelete, "W/"+v2, "")), http.StatusPreconditionFailed)
	w = f.do(t, admin(http.MethodPatch, "2-2", `{"imdb_score": 1}`))
	wantStatus(t, w, http.StatusBadRequest)
	if m, _ := f.catalog.Get(t.Context(), 2); m.IMDBScore != 2.5 || m.Version != 2 {
		t.Fatalf("refused writes changed the movie: %+v", m)
	}
	w = f.do(t, req{method: http.MethodGet, path: "/api/movie/2/", header: http.Header{"If-None-Match": {v2}}})
	wantStatus(t, w, http.StatusNotModified)
	wantStatus(t, f.do(t, admin(http.MethodDelete, v2, "")), http.StatusNoContent)
}

// TestIdempotencyKeyReachesTheCatalog: a valid key is passed on with the
// create; a malformed one is a 400 and creates nothing.
func TestIdempotencyKeyReachesTheCatalog(t *testing.T) {
	f := newFixture(t, 1)
	create := func(key string) req {
		return req{method: http.MethodPost, path: "/api/movies/", token: authtest.AdminToken,
			body: `{"name": "Key Largo", "popularity": 70, "imdb_score": 7.8}`, header: http.Header{contract.HeaderIdempotencyKey: {key}}}
	}
	w := f.do(t, create(`"retry-me-1"`))
	wantStatus(t, w, http.StatusCreated)
	if tag := w.Header().Get(contract.HeaderETag); tag != contract.MovieETag(2, 1) {
		t.Fatalf("create ETag %q", tag)
	}
	for _, bad := range []string{"", "two words", "caf\u00e9"} {
		wantStatus(t, f.do(t, create(bad)), http.StatusBadRequest)
	}
	if !slices.Equal(f.catalog.IdempotencyKeys, []string{"retry-me-1"}) {
		t.Fatalf("catalog saw keys %q", f.catalog.IdempotencyKeys)
	}
}
