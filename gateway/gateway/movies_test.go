package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/moviesplatform/platform/apierr"
	"github.com/moviesplatform/platform/contract"

	"github.com/moviesplatform/auth-svc/auth/authtest"
)

func TestReadsWithAndWithoutTrailingSlash(t *testing.T) {
	f := newFixture(t, 10)
	for _, path := range []string{"/api/movies/", "/api/movies", "/api/movie/3/", "/api/movie/3"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			w := f.do(t, req{method: method, path: path})
			wantStatus(t, w, http.StatusOK)
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s %s: content type %q", method, path, ct)
			}
		}
	}
	m := decode[contract.Movie](t, f.do(t, req{method: http.MethodGet, path: "/api/movie/3"}))
	if m.ID != 3 {
		t.Fatalf("got movie %d", m.ID)
	}
}

func TestDetailBodyIsTheSeedShape(t *testing.T) {
	f := newFixture(t, 0)
	created := f.do(t, req{method: http.MethodPost, path: "/api/movies/", token: authtest.AdminToken,
		body: `{"id": 10, "name": "Psycho", "director": "Alfred Hitchcock", "popularity": 87, "imdb_score": 8.7,
		        "genre": [{"name": "Horror"}, {"name": "Mystery"}, {"name": "Thriller"}]}`})
	wantStatus(t, created, http.StatusCreated)
	want := `{"id":1,"name":"Psycho","director":"Alfred Hitchcock","popularity":87.0,"imdb_score":8.7,` +
		`"genre":[{"name":"Horror"},{"name":"Mystery"},{"name":"Thriller"}]}` + "\n"
	if got := created.Body.String(); got != want {
		t.Fatalf("create body\n%s\nwant\n%s", got, want)
	}
	if got := f.do(t, req{method: http.MethodGet, path: "/api/movie/1/"}).Body.String(); got != want {
		t.Fatalf("detail body\n%s\nwant\n%s", got, want)
	}
}

func TestMovieIDsThatNameNoMovieAre404(t *testing.T) {
	f := newFixture(t, 3)
	for _, path := range []string{"/api/movie/0/", "/api/movie/-1/", "/api/movie/abc/", "/api/movie/+2/",
		"/api/movie/1.5/", "/api/movie/99999999999999999999/", "/api/movie/4/", "/api/movie//"} {
		w := f.do(t, req{method: http.MethodGet, path: path})
		wantDetail(t, w, http.StatusNotFound, apierr.MsgNotFound)
	}
	// Writes check the caller first: an anonymous write to a bad id is 401, an
	// admin's is 404.
	wantStatus(t, f.do(t, req{method: http.MethodDelete, path: "/api/movie/abc/"}), http.StatusUnauthorized)
	wantDetail(t, f.do(t, req{method: http.MethodDelete, path: "/api/movie/abc/", token: authtest.AdminToken}),
		http.StatusNotFound, apierr.MsgNotFound)
	wantDetail(t, f.do(t, req{method: http.MethodPut, path: "/api/movie/42/", token: authtest.AdminToken, body: `{"name":"x"}`}),
		http.StatusNotFound, apierr.MsgNotFound)
}

func TestUnknownPathIs404InDRFShape(t *testing.T) {
	f := newFixture(t, 1)
	for _, path := range []string{"/", "/api/", "/api/moviez/", "/api/movie/", "/api/movies/1/", "/api/auth/"} {
		wantDetail(t, f.do(t, req{method: http.MethodGet, path: path}), http.StatusNotFound, apierr.MsgNotFound)
	}
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	f := newFixture(t, 1)
	cases := map[string]struct{ method, allow string }{
		"/api/movies/":      {http.MethodDelete, "GET, HEAD, OPTIONS, POST"},
		"/api/movie/1/":     {http.MethodPost, "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"},
		"/api/movie/1":      {http.MethodPost, "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"},
		"/api/auth/token/":  {http.MethodGet, "DELETE, OPTIONS, POST"},
		"/api/auth/me/":     {http.MethodPost, "GET, HEAD, OPTIONS"},
		"/api/auth/users/":  {http.MethodPut, "GET, HEAD, OPTIONS, POST"},
		"/api/auth/tokens/": {http.MethodPost, "GET, HEAD, OPTIONS"},
		"/api/openapi.json": {http.MethodPost, "GET, HEAD, OPTIONS"},
	}
	for path, c := range cases {
		w := f.do(t, req{method: c.method, path: path, token: authtest.AdminToken})
		wantStatus(t, w, http.StatusMethodNotAllowed)
		if got := w.Header().Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, path, got, c.allow)
		}
		if d, _ := decode[map[string]any](t, w)["detail"].(string); !strings.Contains(d, c.method) {
			t.Errorf("%s %s: detail %q", c.method, path, d)
		}
	}
}

