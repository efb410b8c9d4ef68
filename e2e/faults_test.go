package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/moviesplatform/platform/redisx/redistest"
	"github.com/moviesplatform/platform/sqldb"
	"github.com/moviesplatform/platform/sqldb/sqltest"
)

// The fault matrix: the platform in its Kubernetes shape (a process per
// service, on MariaDB and Redis) with a toxiproxy proxy, run in this test's
// process, on every hop between the parts. Each cell puts one toxic on one
// hop while clients read and write, then takes it off, and checks:
//   - no acknowledged write is lost (the database against the clients'
//     acknowledgements, after the clients retried their unacknowledged
//     creates with the same Idempotency-Key);
//   - reads are answered, or refused with 503/504 where the hop is the
//     catalog itself (never a 500, never a dropped connection);
//   - no request waits past the gateway's deadlines (plus a generous margin);
//   - the hop's breakers open when every call through it is reset, and
//     every circuit breaker is closed again afterwards;
//   - search converges: every stored movie found once, by its stored name,
//     and no deleted one.

// Deadlines the cluster runs with: each upstream call of the gateway.
const (
	faultUpstreamTimeout = time.Second
	// faultRequestBound is the longest any request may take: a write waits
	// for auth then the catalog, a search for search-svc then the catalog's
	// fallback (two deadlines), plus a margin for a loaded 2-core machine.
	faultRequestBound = 2*faultUpstreamTimeout + 3*time.Second
	faultWindow       = 1500 * time.Millisecond
)

// A toxic, as toxiproxy's JSON; each is on the downstream (answers) so the
// request reaches the peer and only its answer is hurt: the write may have
// happened without the client being told.
var faultToxics = []struct{ name, json string }{
	{"latency 400ms±100", `{"name":"fault","type":"latency","attributes":{"latency":400,"jitter":100}}`},
	{"bandwidth 2KB/s", `{"name":"fault","type":"bandwidth","attributes":{"rate":2}}`},
	{"reset_peer", `{"name":"fault","type":"reset_peer","attributes":{"timeout":0}}`},
	{"timeout 300ms", `{"name":"fault","type":"timeout","attributes":{"timeout":300}}`},
	{"stalled peer", `{"name":"fault","type":"timeout","attributes":{"timeout":0}}`},
}

// faultHop is one connection between two parts and what the platform
// promises while it is hurt.
type faultHop struct {
	name  string
	proxy *toxiproxy.Proxy
	// readsServed: anonymous reads still get 200 (degraded where the
	// answer says so); otherwise 503/504 are allowed too.
	readsServed bool
	// writesServed: admin writes still get their 2xx.
	writesServed bool
	// breakers are the breakers guarding this hop: a reset peer (every
	// call fails at once) must open them.
	breakers []string
}

