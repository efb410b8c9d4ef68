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
	"sync"
	"testing"
	"time"

	"github.com/moviesplatform/platform/servicetoken"
)

// binDir holds the binaries built once by TestMain.
var binDir string

// The services, by the name of their own binary.
const (
	svcCatalog = "catalog-svc"
	svcAuth    = "auth-svc"
	svcSearch  = "search-svc"
	svcGateway = "gateway"
)

// services in start order: a service starts after those it calls.
var services = []string{svcCatalog, svcAuth, svcSearch, svcGateway}

// A layout is one way to run the platform: which processes, each hosting
// which services. Every test runs once per layout, so the suite checks
// both the Kubernetes shape (a process per service, HTTP between them) and
// the one-command shape (moviesd -target=all, calls in-process).
type layout struct {
	name      string
	processes []processSpec
}

// processSpec is one process of a layout.
type processSpec struct {
	name     string // the binary in binDir, and the process's name in the harness
	pkg      string // the package go build makes it from
	args     []string
	services []string // the services it hosts
}

var allLayouts = []layout{
	{name: "separate", processes: []processSpec{
		{name: svcCatalog, pkg: "github.com/moviesplatform/catalog-svc/cmd/catalog-svc", services: []string{svcCatalog}},
		{name: svcAuth, pkg: "github.com/moviesplatform/auth-svc/cmd/auth-svc", services: []string{svcAuth}},
		{name: svcSearch, pkg: "github.com/moviesplatform/search-svc/cmd/search-svc", services: []string{svcSearch}},
		{name: svcGateway, pkg: "github.com/moviesplatform/gateway/cmd/gateway", services: []string{svcGateway}},
	}},
	{name: "single", processes: []processSpec{
		{name: "moviesd", pkg: "github.com/moviesplatform/moviesd", args: []string{"-target=all"}, services: services},
	}},
}

// layouts are the layouts this run covers: every one, or the one named by
// MOVIES_E2E_LAYOUT (separate or single) for a quicker local run.
var layouts []layout

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	want := os.Getenv("MOVIES_E2E_LAYOUT")
	for _, l := range allLayouts {
		if want == "" || want == l.name {
			layouts = append(layouts, l)
		}
	}
	if len(layouts) == 0 {
		fmt.Fprintf(os.Stderr, "MOVIES_E2E_LAYOUT=%q: want separate, single or nothing (both)\n", want)
		return 2
	}
	dir, err := os.MkdirTemp("", "movies-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	// One go build for every binary, so shared packages compile once.
	args := []string{"build", "-o", dir + "/"}
	for _, l := range layouts {
		for _, p := range l.processes {
			args = append(args, p.pkg)
		}
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = ".."
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the services:", err)
		return 1
	}
	return m.Run()
}

// forEachLayout runs test as a subtest per layout.
func forEachLayout(t *testing.T, test func(t *testing.T, l layout)) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) { test(t, l) })
	}
}

// cluster is one running platform on loopback ports, one per service
// whatever the layout.
type cluster struct {
	t       testing.TB
	layout  layout
	Gateway string // base URL
	Catalog string
	Auth    string
	Search  string
	// admin holds each process's admin listener (health, readiness,
	// metrics of the services it hosts), by process name; see opsURL.
	admin   map[string]string
	env     []string
	procs   map[string]*process
	started []string // process names in start order
	dataDir string
	// keyDir holds the service key pairs (moviesd keys' layout).
	keyDir string
}

// serviceToken is an Authorization header for a call from issuer (whose
// key is in the cluster's key directory) to audience, acting for actor.
func (c *cluster) serviceToken(issuer, audience string, actor servicetoken.Actor) string {
	return c.serviceTokenIssued(issuer, audience, actor, time.Time{})
}

