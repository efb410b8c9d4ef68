package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// movie is the seed's JSON shape; decoding it strictly checks field names.
type movie struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	Director   string  `json:"director"`
	Popularity float64 `json:"popularity"`
	IMDBScore  float64 `json:"imdb_score"`
	Genre      []genre `json:"genre"`
}

type genre struct {
	Name string `json:"name"`
}

// reference is one entry of imdb.json.
type reference struct {
	Popularity float64  `json:"99popularity"`
	Director   string   `json:"director"`
	Genre      []string `json:"genre"`
	IMDBScore  float64  `json:"imdb_score"`
	Name       string   `json:"name"`
}

func loadReference(t testing.TB) []reference {
	raw, err := os.ReadFile("../catalog-svc/importer/imdb.json")
	if err != nil {
		t.Fatal(err)
	}
	var refs []reference
	if err := json.Unmarshal(raw, &refs); err != nil {
		t.Fatal(err)
	}
	return refs
}

// TestSeedContract runs the whole suite in each layout on each database
// backend, each with a cluster of its own.
func TestSeedContract(t *testing.T) {
	forEachLayout(t, func(t *testing.T, l layout) {
		for _, b := range sqltest.Backends(t) {
			t.Run(string(b.Driver), func(t *testing.T) {
				catalogDSN, authDSN := b.DSN(t), b.DSN(t)
				if b.Driver == sqldb.SQLite {
					catalogDSN, authDSN = "file:data/catalog.db", "file:data/auth.db"
				}
				c := startCluster(t, l, string(b.Driver), catalogDSN, authDSN)
				runSeedSuite(t, c)
			})
		}
	})
}