func TestWritesNeedAnAdmin(t *testing.T) {
	f := newFixture(t, 3)
	writes := []req{
		{method: http.MethodPost, path: "/api/movies/", body: `{"name": "King Kong"}`},
		{method: http.MethodPut, path: "/api/movie/1/", body: `{"name": "King Kong"}`},
		{method: http.MethodPatch, path: "/api/movie/1/", body: `{"name": "King Kong"}`},
		{method: http.MethodDelete, path: "/api/movie/1/"},
		{method: http.MethodPost, path: "/api/auth/users/", body: `{"username": "bob", "password": "pw"}`},
	}
	for _, r := range writes {
		w := f.do(t, r)
		wantDetail(t, w, http.StatusUnauthorized, apierr.MsgNotProvided)
		if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Token") {
			t.Errorf("%s %s: WWW-Authenticate %q", r.method, r.path, w.Header().Get("WWW-Authenticate"))
		}
		r.token = "no-such-token"
		w = f.do(t, r)
		wantDetail(t, w, http.StatusUnauthorized, apierr.MsgInvalidToken)
		if w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: no WWW-Authenticate", r.method, r.path)
		}
		r.token = authtest.UserToken
		wantDetail(t, f.do(t, r), http.StatusForbidden, apierr.MsgForbidden)
	}
	if len(f.catalog.Actors) != 0 {
		t.Fatalf("refused writes reached the catalog: %v", f.catalog.Actors)
	}
}

func TestAdminWritesReachTheCatalogWithTheActor(t *testing.T) {
	f := newFixture(t, 3, behindProxy)
	w := f.do(t, req{method: http.MethodPost, path: "/api/movies/", token: authtest.AdminToken,
		body:   `{"id": 99, "name": "King Kong", "director": "Merian C. Cooper", "popularity": 80.0, "imdb_score": 8.0, "genre": [{"name": "Adventure"}]}`,
		header: http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"movies.example"}}})
	wantStatus(t, w, http.StatusCreated)
	m := decode[contract.Movie](t, w)
	if m.ID != 4 || m.Name != "King Kong" {
		t.Fatalf("created %+v", m)
	}
	if loc := w.Header().Get("Location"); loc != "https://movies.example/api/movie/4/" {
		t.Fatalf("Location %q", loc)
	}

	w = f.do(t, req{method: http.MethodPut, path: "/api/movie/4", token: authtest.AdminToken,
		body: `{"name": "King Kong Part 2", "director": "Merian C. Cooper", "popularity": 85.0, "imdb_score": 8.5, "genre": []}`})
	wantStatus(t, w, http.StatusOK)
	if m := decode[contract.Movie](t, w); m.Name != "King Kong Part 2" || m.Popularity != 85 {
		t.Fatalf("replaced %+v", m)
	}
	w = f.do(t, req{method: http.MethodPatch, path: "/api/movie/4/", token: authtest.AdminToken, body: `{"imdb_score": 9.1}`})
	wantStatus(t, w, http.StatusOK)
	if m := decode[contract.Movie](t, w); m.Name != "King Kong Part 2" || m.IMDBScore != 9.1 {
		t.Fatalf("patched %+v", m)
	}
	w = f.do(t, req{method: http.MethodDelete, path: "/api/movie/4/", token: authtest.AdminToken})
	wantStatus(t, w, http.StatusNoContent)
	if w.Body.Len() != 0 {
		t.Fatalf("204 with a body: %q", w.Body.String())
	}
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/movie/4/"}), http.StatusNotFound)

	// Bearer works as well as Token.
	w = f.do(t, req{method: http.MethodDelete, path: "/api/movie/3/", header: http.Header{"Authorization": {"Bearer " + authtest.AdminToken}}})
	wantStatus(t, w, http.StatusNoContent)

	for i, a := range f.catalog.Actors {
		if a != "admin" {
			t.Fatalf("write %d recorded actor %q", i, a)
		}
	}
	if len(f.catalog.Actors) != 5 {
		t.Fatalf("%d writes recorded", len(f.catalog.Actors))
	}
}

