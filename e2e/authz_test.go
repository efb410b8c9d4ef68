package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/servicetoken"
)

// TestAuthorizationMatrix: every public route × every kind of caller gets
// the expected status, and a refused request changes nothing; the internal
// services answer no one they cannot authenticate, whatever headers claim.
func TestAuthorizationMatrix(t *testing.T) {
	forEachLayout(t, func(t *testing.T, l layout) {
		c := startCluster(t, l, "sqlite", "file:data/catalog.db", "file:data/auth.db")
		admin := login(t, c.Gateway, adminUser, adminPassword)
		expectStatus(t, do(t, http.MethodPost, c.Gateway+"/api/auth/users/", admin,
			map[string]any{"username": "matrix-user", "password": "matrix-password"}), http.StatusCreated)
		user := login(t, c.Gateway, "matrix-user", "matrix-password")
		revoked := login(t, c.Gateway, "matrix-user", "matrix-password")
		expectStatus(t, do(t, http.MethodDelete, c.Gateway+"/api/auth/token/", revoked, nil), http.StatusNoContent)

		before := snapshot(t, c, admin)
		callers := []struct{ name, header string }{
			{"anonymous", ""},
			{"user", "Token " + user},
			{"admin", "Token " + admin},
			{"malformed", "Token a b"},
			{"revoked", "Token " + revoked},
		}
		movie := map[string]any{"name": "Matrix", "director": "W", "popularity": 50, "imdb_score": 5, "genre": []any{}}
		newUser := func(n int) map[string]any {
			return map[string]any{"username": fmt.Sprintf("made-%d", n), "password": "some password"}
		}
		// Writes go to movie 3 (updates) and movies made by the admin's row
		// (deletes), so the refused rows are checked against a movie that
		// exists.
		for _, route := range []struct {
			method, path string
			body         any
			want         [5]int // anonymous, user, admin, malformed, revoked
		}{
			{"GET", "/api/movies/", nil, [5]int{200, 200, 200, 401, 401}},
			{"GET", "/api/movie/3/", nil, [5]int{200, 200, 200, 401, 401}},
			{"GET", "/api/search/?q=star", nil, [5]int{200, 200, 200, 401, 401}},
			{"POST", "/api/movies/", movie, [5]int{401, 403, 201, 401, 401}},
			{"PUT", "/api/movie/3/", movie, [5]int{401, 403, 200, 401, 401}},
			{"PATCH", "/api/movie/3/", map[string]any{"popularity": 51}, [5]int{401, 403, 200, 401, 401}},
			{"DELETE", "/api/movie/4/", nil, [5]int{401, 403, 204, 401, 401}},
			{"POST", "/api/auth/users/", nil, [5]int{401, 403, 201, 401, 401}},
			{"GET", "/api/auth/me/", nil, [5]int{401, 200, 200, 401, 401}},
			{"POST", "/api/auth/token/", map[string]string{"username": "matrix-user", "password": "wrong"}, [5]int{400, 400, 400, 400, 400}},
		} {
			// The admin goes last, so each refused row meets the state
			// before the allowed change.
			for _, j := range []int{0, 1, 3, 4, 2} {
				caller := callers[j]
				var headers []string
				if caller.header != "" {
					headers = []string{"Authorization", caller.header}
				}
				body := route.body
				if route.path == "/api/auth/users/" {
					body = newUser(j)
				}
				r := do(t, route.method, c.Gateway+route.path, "", body, headers...)
				if r.Status != route.want[j] {
					t.Errorf("%s %s as %s: %d, want %d (%s)", route.method, route.path, caller.name, r.Status, route.want[j], r.Body)
				}
				if r.Status < 300 || caller.name == "admin" {
					continue
				}
				if after := snapshot(t, c, admin); after != before {
					t.Fatalf("%s %s as %s was refused but changed the platform:\n%s\nwas\n%s", route.method, route.path, caller.name, after, before)
				}
			}
			before = snapshot(t, c, admin)
		}
		// Only the admin's user creation made a user.
		for _, u := range []string{"made-0", "made-1", "made-3", "made-4"} {
			expectStatus(t, do(t, http.MethodPost, c.Gateway+"/api/auth/token/", "", map[string]string{"username": u, "password": "some password"}), http.StatusBadRequest)
		}
		login(t, c.Gateway, "made-2", "some password")
		// Logging out revokes only the presented token, and only its holder can.
		expectStatus(t, do(t, http.MethodDelete, c.Gateway+"/api/auth/token/", "", nil), http.StatusUnauthorized)
		expectStatus(t, do(t, http.MethodDelete, c.Gateway+"/api/auth/token/", user, nil), http.StatusNoContent)
		expectStatus(t, do(t, http.MethodGet, c.Gateway+"/api/auth/me/", user, nil), http.StatusUnauthorized)
		expectStatus(t, do(t, http.MethodGet, c.Gateway+"/api/auth/me/", admin, nil), http.StatusOK)

		if c.runsAlone(svcCatalog) {
			directCalls(t, c, admin)
		} else {
			// One process: the internal services are called in-process and
			// listen nowhere.
			for _, s := range []string{svcCatalog, svcAuth, svcSearch} {
				if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(c.url(s), "http://"), time.Second); err == nil {
					conn.Close()
					t.Errorf("%s listens on %s in the single process", s, c.url(s))
				}
			}
		}
	})
}

