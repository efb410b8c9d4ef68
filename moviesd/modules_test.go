package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/platform/config"
	"github.com/moviesplatform/platform/contract"
	"github.com/moviesplatform/platform/logging"
	"github.com/moviesplatform/platform/runner"
	"github.com/moviesplatform/platform/servicetoken"
	"github.com/moviesplatform/platform/servicetoken/servicetokentest"
)

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
		err  string
	}{
		{raw: "all", want: []string{"catalog", "auth", "search", "gateway"}},
		{raw: "", want: []string{"catalog", "auth", "search", "gateway"}},
		{raw: "gateway", want: []string{"gateway"}},
		{raw: "catalog", want: []string{"catalog"}},
		{raw: "auth", want: []string{"auth"}},
		{raw: "search", want: []string{"search"}},
		// Built in dependency order, whatever order they are named in.
		{raw: "gateway,catalog", want: []string{"catalog", "gateway"}},
		{raw: " search , catalog,search", want: []string{"catalog", "search"}},
		{raw: "nope", err: `unknown target "nope" (want all or any of catalog, auth, search, gateway)`},
		{raw: "catalog,gatway", err: `unknown target "gatway"`},
		{raw: "catalog,", err: `unknown target ""`},
		{raw: "all,catalog", err: `unknown target "all"`},
		{raw: "Catalog", err: `unknown target "Catalog"`},
	} {
		got, err := parseTargets(tc.raw)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("parseTargets(%q) = %v, %v; want the error %q", tc.raw, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseTargets(%q) = %v, %v; want %v", tc.raw, got, err, tc.want)
		}
	}
}

// Every service reads its own variables: two settings sharing a name would
// make one silently follow the other.
func TestSettingsVariablesAreDistinct(t *testing.T) {
	var cfg settings
	if err := config.LoadFrom(&cfg, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	seen := map[any]bool{}
	desc := config.Describe(&cfg)
	for i := 0; i < len(desc); i += 2 {
		if seen[desc[i]] {
			t.Errorf("MOVIES_%v is read by two settings", strings.ToUpper(desc[i].(string)))
		}
		seen[desc[i]] = true
	}
}

// deadURL is a loopback URL nothing listens on: a module configured to call
// it works only if its calls stay in-process.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String()
}

const (
	testAdmin    = "modules-admin"
	testPassword = "modules-admin-password"
)