// Only admins write, so only their reads may need the primary: the catalog
// hears the actor of an admin's reads and of nobody else's.
func TestOnlyAdminReadsCarryTheActor(t *testing.T) {
	f := newFixture(t, 3)
	for _, token := range []string{"", authtest.UserToken, authtest.AdminToken} {
		wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/movie/1/", token: token}), http.StatusOK)
		wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/movies/", token: token}), http.StatusOK)
	}
	want := []string{"", "", "", "", "admin", "admin"}
	if !slices.Equal(f.catalog.ReadActors, want) {
		t.Fatalf("read actors %q, want %q (anonymous, user, admin; detail then list)", f.catalog.ReadActors, want)
	}
}

func TestBadBodies(t *testing.T) {
	f := newFixture(t, 3)
	admin := authtest.AdminToken
	huge := `{"name": "` + strings.Repeat("x", 70<<10) + `"}`
	cases := []struct {
		name   string
		r      req
		status int
	}{
		{"text/plain", req{method: http.MethodPost, path: "/api/movies/", body: `{"name":"x"}`, contentType: "text/plain"}, 415},
		{"no content type", req{method: http.MethodPatch, path: "/api/movie/1/", body: `{"name":"x"}`, header: http.Header{"Content-Type": {""}}}, 415},
		{"too large", req{method: http.MethodPost, path: "/api/movies/", body: huge}, 413},
		{"malformed", req{method: http.MethodPost, path: "/api/movies/", body: `{"name": `}, 400},
		{"not an object", req{method: http.MethodPut, path: "/api/movie/1/", body: `[1, 2]`}, 400},
		{"wrong type", req{method: http.MethodPatch, path: "/api/movie/1/", body: `{"popularity": "high"}`}, 400},
		{"trailing data", req{method: http.MethodPost, path: "/api/movies/", body: `{"name":"x"} {}`}, 400},
		{"missing name", req{method: http.MethodPost, path: "/api/movies/", body: `{"director":"x"}`}, 400},
		{"user: not json", req{method: http.MethodPost, path: "/api/auth/users/", body: `u=1`, contentType: "application/x-www-form-urlencoded"}, 415},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.token = admin
			w := f.do(t, c.r)
			wantStatus(t, w, c.status)
			body := decode[map[string]any](t, w)
			if len(body) == 0 {
				t.Fatalf("empty error body")
			}
		})
	}
	if m := decode[map[string][]string](t, f.do(t, req{method: http.MethodPost, path: "/api/movies/", token: admin, body: `{"director":"x"}`})); m["name"][0] != apierr.MsgRequired {
		t.Fatalf("validation body %v", m)
	}
	if len(f.catalog.Actors) != 0 {
		t.Fatalf("bad bodies changed the catalog: %v", f.catalog.Actors)
	}
}

func TestBadListQueriesAre400PerField(t *testing.T) {
	f := newFixture(t, 3)
	w := f.do(t, req{method: http.MethodGet, path: "/api/movies/?page_size=0&ordering=budget&imdb_score_min=x"})
	wantStatus(t, w, http.StatusBadRequest)
	body := decode[map[string][]string](t, w)
	for _, k := range []string{"page_size", "ordering", "imdb_score_min"} {
		if len(body[k]) == 0 {
			t.Errorf("no message for %s in %v", k, body)
		}
	}
	wantStatus(t, f.do(t, req{method: http.MethodGet, path: "/api/movies/?cursor=garbage"}), http.StatusBadRequest)
}