// directCalls calls the internal services past the gateway, as an attacker
// inside the network would.
func directCalls(t *testing.T, c *cluster, adminToken string) {
	before := snapshot(t, c, adminToken)
	gw := func(aud string) string { return c.serviceToken(servicetoken.Gateway, aud, servicetoken.Actor{}) }
	adminActor := servicetoken.Actor{Username: adminUser, Admin: true}
	forged := []string{"X-Movies-Actor", adminUser}
	movie := map[string]any{"name": "Direct", "popularity": 1, "imdb_score": 1}
	admin := map[string]any{"username": "intruder", "password": "some password", "is_admin": true}
	for _, tc := range []struct {
		name, method, url, auth string
		body                    any
		want                    int
	}{
		{"catalog write, no credentials", "DELETE", c.Catalog + "/api/movie/5/", "", nil, 401},
		{"catalog write, forged actor only", "POST", c.Catalog + "/api/movies/", "", movie, 401},
		{"catalog write, the user API token", "DELETE", c.Catalog + "/api/movie/5/", "Token " + adminToken, nil, 401},
		{"catalog write, the user API token as Bearer", "DELETE", c.Catalog + "/api/movie/5/", "Bearer " + adminToken, nil, 401},
		{"catalog write, malformed", "DELETE", c.Catalog + "/api/movie/5/", "Bearer x.y.z", nil, 401},
		{"catalog write, an expired gateway token", "DELETE", c.Catalog + "/api/movie/5/",
			c.serviceTokenIssued(servicetoken.Gateway, servicetoken.Catalog, adminActor, time.Now().Add(-2*time.Minute)), nil, 401},
		{"catalog write, gateway token for auth", "DELETE", c.Catalog + "/api/movie/5/", gw(svcAuthAudience), nil, 401},
		{"catalog write, search's token", "DELETE", c.Catalog + "/api/movie/5/", c.serviceToken(servicetoken.Search, servicetoken.Catalog, adminActor), nil, 403},
		{"catalog write, operator", "DELETE", c.Catalog + "/api/movie/5/", c.serviceToken(servicetoken.Operator, servicetoken.Catalog, adminActor), nil, 403},
		{"catalog read, no credentials", "GET", c.Catalog + "/api/movie/5/", "", nil, 401},
		{"catalog read, gateway", "GET", c.Catalog + "/api/movie/5/", gw(servicetoken.Catalog), nil, 200},
		{"feed, no credentials", "GET", c.Catalog + "/internal/changes", "", nil, 401},
		{"feed, gateway", "GET", c.Catalog + "/internal/changes", gw(servicetoken.Catalog), nil, 403},
		{"feed, operator", "GET", c.Catalog + "/internal/changes", c.serviceToken(servicetoken.Operator, servicetoken.Catalog, servicetoken.Actor{}), nil, 200},
		{"feed lease, no credentials", "PUT", c.Catalog + contract.FeedLeasePath("e2e:matrix"), "", map[string]any{"holder": "x", "ttl_ms": 15000}, 401},
		{"feed lease, gateway", "PUT", c.Catalog + contract.FeedLeasePath("e2e:matrix"), gw(servicetoken.Catalog), map[string]any{"holder": "x", "ttl_ms": 15000}, 403},
		{"feed lease release, operator", "DELETE", c.Catalog + contract.FeedLeasePath("e2e:matrix") + "?holder=x",
			c.serviceToken(servicetoken.Operator, servicetoken.Catalog, servicetoken.Actor{}), nil, 204},
		{"create admin, no credentials", "POST", c.Auth + "/api/auth/users/", "", admin, 401},
		{"create admin, forged actor only", "POST", c.Auth + "/api/auth/users/", "", admin, 401},
		{"create admin, gateway for no one", "POST", c.Auth + "/api/auth/users/", gw(servicetoken.Auth), admin, 403},
		{"create admin, gateway for a user", "POST", c.Auth + "/api/auth/users/", c.serviceToken(servicetoken.Gateway, servicetoken.Auth, servicetoken.Actor{Username: "matrix-user"}), admin, 403},
		{"create admin, gateway token for catalog", "POST", c.Auth + "/api/auth/users/", gw(servicetoken.Catalog), admin, 401},
		{"introspect, no credentials", "POST", c.Auth + "/internal/auth/introspect", "", map[string]string{"token": adminToken}, 401},
		{"introspect, search", "POST", c.Auth + "/internal/auth/introspect", c.serviceToken(servicetoken.Search, servicetoken.Auth, servicetoken.Actor{}), map[string]string{"token": adminToken}, 403},
		{"introspect, gateway", "POST", c.Auth + "/internal/auth/introspect", gw(servicetoken.Auth), map[string]string{"token": adminToken}, 200},
		{"login with a forged client address, no credentials", "POST", c.Auth + "/api/auth/token/", "", map[string]string{"username": adminUser, "password": "x"}, 401},
		{"search, no credentials", "GET", c.Search + "/internal/search?search=star", "", nil, 401},
		{"search, gateway", "GET", c.Search + "/internal/search?search=star", gw(servicetoken.Search), nil, 200},
		{"reindex, no credentials", "POST", c.Search + "/internal/search/reindex", "", nil, 401},
		{"reindex, gateway for no one", "POST", c.Search + "/internal/search/reindex", gw(servicetoken.Search), nil, 403},
		{"reindex, gateway token for catalog", "POST", c.Search + "/internal/search/reindex", gw(servicetoken.Catalog), nil, 401},
	} {
		headers := append([]string{}, forged...)
		headers = append(headers, "X-Forwarded-For", "203.0.113.9")
		if tc.auth != "" {
			headers = append(headers, "Authorization", tc.auth)
		}
		r := do(t, tc.method, tc.url, "", tc.body, headers...)
		if r.Status != tc.want {
			t.Errorf("%s: %d, want %d (%s)", tc.name, r.Status, tc.want, r.Body)
		}
		if r.Status == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, r.Header.Get("WWW-Authenticate"))
		}
	}
	if after := snapshot(t, c, adminToken); after != before {
		t.Fatalf("refused direct calls changed the platform:\n%s\nwas\n%s", after, before)
	}
	expectStatus(t, do(t, http.MethodPost, c.Gateway+"/api/auth/token/", "",
		map[string]string{"username": "intruder", "password": "some password"}), http.StatusBadRequest)

	// The actor the catalog records is the one in the gateway's token, not
	// the one a header names.
	r := do(t, http.MethodPatch, c.Gateway+"/api/movie/6/", adminToken, map[string]any{"popularity": 66}, "X-Movies-Actor", "mallory")
	expectStatus(t, r, http.StatusOK)
	var feed struct {
		Changes []struct {
			MovieID int64  `json:"movie_id"`
			Actor   string `json:"actor"`
		} `json:"changes"`
	}
	r = do(t, http.MethodGet, c.Catalog+"/internal/changes?after=0&limit=1000", "", nil,
		"Authorization", c.serviceToken(servicetoken.Operator, servicetoken.Catalog, servicetoken.Actor{}))
	expectStatus(t, r, http.StatusOK)
	if err := json.Unmarshal(r.Body, &feed); err != nil || len(feed.Changes) == 0 {
		t.Fatalf("feed %s: %v", r.Body, err)
	}
	if last := feed.Changes[len(feed.Changes)-1]; last.MovieID != 6 || last.Actor != adminUser {
		t.Fatalf("last change %+v, want movie 6 by %s", last, adminUser)
	}
}

// svcAuthAudience is auth-svc as an audience: a gateway token for it is a
// token for the wrong audience anywhere else.
const svcAuthAudience = servicetoken.Auth

// snapshot is what a refused request must not change: every movie, read as
// an admin, past the gateway's answer cache. (Users a refused request might
// have made are checked once, by logging in: failed logins are throttled.)
func snapshot(t *testing.T, c *cluster, admin string) string {
	t.Helper()
	r := do(t, http.MethodGet, c.Gateway+"/api/movies/?page_size=500", admin, nil)
	expectStatus(t, r, http.StatusOK)
	var movies []movie
	r.JSON(t, &movies)
	var b strings.Builder
	for _, m := range movies {
		fmt.Fprintf(&b, "%d %s %v %v\n", m.ID, m.Name, m.Popularity, m.IMDBScore)
	}
	return b.String()
}