// serviceTokenIssued is serviceToken issued at a given time (zero: now).
func (c *cluster) serviceTokenIssued(issuer, audience string, actor servicetoken.Actor, issued time.Time) string {
	c.t.Helper()
	data, err := os.ReadFile(filepath.Join(c.keyDir, issuer+".key"))
	if err != nil {
		c.t.Fatal(err)
	}
	key, err := servicetoken.ParsePrivateKey(data)
	if err != nil {
		c.t.Fatal(err)
	}
	s, err := servicetoken.NewSigner(issuer, key, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	var tok string
	if issued.IsZero() {
		tok, err = s.Token(audience, actor)
	} else {
		tok, err = s.Mint(audience, actor, issued)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return "Bearer " + tok
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

// startCluster starts the platform in layout l with the given database
// settings (driver, catalog DSN, auth DSN).
func startCluster(t testing.TB, l layout, driver, catalogDSN, authDSN string) *cluster {
	t.Helper()
	c := newCluster(t, l, driver, catalogDSN, authDSN)
	c.startAll()
	return c
}

// newCluster prepares the platform in layout l (ports, keys, environment)
// without starting it, so a test can put something between the services
// (setEnv) first; startAll starts it.
func newCluster(t testing.TB, l layout, driver, catalogDSN, authDSN string) *cluster {
	t.Helper()
	ports := freePorts(t, 4+len(l.processes))
	c := &cluster{
		t:       t,
		layout:  l,
		Gateway: "http://" + ports[0],
		Catalog: "http://" + ports[1],
		Auth:    "http://" + ports[2],
		Search:  "http://" + ports[3],
		admin:   map[string]string{},
		procs:   map[string]*process{},
		dataDir: t.TempDir(),
	}
	for i, p := range l.processes {
		c.admin[p.name] = ports[4+i]
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
		// The suite's requests all come from one address; the rate limits
		// and the per-client share of the calls in flight have their own
		// tests.
		"MOVIES_GATEWAY_RATE_LIMIT=false",
		"MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE=0",
		"MOVIES_CATALOG_DB_DRIVER="+driver,
		"MOVIES_CATALOG_DB_DSN="+catalogDSN,
		"MOVIES_AUTH_DB_DRIVER="+driver,
		"MOVIES_AUTH_DB_DSN="+authDSN,
		"MOVIES_SEARCH_BLEVE_PATH="+filepath.Join(c.dataDir, "search"),
		"MOVIES_ADMIN_USERNAME="+adminUser,
		"MOVIES_ADMIN_PASSWORD="+adminPassword,
	)
	// The separate processes authenticate each other with service keys,
	// made here as an operator makes them (moviesd keys).
	c.keyDir = filepath.Join(c.dataDir, "keys")
	for _, issuer := range []string{servicetoken.Gateway, servicetoken.Search, servicetoken.Operator} {
		if err := servicetoken.GenerateKeyFiles(c.keyDir, issuer); err != nil {
			t.Fatal(err)
		}
	}
	c.env = append(c.env,
		"MOVIES_CATALOG_SERVICE_TRUSTED_KEYS="+c.keyDir,
		"MOVIES_AUTH_SERVICE_TRUSTED_KEYS="+c.keyDir,
		"MOVIES_SEARCH_SERVICE_TRUSTED_KEYS="+c.keyDir,
		"MOVIES_GATEWAY_SERVICE_KEY_FILE="+filepath.Join(c.keyDir, "gateway.key"),
		"MOVIES_SEARCH_SERVICE_KEY_FILE="+filepath.Join(c.keyDir, "search.key"),
	)
	t.Cleanup(c.stopAll)
	return c
}

// setEnv overrides variables of the cluster's environment (NAME=value
// each) for the processes started from now on.
func (c *cluster) setEnv(vars ...string) { c.env = append(c.env, vars...) }

// startAll starts every process of the layout, each after those it calls.
func (c *cluster) startAll() {
	c.t.Helper()
	for _, s := range services {
		if p := c.hostOf(s); c.procs[p.name] == nil {
			c.startProcess(p)
		}
	}
}

func (c *cluster) url(service string) string {
	switch service {
	case svcGateway:
		return c.Gateway
	case svcCatalog:
		return c.Catalog
	case svcAuth:
		return c.Auth
	default:
		return c.Search
	}
}

// opsURL is where a service serves /healthz, /readyz and /metrics: the
// admin listener of the process hosting it, never its API port.
func (c *cluster) opsURL(service string) string { return "http://" + c.admin[c.hostOf(service).name] }

// hostOf is the process of the cluster's layout that hosts service.
func (c *cluster) hostOf(service string) processSpec {
	for _, p := range c.layout.processes {
		if slices.Contains(p.services, service) {
			return p
		}
	}
	c.t.Fatalf("layout %s has no process for %s", c.layout.name, service)
	return processSpec{}
}

// runsAlone says whether service has a process of its own, so stopping it
// leaves the others running.
func (c *cluster) runsAlone(service string) bool {
	return len(c.hostOf(service).services) == 1
}

// start runs the process hosting service.
func (c *cluster) start(service string) { c.startProcess(c.hostOf(service)) }

// stop ends the process hosting service, which must run alone.
func (c *cluster) stop(service string) {
	if !c.runsAlone(service) {
		c.t.Fatalf("cannot stop %s alone in the %s layout", service, c.layout.name)
	}
	c.stopProcess(c.hostOf(service).name)
}

// startProcess runs p and waits until every service it hosts answers
// /readyz with 200.
func (c *cluster) startProcess(p processSpec) {
	c.t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(filepath.Join(binDir, p.name), p.args...)
	cmd.Env = append(slices.Clip(c.env), "MOVIES_ADMIN_ADDR="+c.admin[p.name])
	cmd.Dir = c.dataDir
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", p.name, err)
	}
	proc := &process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(proc.done) }()
	c.procs[p.name] = proc
	c.started = append(c.started, p.name)
	deadline := time.Now().Add(60 * time.Second)
	for _, s := range p.services {
		for !c.ready(s) {
			select {
			case <-proc.done:
				c.t.Fatalf("%s exited during start:\n%s", p.name, out.String())
			default:
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%s: %s not ready after 60s:\n%s", p.name, s, out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// ready says whether service answers /readyz with 200.
func (c *cluster) ready(service string) bool {
	resp, err := http.Get(c.opsURL(service) + "/readyz")
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stopProcess ends one process gracefully (SIGTERM) and waits for it.
func (c *cluster) stopProcess(name string) {
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

// kill ends one process with SIGKILL, as a crash or an OOM kill would:
// no shutdown, no flush. It returns once the process is gone.
func (c *cluster) kill(name string) {
	c.t.Helper()
	p, ok := c.procs[name]
	if !ok {
		c.t.Fatalf("kill %s: not running", name)
	}
	delete(c.procs, name)
	if err := p.cmd.Process.Kill(); err != nil {
		c.t.Fatalf("kill %s: %v", name, err)
	}
	<-p.done
}

// stopAll stops the processes in reverse start order, showing their output
// when the test failed.
func (c *cluster) stopAll() {
	if c.t.Failed() {
		for name, p := range c.procs {
			c.t.Logf("--- %s output ---\n%s", name, tail(p.out.String(), 4000))
		}
	}
	for _, name := range slices.Backward(c.started) {
		c.stopProcess(name)
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