func TestFaultMatrix(t *testing.T) {
	i := slices.IndexFunc(layouts, func(l layout) bool { return l.name == "separate" })
	if i < 0 {
		t.Skip("the fault matrix runs on the separate layout")
	}
	catalogDSN, authDSN := sqltest.MySQL(t), sqltest.MySQL(t)
	redisAddr := redistest.RedisAddr(t)

	// toxiproxy's toxics log through zerolog's global logger.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	toxics := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	proxy := func(name, upstream string) *toxiproxy.Proxy {
		p := toxiproxy.NewProxy(toxics, name, "127.0.0.1:0", upstream)
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
		return p
	}
	hostOf := func(u string) string { pu, _ := url.Parse(u); return pu.Host }

	dsn, err := mysql.ParseDSN(catalogDSN)
	if err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, layouts[i], string(sqldb.MySQL), catalogDSN, authDSN)
	hops := []*faultHop{
		{name: "gateway → catalog", proxy: proxy("gateway-catalog", hostOf(c.Catalog)), breakers: []string{"catalog-read", "catalog-write"}},
		{name: "gateway → auth", proxy: proxy("gateway-auth", hostOf(c.Auth)), readsServed: true, breakers: []string{"auth-introspect"}},
		{name: "gateway → search", proxy: proxy("gateway-search", hostOf(c.Search)), readsServed: true, writesServed: true, breakers: []string{"search"}},
		{name: "catalog → MariaDB", proxy: proxy("catalog-mariadb", dsn.Addr), breakers: []string{"catalog-write"}},
		{name: "catalog → Redis", proxy: proxy("catalog-redis", redisAddr), readsServed: true, writesServed: true, breakers: []string{"catalog-redis"}},
		{name: "gateway → Redis", proxy: proxy("gateway-redis", redisAddr), readsServed: true, writesServed: true, breakers: []string{"gateway-redis"}},
		{name: "search → catalog feed", proxy: proxy("search-catalog", hostOf(c.Catalog)), readsServed: true, writesServed: true},
	}
	viaDSN := *dsn
	viaDSN.Addr = hops[3].proxy.Listen
	timeout := faultUpstreamTimeout.String()
	c.setEnv(
		"MOVIES_LOG_LEVEL=error",
		"MOVIES_GATEWAY_CATALOG_URL=http://"+hops[0].proxy.Listen,
		"MOVIES_GATEWAY_AUTH_URL=http://"+hops[1].proxy.Listen,
		"MOVIES_GATEWAY_SEARCH_URL=http://"+hops[2].proxy.Listen,
		"MOVIES_CATALOG_DB_DSN="+viaDSN.FormatDSN(),
		"MOVIES_CATALOG_REDIS_ADDR="+hops[4].proxy.Listen,
		"MOVIES_CATALOG_CACHE_NAMESPACE="+redistest.Namespace(),
		"MOVIES_CATALOG_CACHE_BREAKER_OPEN=1s",
		"MOVIES_GATEWAY_REDIS_ADDR="+hops[5].proxy.Listen,
		"MOVIES_GATEWAY_REDIS_NAMESPACE="+redistest.Namespace(),
		"MOVIES_GATEWAY_REDIS_BREAKER_OPEN=1s",
		"MOVIES_SEARCH_CATALOG_URL=http://"+hops[6].proxy.Listen,
		"MOVIES_GATEWAY_CATALOG_TIMEOUT="+timeout,
		"MOVIES_GATEWAY_AUTH_TIMEOUT="+timeout,
		"MOVIES_GATEWAY_SEARCH_TIMEOUT="+timeout,
		"MOVIES_GATEWAY_UPSTREAM_BREAKER_OPEN=1s",
	)
	c.startAll()
	db, err := sqldb.Open(context.Background(), sqldb.MySQL, catalogDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	admin := login(t, c.Gateway, adminUser, adminPassword)

	var table []string
	for _, hop := range hops {
		for _, toxic := range faultToxics {
			t.Run(hop.name+"/"+toxic.name, func(t *testing.T) {
				table = append(table, runFaultCell(t, c, db, admin, hop, toxic.name, toxic.json))
			})
		}
	}
	t.Logf("fault matrix (copy into docs/reliability.md):\n| hop | fault | reads (client saw) | writes (client saw) | slowest | breakers opened | acked writes lost | search converged |\n|---|---|---|---|---|---|---|---|\n%s",
		strings.Join(table, "\n"))
}