func runSeedSuite(t *testing.T, c *cluster) {
	refs := loadReference(t)
	admin := login(t, c.Gateway, adminUser, adminPassword)

	t.Run("list pages through every reference movie once", func(t *testing.T) {
		all := listAll(t, c.Gateway+"/api/movies/?page_size=37")
		if len(all) != len(refs) {
			t.Fatalf("got %d movies, want %d", len(all), len(refs))
		}
		for i, m := range all {
			ref := refs[i]
			if m.ID != int64(i+1) || m.Name != ref.Name || m.Director != ref.Director ||
				m.Popularity != ref.Popularity || m.IMDBScore != ref.IMDBScore {
				t.Fatalf("movie %d = %+v, want %+v", i+1, m, ref)
			}
			for j, g := range m.Genre {
				if g.Name != strings.TrimSpace(ref.Genre[j]) {
					t.Fatalf("movie %d genre %d = %q, want %q", m.ID, j, g.Name, ref.Genre[j])
				}
			}
		}
	})

	t.Run("list without trailing slash and with the total", func(t *testing.T) {
		r := do(t, http.MethodGet, c.Gateway+"/api/movies?page_size=5", "", nil)
		expectStatus(t, r, http.StatusOK)
		if got := r.Header.Get("X-Total-Count"); got != fmt.Sprint(len(refs)) {
			t.Errorf("X-Total-Count = %q, want %d", got, len(refs))
		}
		var page []movie
		r.JSON(t, &page)
		if len(page) != 5 {
			t.Errorf("page has %d movies, want 5", len(page))
		}
		if !strings.Contains(r.Header.Get("Link"), `rel="next"`) {
			t.Errorf("Link = %q, want a next link", r.Header.Get("Link"))
		}
	})

	t.Run("JSON shape is the seed's, floats rendered with a decimal", func(t *testing.T) {
		r := do(t, http.MethodGet, c.Gateway+"/api/movie/2/", "", nil)
		expectStatus(t, r, http.StatusOK)
		var generic map[string]any
		r.JSON(t, &generic)
		keys := slices.Sorted(maps.Keys(generic))
		if want := []string{"director", "genre", "id", "imdb_score", "name", "popularity"}; !slices.Equal(keys, want) {
			t.Fatalf("keys %v, want %v", keys, want)
		}
		if !strings.Contains(string(r.Body), `"popularity":88.0`) {
			t.Errorf("popularity not rendered as 88.0: %s", r.Body)
		}
		if !strings.Contains(string(r.Body), `"genre":[{"name":"Action"},{"name":"Adventure"}`) {
			t.Errorf("genre not a list of {name} in order: %s", r.Body)
		}
	})

	t.Run("search star finds the star titles", func(t *testing.T) {
		// The SQL fallback matches substrings (DRF's SearchFilter); the search
		// engine matches words and word prefixes. Either way every title with
		// a word starting with "star" is found, and nothing without "star".
		var mustFind, mayFind []string
		for _, ref := range refs {
			lower := strings.ToLower(ref.Name)
			if strings.Contains(lower, "star") {
				mayFind = append(mayFind, ref.Name)
			}
			if slices.ContainsFunc(strings.Fields(lower), func(w string) bool { return strings.HasPrefix(w, "star") }) {
				mustFind = append(mustFind, ref.Name)
			}
		}
		got := names(listAll(t, c.Gateway+"/api/movies/?search=star"))
		for _, name := range mustFind {
			if !slices.Contains(got, name) {
				t.Errorf("search=star misses %q (got %v)", name, got)
			}
		}
		for _, name := range got {
			if !slices.Contains(mayFind, name) {
				t.Errorf("search=star found %q, which has no \"star\"", name)
			}
		}
		for _, must := range []string{"Star Wars", "Star Trek"} {
			if !slices.Contains(got, must) {
				t.Errorf("search=star misses %q", must)
			}
		}
		if got := names(listAll(t, c.Gateway+"/api/movies/?search=STAR+wars")); !slices.Contains(got, "Star Wars") || slices.Contains(got, "Star Trek") {
			t.Errorf("search=STAR wars gave %v: every term must match", got)
		}
	})

	t.Run("filters and ordering", func(t *testing.T) {
		got := listAll(t, c.Gateway+"/api/movies/?genre=Sci-Fi&ordering=-popularity,name&imdb_score_min=8")
		if len(got) == 0 {
			t.Fatal("no Sci-Fi movies with score >= 8")
		}
		for i, m := range got {
			if !slices.ContainsFunc(m.Genre, func(g genre) bool { return g.Name == "Sci-Fi" }) || m.IMDBScore < 8 {
				t.Errorf("%+v does not match the filter", m)
			}
			if i > 0 && (got[i-1].Popularity < m.Popularity ||
				got[i-1].Popularity == m.Popularity && got[i-1].Name > m.Name) {
				t.Errorf("not ordered by -popularity,name at %d: %v then %v", i, got[i-1], m)
			}
		}
		r := do(t, http.MethodGet, c.Gateway+"/api/movies/?ordering=budget", "", nil)
		expectStatus(t, r, http.StatusBadRequest)
		r = do(t, http.MethodGet, c.Gateway+"/api/movies/?page_size=0", "", nil)
		expectStatus(t, r, http.StatusBadRequest)
	})

	t.Run("detail, 404 and 405", func(t *testing.T) {
		r := do(t, http.MethodGet, c.Gateway+"/api/movie/4", "", nil)
		expectStatus(t, r, http.StatusOK)
		var m movie
		r.JSON(t, &m)
		if m.Name != "Psycho" || m.Director != "Alfred Hitchcock" {
			t.Errorf("movie 4 = %+v", m)
		}
		for _, path := range []string{"/api/movie/99999/", "/api/movie/abc/", "/api/movie/-1/", "/api/nothing/"} {
			r = do(t, http.MethodGet, c.Gateway+path, "", nil)
			expectStatus(t, r, http.StatusNotFound)
			expectDetail(t, r, "Not found.")
		}
		r = do(t, http.MethodPost, c.Gateway+"/api/movie/4/", admin, `{}`)
		expectStatus(t, r, http.StatusMethodNotAllowed)
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "PUT") || !strings.Contains(allow, "GET") {
			t.Errorf("Allow = %q", allow)
		}
	})

	users := createUser(t, c, admin)

	t.Run("seed create, update, delete need an admin", func(t *testing.T) {
		body := map[string]any{
			"id": 10, "name": "King Kong", "director": "Merian C. Cooper", "popularity": 80.0, "imdb_score": 8.0,
			"genre": []map[string]string{{"name": "Adventure"}, {"name": "Fantasy"}, {"name": "Horror"}},
		}
		r := do(t, http.MethodPost, c.Gateway+"/api/movies/", "", body)
		expectStatus(t, r, http.StatusUnauthorized)
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Token") {
			t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
		}
		expectStatus(t, do(t, http.MethodPost, c.Gateway+"/api/movies/", "not-a-token", body), http.StatusUnauthorized)
		expectStatus(t, do(t, http.MethodPost, c.Gateway+"/api/movies/", users.user, body), http.StatusForbidden)

		r = do(t, http.MethodPost, c.Gateway+"/api/movies/", admin, body)
		expectStatus(t, r, http.StatusCreated)
		var created movie
		r.JSON(t, &created)
		if created.ID == 10 || created.ID <= int64(len(refs)) || created.Name != "King Kong" || len(created.Genre) != 3 {
			t.Fatalf("created %+v: the body's id must be ignored", created)
		}
		loc := r.Header.Get("Location")
		if !strings.HasSuffix(loc, fmt.Sprintf("/api/movie/%d/", created.ID)) {
			t.Errorf("Location = %q", loc)
		}
		detail := fmt.Sprintf("%s/api/movie/%d/", c.Gateway, created.ID)

		update := map[string]any{
			"name": "King Kong Part 2", "director": "Merian C. Cooper", "popularity": 85.0, "imdb_score": 8.5,
			"genre": []map[string]string{{"name": "Adventure"}, {"name": "Thriller"}, {"name": "Horror"}},
		}
		expectStatus(t, do(t, http.MethodPut, detail, "", update), http.StatusUnauthorized)
		expectStatus(t, do(t, http.MethodPut, detail, users.user, update), http.StatusForbidden)
		r = do(t, http.MethodPut, detail, admin, update)
		expectStatus(t, r, http.StatusOK)
		var updated movie
		r.JSON(t, &updated)
		if updated.Name != "King Kong Part 2" || updated.Popularity != 85 || updated.Genre[1].Name != "Thriller" {
			t.Errorf("updated = %+v", updated)
		}

		r = do(t, http.MethodPatch, detail, admin, map[string]any{"imdb_score": 9.1})
		expectStatus(t, r, http.StatusOK)
		var patched movie
		r.JSON(t, &patched)
		if patched.IMDBScore != 9.1 || patched.Name != "King Kong Part 2" {
			t.Errorf("patched = %+v", patched)
		}

		// Bearer works as well as Token.
		r = do(t, http.MethodGet, detail, "", nil, "Authorization", "Bearer "+admin)
		expectStatus(t, r, http.StatusOK)

		expectStatus(t, do(t, http.MethodDelete, detail, "", nil), http.StatusUnauthorized)
		expectStatus(t, do(t, http.MethodDelete, detail, users.user, nil), http.StatusForbidden)
		r = do(t, http.MethodDelete, detail, admin, nil)
		expectStatus(t, r, http.StatusNoContent)
		expectStatus(t, do(t, http.MethodGet, detail, "", nil), http.StatusNotFound)
		expectStatus(t, do(t, http.MethodDelete, detail, admin, nil), http.StatusNotFound)
	})

	t.Run("bad input is a clear 4xx and changes nothing", func(t *testing.T) {
		before := total(t, c)
		cases := []struct {
			name, body, contentType string
			status                  int
			field                   string
		}{
			{"malformed JSON", `{"name": "x",`, "application/json", 400, "detail"},
			{"not an object", `[1,2]`, "application/json", 400, "detail"},
			{"wrong content type", `name=x`, "text/plain", 415, "detail"},
			{"missing name", `{"popularity": 1, "imdb_score": 1}`, "application/json", 400, "name"},
			{"blank name", `{"name": "   ", "popularity": 1, "imdb_score": 1}`, "application/json", 400, "name"},
			{"long name", `{"name": "` + strings.Repeat("x", 256) + `", "popularity": 1, "imdb_score": 1}`, "application/json", 400, "name"},
			{"popularity range", `{"name": "x", "popularity": 101, "imdb_score": 1}`, "application/json", 400, "popularity"},
			{"score range", `{"name": "x", "popularity": 1, "imdb_score": -1}`, "application/json", 400, "imdb_score"},
			{"score type", `{"name": "x", "popularity": 1, "imdb_score": "high"}`, "application/json", 400, "imdb_score"},
			{"empty genre", `{"name": "x", "popularity": 1, "imdb_score": 1, "genre": [{"name": " "}]}`, "application/json", 400, "genre"},
			{"too large", `{"name": "` + strings.Repeat("x", 100<<10) + `"}`, "application/json", 413, "detail"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := doRaw(t, http.MethodPost, c.Gateway+"/api/movies/", admin, tc.body, tc.contentType)
				expectStatus(t, r, tc.status)
				var body map[string]any
				r.JSON(t, &body)
				if _, ok := body[tc.field]; !ok {
					t.Errorf("body %s has no %q", r.Body, tc.field)
				}
			})
		}
		r := doRaw(t, http.MethodPatch, c.Gateway+"/api/movie/1/", admin, `{"popularity": 500}`, "application/json")
		expectStatus(t, r, http.StatusBadRequest)
		r = doRaw(t, http.MethodPut, c.Gateway+"/api/movie/1/", admin, `{"name": "only a name"}`, "application/json")
		expectStatus(t, r, http.StatusBadRequest)
		if after := total(t, c); after != before {
			t.Errorf("bad input changed the catalog: %d movies, was %d", after, before)
		}
		r = do(t, http.MethodGet, c.Gateway+"/api/movie/1/", "", nil)
		var m movie
		r.JSON(t, &m)
		if m.Name != refs[0].Name || m.Popularity != refs[0].Popularity {
			t.Errorf("movie 1 changed by bad input: %+v", m)
		}
	})

	t.Run("conditional writes and idempotent creates", func(t *testing.T) { conditionalSuite(t, c, admin) })

	t.Run("auth endpoints", func(t *testing.T) {
		r := do(t, http.MethodGet, c.Gateway+"/api/auth/me/", admin, nil)
		expectStatus(t, r, http.StatusOK)
		var me struct {
			Username string `json:"username"`
			IsAdmin  bool   `json:"is_admin"`
		}
		r.JSON(t, &me)
		if me.Username != adminUser || !me.IsAdmin {
			t.Errorf("me = %+v", me)
		}
		expectStatus(t, do(t, http.MethodGet, c.Gateway+"/api/auth/me/", "", nil), http.StatusUnauthorized)

		r = do(t, http.MethodPost, c.Gateway+"/api/auth/token/", "", map[string]string{"username": adminUser, "password": "wrong"})
		expectStatus(t, r, http.StatusBadRequest)
		if !strings.Contains(string(r.Body), "Unable to log in with provided credentials.") {
			t.Errorf("bad login body %s", r.Body)
		}
		r = doRaw(t, http.MethodPost, c.Gateway+"/api/auth/token/", "",
			url.Values{"username": {users.name}, "password": {users.password}}.Encode(), "application/x-www-form-urlencoded")
		expectStatus(t, r, http.StatusOK)

		expectStatus(t, do(t, http.MethodPost, c.Gateway+"/api/auth/users/", users.user,
			map[string]any{"username": "x-" + users.name, "password": "long-enough-1", "is_admin": true}), http.StatusForbidden)

		// A revoked token stops working within the gateway's cache TTL.
		tok := login(t, c.Gateway, users.name, users.password)
		expectStatus(t, do(t, http.MethodGet, c.Gateway+"/api/auth/me/", tok, nil), http.StatusOK)
		expectStatus(t, do(t, http.MethodDelete, c.Gateway+"/api/auth/token/", tok, nil), http.StatusNoContent)
		waitFor(t, 10*time.Second, "the revoked token to be refused", func() bool {
			return do(t, http.MethodGet, c.Gateway+"/api/auth/me/", tok, nil).Status == http.StatusUnauthorized
		})
	})

	t.Run("API documentation", func(t *testing.T) {
		r := do(t, http.MethodGet, c.Gateway+"/api/openapi.json", "", nil)
		expectStatus(t, r, http.StatusOK)
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		r.JSON(t, &doc)
		if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Paths["/api/movies/"] == nil {
			t.Errorf("openapi %q with paths %v", doc.OpenAPI, maps.Keys(doc.Paths))
		}
		r = do(t, http.MethodGet, c.Gateway+"/api/docs/", "", nil)
		expectStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("docs content type %q", r.Header.Get("Content-Type"))
		}
		// Every script the page loads is served by us: no CDN at run time.
		for _, m := range regexp.MustCompile(`src="([^"]+)"`).FindAllStringSubmatch(string(r.Body), -1) {
			src := m[1]
			if strings.HasPrefix(src, "http") {
				t.Errorf("docs page loads %s from outside", src)
				continue
			}
			u, _ := url.Parse(c.Gateway + "/api/docs/")
			ref, _ := u.Parse(src)
			expectStatus(t, do(t, http.MethodGet, ref.String(), "", nil), http.StatusOK)
		}
	})
}

