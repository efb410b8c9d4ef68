// Package live runs the platform the way production does, as separate
// processes talking HTTP on loopback, for the checks against real backends
// (Prometheus in livecheck, Jaeger in tracecheck): it builds moviesd, starts
// gateway, catalog, auth and search each with -target=<name> on SQLite files
// and the test Redis, and starts and stops the backends' own processes.
package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Targets are the services, in the order they start (the gateway last, its
// upstreams already listening).
var Targets = []string{"catalog", "auth", "search", "gateway"}

// The admin the platform creates at start, for the authenticated journeys.
const (
	AdminUser     = "live-admin"
	AdminPassword = "live-admin-password"
)

// Platform is the four services running as separate processes.
type Platform struct {
	// Dir holds the databases, the index and every process's log.
	Dir string
	// Gateway is the public base URL (http://127.0.0.1:port).
	Gateway string
	// Admin is each target's admin listener (/metrics, /healthz, /readyz).
	Admin map[string]string
}

// Start builds moviesd from root (the repository) and runs every target as
// its own process, each with env added to the common settings (a later
// entry wins); perTarget adds settings to one target only. It returns once
// every target serves /metrics; the processes stop when the test ends.
func Start(t testing.TB, root string, env []string, perTarget map[string][]string) *Platform {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "moviesd")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join(root, "moviesd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build moviesd: %v\n%s", err, out)
	}

	// The services run apart and authenticate each other (moviesd keys).
	keys := filepath.Join(dir, "keys")
	if out, err := exec.Command(bin, "keys", keys).CombinedOutput(); err != nil {
		t.Fatalf("moviesd keys: %v\n%s", err, out)
	}

	redis := os.Getenv("MOVIES_TEST_REDIS_ADDR")
	if redis == "" {
		redis = "127.0.0.1:6379"
	}
	ports := FreePorts(t, 2*len(Targets))
	svc, admin := map[string]string{}, map[string]string{}
	for i, target := range Targets {
		svc[target], admin[target] = ports[i], ports[len(Targets)+i]
	}
	common := append(os.Environ(),
		"MOVIES_GATEWAY_ADDR="+svc["gateway"], "MOVIES_CATALOG_ADDR="+svc["catalog"],
		"MOVIES_AUTH_ADDR="+svc["auth"], "MOVIES_SEARCH_ADDR="+svc["search"],
		"MOVIES_GATEWAY_CATALOG_URL=http://"+svc["catalog"], "MOVIES_GATEWAY_AUTH_URL=http://"+svc["auth"],
		"MOVIES_GATEWAY_SEARCH_URL=http://"+svc["search"], "MOVIES_SEARCH_CATALOG_URL=http://"+svc["catalog"],
		"MOVIES_CATALOG_DB_DSN=file:"+filepath.Join(dir, "catalog.db"), "MOVIES_AUTH_DB_DSN=file:"+filepath.Join(dir, "auth.db"),
		"MOVIES_SEARCH_BLEVE_PATH="+filepath.Join(dir, "search"),
		"MOVIES_ADMIN_USERNAME="+AdminUser, "MOVIES_ADMIN_PASSWORD="+AdminPassword,
		"MOVIES_GATEWAY_REDIS_ADDR="+redis, "MOVIES_CATALOG_REDIS_ADDR="+redis,
		// Keys of this run only: other suites share the test Redis.
		"MOVIES_GATEWAY_REDIS_NAMESPACE=live:"+filepath.Base(dir)+":gw",
		"MOVIES_CATALOG_CACHE_NAMESPACE=live:"+filepath.Base(dir)+":cat",
		"MOVIES_CATALOG_SERVICE_TRUSTED_KEYS="+keys, "MOVIES_AUTH_SERVICE_TRUSTED_KEYS="+keys,
		"MOVIES_SEARCH_SERVICE_TRUSTED_KEYS="+keys, "MOVIES_GATEWAY_SERVICE_KEY_FILE="+filepath.Join(keys, "gateway.key"),
		"MOVIES_SEARCH_SERVICE_KEY_FILE="+filepath.Join(keys, "search.key"),
	)
	common = append(common, env...)
	for _, target := range Targets {
		targetEnv := append(append(common[:len(common):len(common)], "MOVIES_ADMIN_ADDR="+admin[target]), perTarget[target]...)
		cmd := exec.Command(bin, "-target="+target)
		cmd.Env = targetEnv
		Run(t, dir, target, cmd)
		WaitFor(t, 60*time.Second, func() bool { return servesMetrics(admin[target]) }, target+" to serve /metrics on "+admin[target])
	}
	return &Platform{Dir: dir, Gateway: "http://" + svc["gateway"], Admin: admin}
}

func servesMetrics(addr string) bool {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte("go_goroutines"))
}

// Run starts cmd in dir with its output in dir/name.log. When the test
// ends it is interrupted (killed after 10 s), and its log's tail is printed
// if the test failed.
func Run(t testing.TB, dir, name string, cmd *exec.Cmd) {
	t.Helper()
	out := LogFile(t, dir, name)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("--- %s ---\n%s", name, ReadTail(out.Name()))
		}
	})
}

// Request sends method path (with a JSON body when not empty, as the
// token's user when token is not empty) to the gateway and returns the
// status and the body.
func (p *Platform) Request(t testing.TB, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, p.Gateway+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, data
}

// Login returns a token of the admin.
func (p *Platform) Login(t testing.TB) string {
	t.Helper()
	status, body := p.Request(t, http.MethodPost, "/api/auth/token/", "",
		fmt.Sprintf(`{"username": %q, "password": %q}`, AdminUser, AdminPassword))
	var tok struct{ Token string }
	_ = json.Unmarshal(body, &tok)
	if tok.Token == "" {
		t.Fatalf("login: %d %s", status, body)
	}
	return tok.Token
}

// CreateMovie creates a movie named name as the token's user and returns
// its id.
func (p *Platform) CreateMovie(t testing.TB, token, name string) int64 {
	t.Helper()
	status, body := p.Request(t, http.MethodPost, "/api/movies/", token,
		fmt.Sprintf(`{"name": %q, "director": "Live Check", "popularity": 50, "imdb_score": 5, "genre": [{"name": "Drama"}]}`, name))
	var m struct{ ID int64 }
	_ = json.Unmarshal(body, &m)
	if status != http.StatusCreated || m.ID == 0 {
		t.Fatalf("create: %d %s", status, body)
	}
	return m.ID
}

// WaitFor polls ok every 250 ms until it holds, failing the test after
// limit: a bound on a busy machine, not a speed requirement.
func WaitFor(t testing.TB, limit time.Duration, ok func() bool, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// FreePorts returns n loopback addresses free when asked.
func FreePorts(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// LogFile is where a child process writes; a file, so the test reads it
// after the fact.
func LogFile(t testing.TB, dir, name string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// ReadTail is the end of a log file.
func ReadTail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 3000 {
		data = data[len(data)-3000:]
	}
	return string(data)
}