// runFaultCell runs one cell and returns its row of the matrix.
func runFaultCell(t *testing.T, c *cluster, db *sql.DB, admin string, hop *faultHop, toxicName, toxicJSON string) string {
	w := newWorkload(c, admin)
	opened := map[string]bool{}
	sample := func() {
		for name, v := range breakerStates(t, c) {
			if v == 2 {
				opened[name] = true
			}
		}
	}

	if _, err := hop.proxy.Toxics.AddToxicJson(strings.NewReader(toxicJSON)); err != nil {
		t.Fatal(err)
	}
	removed := false
	remove := func() {
		if !removed {
			removed = true
			if err := hop.proxy.Toxics.RemoveToxic(context.Background(), "fault"); err != nil {
				t.Error(err)
			}
		}
	}
	defer remove()
	stop, cancel := context.WithTimeout(context.Background(), faultWindow)
	done := make(chan struct{})
	go func() { defer close(done); w.run(stop, 3, 3, 4*faultRequestBound) }()
	for stop.Err() == nil {
		sample()
		time.Sleep(100 * time.Millisecond)
	}
	<-done
	cancel()
	remove()

	// Recovery: clients retry their lost creates and keep reading until
	// every breaker is closed again.
	w.retryCreates(t, 60*time.Second)
	recovered := time.Now()
	for {
		sample()
		states := breakerStates(t, c)
		if !slices.ContainsFunc(slices.Collect(maps.Values(states)), func(v float64) bool { return v != 0 }) {
			break
		}
		if time.Since(recovered) > 30*time.Second {
			t.Fatalf("breakers not closed 30s after the fault: %v", states)
		}
		w.probe()
		time.Sleep(100 * time.Millisecond)
	}

	if toxicName == "reset_peer" {
		for _, b := range hop.breakers {
			if !opened[b] {
				t.Errorf("breaker %s never seen open while every call through %s was reset", b, hop.name)
			}
		}
	}
	stored := w.checkStore(t, db)
	converged := w.waitSearchConverges(t, stored, 60*time.Second)

	reads, writes := map[string]int{}, map[string]int{}
	var slowest time.Duration
	for _, o := range w.outcomes {
		slowest = max(slowest, o.elapsed)
		seen := reads
		write := o.kind == "create" || o.kind == "update" || o.kind == "delete"
		if write {
			seen = writes
		}
		label := fmt.Sprint(o.status)
		switch {
		case o.err != nil:
			label = "no answer"
		case o.degraded:
			label += " degraded"
		case o.status == http.StatusServiceUnavailable && o.retryAfter:
			label += " Retry-After"
		}
		seen[label]++
		if o.elapsed > faultRequestBound {
			t.Errorf("%s took %s, past the bound %s", o.kind, o.elapsed.Round(time.Millisecond), faultRequestBound)
		}
		ok := o.err == nil && o.status >= 200 && o.status < 300
		unavailable := o.err == nil && (o.status == http.StatusServiceUnavailable || o.status == http.StatusGatewayTimeout)
		switch {
		case ok:
		case unavailable && !write && !hop.readsServed, unavailable && write && !hop.writesServed:
		default:
			t.Errorf("%s: status %d, error %v: not an answer this fault allows", o.kind, o.status, o.err)
		}
	}
	lost := "none"
	if t.Failed() {
		lost = "SEE FAILURE"
	}
	t.Logf("%s / %s: reads %v, writes %v, acknowledged %v, breakers opened %v, search converged in %s",
		hop.name, toxicName, reads, writes, w.acknowledged(), slices.Sorted(maps.Keys(opened)), converged.Round(10*time.Millisecond))
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | yes, %d movies (%s after recovery) |",
		hop.name, toxicName, countsCell(reads), countsCell(writes), slowest.Round(10*time.Millisecond),
		strings.Join(slices.Sorted(maps.Keys(opened)), ", "), lost, len(stored), converged.Round(100*time.Millisecond))
}

// probe drives one request through each breaker so a half-open one can
// close: a read of each kind and an admin write.
func (w *workload) probe() {
	for _, u := range []string{"/api/movie/1/", "/api/movies/?page_size=3", "/api/movies/?search=probe"} {
		_, _ = call(http.MethodGet, w.c.Gateway+u, "", nil)
	}
	_, _ = call(http.MethodPatch, w.c.Gateway+"/api/movie/1/", w.admin, map[string]any{"imdb_score": 8.0})
}

func countsCell(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// breakerStates reads every circuit breaker's state (0 closed, 1
// half-open, 2 open) from the gateway's and the catalog's /metrics.
func breakerStates(t testing.TB, c *cluster) map[string]float64 {
	states := map[string]float64{}
	for _, m := range []struct{ service, metric string }{
		{svcGateway, "gateway_upstream_breaker_state"},
		{svcGateway, "gateway_response_cache_redis_breaker_state"},
		{svcCatalog, "catalog_cache_breaker_state"},
	} {
		resp, err := http.Get(c.opsURL(m.service) + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, m.metric) {
				continue
			}
			name, value, _ := strings.Cut(line, " ")
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("%s: %q", m.metric, line)
			}
			name = strings.TrimPrefix(name, m.metric)
			if name == "" {
				name = m.metric
			} else {
				name = strings.Trim(strings.TrimPrefix(name, `{upstream="`), `"}`)
			}
			switch m.metric {
			case "gateway_response_cache_redis_breaker_state":
				name = "gateway-redis"
			case "catalog_cache_breaker_state":
				name = "catalog-redis"
			}
			states[name] = v
		}
		resp.Body.Close()
	}
	return states
}
