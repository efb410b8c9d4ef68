package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/sqldb"
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
		// An expired token: a user's, aged past the absolute expiry (30
		// days) in auth-svc's store before its first use, as time would.
		for _, u := range []string{"matrix-expired", "matrix-victim"} {
			expectStatus(t, do(t, http.MethodPost, c.Gateway+"/api/auth/users/", admin,
				map[string]any{"username": u, "password": "matrix-password"}), http.StatusCreated)
		}
		expired := login(t, c.Gateway, "matrix-expired", "matrix-password")
		ageTokens(t, c, "matrix-expired", 31*24*time.Hour)
		login(t, c.Gateway, "matrix-victim", "matrix-password")
		ids := userIDs(t, c, admin)

		before := snapshot(t, c, admin)
		callers := []struct{ name, header string }{
			{"anonymous", ""},
			{"user", "Token " + user},
			{"admin", "Token " + admin},
			{"malformed", "Token a b"},
			{"revoked", "Token " + revoked},
			{"expired", "Token " + expired},
		}
		movie := map[string]any{"name": "Matrix", "director": "W", "popularity": 50, "imdb_score": 5, "genre": []any{}}
		newUser := func(n int) map[string]any {
			return map[string]any{"username": fmt.Sprintf("made-%d", n), "password": "some password"}
		}
		// Writes go to movie 3 (updates) and movies made by the admin's row
		// (deletes), so the refused rows are checked against a movie that
		// exists.
		userPath := func(name, suffix string) string { return fmt.Sprintf("/api/auth/users/%d/%s", ids[name], suffix) }
		type row struct {
			pattern, method, path string
			body                  any
			want                  [6]int // anonymous, user, admin, malformed, revoked, expired
			// fresh: the user and the admin present a token of their own
			// for this row (logging out revokes it).
			fresh bool
		}
		rows := []row{
			{contract.RouteMovies, "GET", "/api/movies/", nil, [6]int{200, 200, 200, 401, 401, 401}, false},
			{contract.RouteMovie, "GET", "/api/movie/3/", nil, [6]int{200, 200, 200, 401, 401, 401}, false},
			{contract.RouteSearch, "GET", "/api/search/?q=star", nil, [6]int{200, 200, 200, 401, 401, 401}, false},
			{contract.RouteMovies, "POST", "/api/movies/", movie, [6]int{401, 403, 201, 401, 401, 401}, false},
			{contract.RouteMovie, "PUT", "/api/movie/3/", movie, [6]int{401, 403, 200, 401, 401, 401}, false},
			{contract.RouteMovie, "PATCH", "/api/movie/3/", map[string]any{"popularity": 51}, [6]int{401, 403, 200, 401, 401, 401}, false},
			{contract.RouteMovie, "DELETE", "/api/movie/4/", nil, [6]int{401, 403, 204, 401, 401, 401}, false},
			{contract.RouteAuthUsers, "POST", "/api/auth/users/", nil, [6]int{401, 403, 201, 401, 401, 401}, false},
			{contract.RouteAuthUsers, "GET", "/api/auth/users/", nil, [6]int{401, 403, 200, 401, 401, 401}, false},
			{contract.RouteAuthMe, "GET", "/api/auth/me/", nil, [6]int{401, 200, 200, 401, 401, 401}, false},
			{contract.RouteAuthTokens, "GET", "/api/auth/tokens/", nil, [6]int{401, 200, 200, 401, 401, 401}, false},
			// An id no one's token has: found by no caller, refused to the rest.
			{contract.RouteAuthTokenByID, "DELETE", "/api/auth/tokens/" + strings.Repeat("0", 16) + "/", nil, [6]int{401, 404, 404, 401, 401, 401}, false},
			// Demoting a user who is no admin: allowed to the admin, a change to no one.
			{contract.RouteAuthUser, "PATCH", userPath("matrix-user", ""), map[string]any{"is_admin": false}, [6]int{401, 403, 200, 401, 401, 401}, false},
			{contract.RouteAuthUserTokens, "DELETE", userPath("matrix-victim", "tokens/"), nil, [6]int{401, 403, 204, 401, 401, 401}, false},
			{contract.RouteAuthToken, "POST", "/api/auth/token/", nil, [6]int{400, 400, 400, 400, 400, 400}, false},
			{contract.RouteAuthToken, "DELETE", "/api/auth/token/", nil, [6]int{401, 204, 204, 401, 401, 401}, true},
			{contract.RouteOpenAPI, "GET", "/api/openapi.json", nil, [6]int{200, 200, 200, 200, 200, 200}, false},
			{contract.RouteDocs, "GET", "/api/docs/", nil, [6]int{200, 200, 200, 200, 200, 200}, false},
		}
		// Every operation of the public contract (the OpenAPI document,
		// which the gateway's tests hold to its router) has a row: a new
		// route fails here until its callers are decided.
		for _, op := range documentedOperations(t) {
			if !slices.ContainsFunc(rows, func(r row) bool { return r.method+" "+r.pattern == op }) {
				t.Errorf("%s has no row in the authorisation matrix", op)
			}
		}
		for _, route := range rows {
			// The admin goes last, so each refused row meets the state
			// before the allowed change.
			for _, j := range []int{0, 1, 3, 4, 5, 2} {
				caller := callers[j]
				var headers []string
				if caller.header != "" {
					headers = []string{"Authorization", caller.header}
				}
				if route.fresh && caller.name == "user" {
					headers = []string{"Authorization", "Token " + login(t, c.Gateway, "matrix-user", "matrix-password")}
				}
				if route.fresh && caller.name == "admin" {
					headers = []string{"Authorization", "Token " + login(t, c.Gateway, adminUser, adminPassword)}
				}
				body := route.body
				if route.path == "/api/auth/users/" && route.method == "POST" {
					body = newUser(j)
				}
				if route.path == "/api/auth/token/" && route.method == "POST" {
					// A username per caller: five failures in a row for one
					// are throttled (429), which is the throttle's own test.
					body = map[string]string{"username": fmt.Sprintf("nobody-%d", j), "password": "wrong"}
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
		for _, u := range []string{"made-0", "made-1", "made-3", "made-4", "made-5"} {
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
	everyInternalRoute(t, c)
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

// everyInternalRoute calls every route of every internal service three
// ways, each with a forged X-Movies-Actor naming the admin: without
// credentials (401), with the gateway's token for another service (401),
// and with a valid token of a caller the route does not serve, acting for
// the admin (403). No body is read before the refusal, so the bodies only
// need to be harmless if one were.
func everyInternalRoute(t *testing.T, c *cluster) {
	adminActor := servicetoken.Actor{Username: adminUser, Admin: true}
	movie := map[string]any{"name": "Direct", "popularity": 1, "imdb_score": 1}
	bogus := map[string]string{"token": "mov_not-a-token"}
	for _, r := range []struct {
		base, audience, method, path string
		body                         any
		wrongCaller                  string // a caller the route refuses
	}{
		{c.Catalog, servicetoken.Catalog, "GET", contract.RouteMovies, nil, servicetoken.Operator},
		{c.Catalog, servicetoken.Catalog, "POST", contract.RouteMovies, movie, servicetoken.Search},
		{c.Catalog, servicetoken.Catalog, "GET", contract.MoviePath(5), nil, servicetoken.Operator},
		{c.Catalog, servicetoken.Catalog, "PUT", contract.MoviePath(5), movie, servicetoken.Search},
		{c.Catalog, servicetoken.Catalog, "PATCH", contract.MoviePath(5), movie, servicetoken.Search},
		{c.Catalog, servicetoken.Catalog, "DELETE", contract.MoviePath(5), nil, servicetoken.Search},
		{c.Catalog, servicetoken.Catalog, "GET", contract.RouteInternalChanges, nil, servicetoken.Gateway},
		{c.Auth, servicetoken.Auth, "POST", contract.RouteAuthToken, map[string]string{"username": adminUser, "password": "x"}, servicetoken.Search},
		{c.Auth, servicetoken.Auth, "POST", contract.RouteInternalRevoke, bogus, servicetoken.Search},
		{c.Auth, servicetoken.Auth, "POST", contract.RouteInternalIntrospect, bogus, servicetoken.Search},
		{c.Auth, servicetoken.Auth, "POST", contract.RouteAuthUsers, map[string]any{"username": "intruder2", "password": "some password", "is_admin": true}, servicetoken.Search},
		{c.Auth, servicetoken.Auth, "GET", contract.RouteAuthUsers, nil, servicetoken.Search},
		{c.Auth, servicetoken.Auth, "PATCH", "/api/auth/users/1/", map[string]any{"is_admin": false}, servicetoken.Search},
		{c.Auth, servicetoken.Auth, "DELETE", "/api/auth/users/1/tokens/", nil, servicetoken.Search},
		{c.Auth, servicetoken.Auth, "GET", contract.RouteAuthTokens, nil, servicetoken.Search},
		{c.Auth, servicetoken.Auth, "DELETE", "/api/auth/tokens/" + strings.Repeat("0", 16) + "/", nil, servicetoken.Search},
		{c.Search, servicetoken.Search, "GET", contract.RouteInternalSearch + "?search=star", nil, servicetoken.Operator},
		{c.Search, servicetoken.Search, "POST", contract.RouteInternalReindex, nil, servicetoken.Gateway},
	} {
		other := servicetoken.Catalog
		if r.audience == servicetoken.Catalog {
			other = servicetoken.Auth
		}
		for _, k := range []struct {
			name, auth string
			want       int
		}{
			{"no credentials", "", http.StatusUnauthorized},
			{"the gateway's token for " + other, c.serviceToken(servicetoken.Gateway, other, adminActor), http.StatusUnauthorized},
			{r.wrongCaller + "'s token", c.serviceToken(r.wrongCaller, r.audience, adminActor), http.StatusForbidden},
		} {
			headers := []string{"X-Movies-Actor", adminUser}
			if k.auth != "" {
				headers = append(headers, "Authorization", k.auth)
			}
			if got := do(t, r.method, r.base+r.path, "", r.body, headers...); got.Status != k.want {
				t.Errorf("%s %s on %s, %s: %d, want %d (%s)", r.method, r.path, r.audience, k.name, got.Status, k.want, got.Body)
			}
		}
	}
}

// svcAuthAudience is auth-svc as an audience: a gateway token for it is a
// token for the wrong audience anywhere else.
const svcAuthAudience = servicetoken.Auth

// snapshot is what a refused request must not change: every movie and
// every user (admin, active), read as an admin, past the gateway's answer
// cache. (Users a refused request might have made are also checked once,
// by logging in: failed logins are throttled.)
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
	for _, u := range users(t, c, admin) {
		fmt.Fprintf(&b, "user %d %s admin=%v active=%v\n", u.ID, u.Username, u.IsAdmin, u.IsActive)
	}
	return b.String()
}

// users is every user, as an admin lists them.
func users(t *testing.T, c *cluster, admin string) []contract.User {
	t.Helper()
	r := do(t, http.MethodGet, c.Gateway+"/api/auth/users/?page_size=500", admin, nil)
	expectStatus(t, r, http.StatusOK)
	var us []contract.User
	r.JSON(t, &us)
	return us
}

// userIDs maps usernames to ids.
func userIDs(t *testing.T, c *cluster, admin string) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	for _, u := range users(t, c, admin) {
		ids[u.Username] = u.ID
	}
	return ids
}

// documentedOperations are the public API's operations, "METHOD pattern",
// as the contract's OpenAPI document lists them.
func documentedOperations(t *testing.T) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(contract.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, item := range doc.Paths {
		for m := range item {
			if slices.Contains([]string{"get", "put", "post", "delete", "patch"}, m) {
				ops = append(ops, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// ageTokens moves the creation of username's tokens back by age in
// auth-svc's SQLite store: what the passing of that much time does to them.
func ageTokens(t *testing.T, c *cluster, username string, age time.Duration) {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, sqldb.SQLite, filepath.Join(c.dataDir, "data", "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(ctx, `UPDATE tokens SET created_at = ?, last_used_at = NULL
		WHERE user_id = (SELECT id FROM users WHERE username = ?)`, time.Now().Add(-age).UTC(), username)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s has no token to age", username)
	}
}