// testSettings is the process configuration on embedded backends in a
// temporary directory, every service URL pointing at a dead port.
func testSettings(t *testing.T) settings {
	t.Helper()
	dir, dead := t.TempDir(), deadURL(t)
	keyDir, _ := servicetokentest.Shared(t)
	var cfg settings
	err := config.LoadFrom(&cfg, map[string]string{
		"MOVIES_CATALOG_SERVICE_TRUSTED_KEYS": keyDir,
		"MOVIES_AUTH_SERVICE_TRUSTED_KEYS":    keyDir,
		"MOVIES_SEARCH_SERVICE_TRUSTED_KEYS":  keyDir,
		"MOVIES_GATEWAY_SERVICE_KEY_FILE":     filepath.Join(keyDir, "gateway.key"),
		"MOVIES_SEARCH_SERVICE_KEY_FILE":      filepath.Join(keyDir, "search.key"),
		"MOVIES_CATALOG_ADDR":                 "127.0.0.1:0",
		"MOVIES_AUTH_ADDR":                    "127.0.0.1:0",
		"MOVIES_SEARCH_ADDR":                  "127.0.0.1:0",
		"MOVIES_GATEWAY_ADDR":                 "127.0.0.1:0",
		"MOVIES_CATALOG_DB_DSN":               "file:" + dir + "/catalog.db",
		"MOVIES_AUTH_DB_DSN":                  "file:" + dir + "/auth.db",
		"MOVIES_SEARCH_BLEVE_PATH":            dir + "/search",
		"MOVIES_AUTH_BCRYPT_COST":             "4",
		"MOVIES_ADMIN_USERNAME":               testAdmin,
		"MOVIES_ADMIN_PASSWORD":               testPassword,
		"MOVIES_SEARCH_CATALOG_URL":           dead,
		"MOVIES_GATEWAY_CATALOG_URL":          dead,
		"MOVIES_GATEWAY_AUTH_URL":             dead,
		"MOVIES_GATEWAY_SEARCH_URL":           dead,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// buildTargets builds the modules -target=raw names, as main does, and
// closes them when the test ends. It is the one place this test knows how
// the module table is built.
func buildTargets(t *testing.T, cfg settings, raw string) map[string]runner.Component {
	t.Helper()
	targets, err := parseTargets(raw)
	if err != nil {
		t.Fatal(err)
	}
	a := &assembly{cfg: cfg, log: logging.Discard()}
	if err := a.build(context.Background(), targets); err != nil {
		t.Fatalf("build %v: %v", targets, err)
	}
	t.Cleanup(func() {
		for _, c := range slices.Backward(a.comps) {
			if c.Close != nil {
				_ = c.Close()
			}
		}
	})
	out := map[string]runner.Component{}
	var names []string
	for _, c := range a.comps {
		if c.Health == nil || c.Registry == nil || (c.Handler == nil) != (c.Addr == "") {
			t.Errorf("component %s is incomplete: %+v", c.Name, c)
		}
		out[c.Name] = c
		names = append(names, c.Name)
	}
	if !slices.Equal(names, targets) {
		t.Errorf("-target=%s built %v, want %v", raw, names, targets)
	}
	return out
}

func call(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// ready answers the component's /readyz: its status and check results.
func ready(c runner.Component) (int, map[string]string) {
	w := call(http.HandlerFunc(c.Health.Ready), http.MethodGet, contract.RouteReadyz, "")
	var body struct{ Checks map[string]string }
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body.Checks
}

func login(t *testing.T, h http.Handler) {
	t.Helper()
	w := call(h, http.MethodPost, contract.RouteAuthToken, `{"username": "`+testAdmin+`", "password": "`+testPassword+`"}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"token"`) {
		t.Errorf("login = %d %s", w.Code, w.Body)
	}
}

// Each target serves its own service and nothing else.
func TestTargetsServeTheirOwnRoutes(t *testing.T) {
	for _, tc := range []struct {
		target, method, path, body string
		status                     int
	}{
		{"catalog", http.MethodGet, "/api/movie/1/", "", http.StatusOK},
		{"auth", http.MethodPost, contract.RouteAuthToken, `{"username": "` + testAdmin + `", "password": "` + testPassword + `"}`, http.StatusOK},
		{"search", http.MethodGet, contract.RouteInternalSearch + "?search=star", "", http.StatusOK},
		{"gateway", http.MethodGet, contract.RouteOpenAPI, "", http.StatusOK},
	} {
		t.Run(tc.target, func(t *testing.T) {
			comps := buildTargets(t, testSettings(t), tc.target)
			c := comps[tc.target]
			var header []string
			if tc.target != targetGateway {
				_, keys := servicetokentest.Shared(t)
				header = []string{"Authorization", keys.Header(servicetoken.Gateway, tc.target, servicetoken.Actor{})}
				// Without the gateway's credential, the service serves no one.
				if w := call(c.Handler, tc.method, tc.path, tc.body); w.Code != http.StatusUnauthorized {
					t.Errorf("%s %s without credentials = %d, want 401", tc.method, tc.path, w.Code)
				}
			}
			if w := call(c.Handler, tc.method, tc.path, tc.body, header...); w.Code != tc.status {
				t.Errorf("%s %s = %d, want %d: %s", tc.method, tc.path, w.Code, tc.status, w.Body)
			}
			// Another service's route is not served here.
			other := contract.RouteAuthUsers
			if tc.target == "auth" || tc.target == "gateway" {
				other = contract.RouteInternalChanges
			}
			if w := call(c.Handler, http.MethodGet, other, ""); w.Code != http.StatusNotFound {
				t.Errorf("%s serves %s: %d", tc.target, other, w.Code)
			}
		})
	}
}

// -target=all runs every module and wires them in-process: the gateway and
// the indexer work although every configured service URL is dead.
func TestTargetAllStaysInProcess(t *testing.T) {
	comps := buildTargets(t, testSettings(t), "all")
	gw := comps["gateway"]
	for _, m := range []string{targetCatalog, targetAuth, targetSearch} {
		if comps[m].Handler != nil || comps[m].Addr != "" {
			t.Errorf("%s opens a port (%q) although every caller is in-process", m, comps[m].Addr)
		}
	}

	if code, checks := ready(gw); code != http.StatusOK {
		t.Errorf("gateway not ready in-process: %d %v", code, checks)
	} else if _, ok := checks["catalog"]; ok {
		t.Errorf("gateway checks a remote catalog in-process: %v", checks)
	}
	if w := call(gw.Handler, http.MethodGet, "/api/movie/2/", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"name"`) {
		t.Errorf("gateway movie 2 = %d %s", w.Code, w.Body)
	}
	login(t, gw.Handler)

	// The indexer reads the change feed in-process: the index becomes
	// ready with the catalog URL dead.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- comps["search"].Background(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, checks := ready(comps["search"])
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search never ready from the in-process feed: %v", checks)
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		w := call(gw.Handler, http.MethodGet, "/api/movies/?search=casablanca", "")
		if w.Code == http.StatusOK && w.Header().Get("X-Movies-Degraded") == "" && strings.Contains(w.Body.String(), "Casablanca") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway search never answered from search-svc in-process: %d %v %s", w.Code, w.Header(), w.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A module run alone reaches the others over HTTP at their URLs: with those
// dead, the gateway reports them in readiness and answers 503, not 500.
func TestTargetGatewayAloneCallsOverHTTP(t *testing.T) {
	gw := buildTargets(t, testSettings(t), "gateway")["gateway"]
	code, checks := ready(gw)
	if code != http.StatusServiceUnavailable || checks["catalog"] == "ok" || checks["auth"] == "ok" || checks["catalog"] == "" {
		t.Errorf("gateway alone with dead upstreams: readiness %d %v", code, checks)
	}
	if w := call(gw.Handler, http.MethodGet, "/api/movie/2/", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("gateway alone, catalog dead: movie 2 = %d %s", w.Code, w.Body)
	}
}

// Modules run apart in two processes find each other at their URLs: a
// gateway alone calling a catalog and auth served elsewhere.
func TestTargetsSplitAcrossProcesses(t *testing.T) {
	back := buildTargets(t, testSettings(t), "catalog,auth")

	serve := func(c runner.Component) *httptest.Server {
		srv := httptest.NewServer(c.Handler) // the API port; the gateway checks it answers
		t.Cleanup(srv.Close)
		return srv
	}
	catalogSrv, authSrv := serve(back["catalog"]), serve(back["auth"])

	cfg := testSettings(t)
	cfg.Gateway.CatalogURL, cfg.Gateway.AuthURL = catalogSrv.URL, authSrv.URL
	gw := buildTargets(t, cfg, "gateway")["gateway"]
	if code, checks := ready(gw); code != http.StatusOK || checks["catalog"] != "ok" || checks["auth"] != "ok" {
		t.Errorf("gateway readiness %d %v, want the remote catalog and auth checked and ok", code, checks)
	}
	if w := call(gw.Handler, http.MethodGet, "/api/movie/2/", ""); w.Code != http.StatusOK {
		t.Errorf("gateway movie 2 through the remote catalog = %d %s", w.Code, w.Body)
	}
	login(t, gw.Handler)
}

// A failing module fails the build with its name, and what was built
// before it is closed.
func TestBuildFailureNamesTheModule(t *testing.T) {
	cfg := testSettings(t)
	cfg.Search.Engine = "elastic"
	targets, _ := parseTargets("all")
	a := &assembly{cfg: cfg, log: logging.Discard()}
	err := a.build(context.Background(), targets)
	if err == nil || !strings.HasPrefix(err.Error(), "search: ") {
		t.Fatalf("build with a bad search engine = %v, want an error naming search", err)
	}
}
