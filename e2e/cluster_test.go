package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// binDir holds the service binaries built once by TestMain.
var binDir string

// services are the binaries the suite runs as separate processes.
var services = []string{"catalog-svc", "auth-svc", "search-svc", "gateway"}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "movies-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	args := []string{"build", "-o", dir + "/"}
	for _, s := range services {
		pkg := s
		if s == "gateway" {
			pkg = "gateway"
		}
		args = append(args, "github.com/moviesplatform/"+pkg+"/cmd/"+s)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = ".."
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the services:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cluster is one running platform: each service its own process on its own
// loopback port, talking HTTP to the others.
type cluster struct {
	t       testing.TB
	Gateway string // base URL
	Catalog string
	Auth    string
	Search  string
	// admin holds each service's admin listener (health, readiness,
	// metrics); see adminURL.
	admin   map[string]string
	env     []string
	procs   map[string]*process
	dataDir string
}

type process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Admin credentials the suite's clusters are started with.
const (
	adminUser     = "e2e-admin"
	adminPassword = "e2e-admin-password"
)

// startCluster starts every service with the given database settings
// (driver, catalog DSN, auth DSN).
func startCluster(t testing.TB, driver, catalogDSN, authDSN string) *cluster {
	t.Helper()
	ports := freePorts(t, 4+len(services))
	c := &cluster{
		t:       t,
		Gateway: "http://" + ports[0],
		Catalog: "http://" + ports[1],
		Auth:    "http://" + ports[2],
		Search:  "http://" + ports[3],
		admin:   map[string]string{},
		procs:   map[string]*process{},
		dataDir: t.TempDir(),
	}
	for i, s := range services {
		c.admin[s] = ports[4+i]
	}
	c.env = append(os.Environ(),
		"MOVIES_LOG_LEVEL=info",
		"MOVIES_GATEWAY_ADDR="+ports[0],
		"MOVIES_CATALOG_ADDR="+ports[1],
		"MOVIES_AUTH_ADDR="+ports[2],
		"MOVIES_SEARCH_ADDR="+ports[3],
		"MOVIES_GATEWAY_CATALOG_URL="+c.Catalog,
		"MOVIES_GATEWAY_AUTH_URL="+c.Auth,
		"MOVIES_GATEWAY_SEARCH_URL="+c.Search,
		"MOVIES_SEARCH_CATALOG_URL="+c.Catalog,
		"MOVIES_GATEWAY_AUTH_CACHE_TTL=1s",
		"MOVIES_CATALOG_DB_DRIVER="+driver,
		"MOVIES_CATALOG_DB_DSN="+catalogDSN,
		"MOVIES_AUTH_DB_DRIVER="+driver,
		"MOVIES_AUTH_DB_DSN="+authDSN,
		"MOVIES_SEARCH_BLEVE_PATH="+filepath.Join(c.dataDir, "search"),
		"MOVIES_ADMIN_USERNAME="+adminUser,
		"MOVIES_ADMIN_PASSWORD="+adminPassword,
	)
	t.Cleanup(c.stopAll)
	for _, s := range services {
		c.start(s)
	}
	return c
}

// adminURL is the base URL of a service's admin listener, where its
// /healthz, /readyz and /metrics are served (never on its API port).
func (c *cluster) adminURL(service string) string {
	return "http://" + c.admin[service]
}

func (c *cluster) url(service string) string {
	switch service {
	case "gateway":
		return c.Gateway
	case "catalog-svc":
		return c.Catalog
	case "auth-svc":
		return c.Auth
	default:
		return c.Search
	}
}

// start runs one service and waits until its /readyz answers 200.
func (c *cluster) start(name string) {
	c.t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(filepath.Join(binDir, name))
	cmd.Env = append(slices.Clip(c.env), "MOVIES_ADMIN_ADDR="+c.admin[name])
	cmd.Dir = c.dataDir
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	p := &process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c.procs[name] = p
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			c.t.Fatalf("%s exited during start:\n%s", name, out.String())
		default:
		}
		resp, err := http.Get(c.adminURL(name) + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("%s not ready after 60s:\n%s", name, out.String())
}

// stop ends one service gracefully (SIGTERM) and waits for it.
func (c *cluster) stop(name string) {
	p, ok := c.procs[name]
	if !ok {
		return
	}
	delete(c.procs, name)
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (c *cluster) stopAll() {
	if c.t.Failed() {
		for name, p := range c.procs {
			c.t.Logf("--- %s output ---\n%s", name, tail(p.out.String(), 4000))
		}
	}
	for _, name := range []string{"gateway", "search-svc", "auth-svc", "catalog-svc"} {
		c.stop(name)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func freePorts(t testing.TB, n int) []string {
	var out []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if cond() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var _ = strings.TrimSpace