type testUsers struct {
	name, password, user string
}

func createUser(t *testing.T, c *cluster, admin string) testUsers {
	u := testUsers{name: "e2e-user", password: "e2e-user-password"}
	r := do(t, http.MethodPost, c.Gateway+"/api/auth/users/", admin,
		map[string]any{"username": u.name, "password": u.password, "is_admin": false})
	expectStatus(t, r, http.StatusCreated)
	u.user = login(t, c.Gateway, u.name, u.password)
	return u
}

// doRaw sends body with an explicit content type.
func doRaw(t testing.TB, method, url, token, body, contentType string) response {
	t.Helper()
	return do(t, method, url, token, []byte(body), "Content-Type", contentType)
}

func expectDetail(t testing.TB, r response, want string) {
	t.Helper()
	var body struct{ Detail string }
	r.JSON(t, &body)
	if body.Detail != want {
		t.Errorf("detail %q, want %q", body.Detail, want)
	}
}

var linkNext = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// listAll follows rel="next" links from url and returns every movie seen,
// failing on a repeated id.
func listAll(t testing.TB, url string) []movie {
	t.Helper()
	var all []movie
	seen := map[int64]bool{}
	for pages := 0; url != ""; pages++ {
		if pages > 1000 {
			t.Fatal("more than 1000 pages")
		}
		r := do(t, http.MethodGet, url, "", nil)
		expectStatus(t, r, http.StatusOK)
		var page []movie
		r.JSON(t, &page)
		for _, m := range page {
			if seen[m.ID] {
				t.Fatalf("movie %d seen twice while paging", m.ID)
			}
			seen[m.ID] = true
		}
		all = append(all, page...)
		url = ""
		if m := linkNext.FindStringSubmatch(r.Header.Get("Link")); m != nil {
			url = m[1]
		}
	}
	return all
}

func total(t testing.TB, c *cluster) int {
	return len(listAll(t, c.Gateway+"/api/movies/?page_size=500"))
}

func names(ms []movie) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}
