package livecheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moviesplatform/observability/internal/live"
)

const root = "../.."

// pending are series the rules or dashboards name that this run cannot see,
// each with the reason. A name missing from Prometheus and not listed here
// fails the test; a listed name that appears fails it too, so the list stays
// true (docs/observability.md keeps the same list).
var pending = map[string]string{
	// Exported only with read replicas, which this run (SQLite) has none of.
	"sqldb_replica_up":          "needs MOVIES_CATALOG_DB_REPLICA_DSNS",
	"sqldb_replica_lag_seconds": "needs MOVIES_CATALOG_DB_REPLICA_DSNS",
	"sqldb_reads_total":         "needs MOVIES_CATALOG_DB_REPLICA_DSNS",
}

// optional are series that may or may not exist in a run, by reason.
var optional = map[string]string{
	// Exists while an alert is pending or firing: a slow request on a busy
	// machine can start a latency SLO alert, which has no `for`.
	"ALERTS": "exists while an alert is pending or firing",
}

// TestRulesAndDashboardsAgainstPrometheus starts the services as separate
// processes and Debian's prometheus on loopback, sends a little traffic,
// then parses and evaluates every expression of every rule and dashboard and
// checks every series they name exists. scripts/test-promtool.sh runs it with
// MOVIES_PROMETHEUS_BIN set (installing the prometheus package when missing).
func TestRulesAndDashboardsAgainstPrometheus(t *testing.T) {
	promBin := os.Getenv("MOVIES_PROMETHEUS_BIN")
	if promBin == "" {
		t.Skip("MOVIES_PROMETHEUS_BIN not set (scripts/test-promtool.sh sets it)")
	}
	exprs, err := Collect(filepath.Join(root, "charts/movies/files/prometheus/movies-rules.yaml"), filepath.Join(root, "charts/movies/files/dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string][]string{} // metric name -> sources
	for _, e := range exprs {
		ns, err := Names(e.PromQL)
		if err != nil {
			t.Errorf("%s: does not parse: %v\n%s", e.Source, err, e.PromQL)
			continue
		}
		for _, n := range ns {
			names[n] = append(names[n], e.Source)
		}
	}
	if t.Failed() {
		return
	}

	platform := live.Start(t, root, nil, nil)
	dir := platform.Dir
	promAddr := live.FreePorts(t, 1)[0]

	config := "global: {scrape_interval: 1s, evaluation_interval: 1s}\n" +
		"rule_files: [" + filepath.Join(mustAbs(t, root), "charts/movies/files/prometheus/movies-rules.yaml") + "]\n" +
		"scrape_configs:\n"
	for _, target := range live.Targets {
		config += fmt.Sprintf("  - job_name: movies-%s\n    static_configs:\n      - targets: [%q]\n        labels: {namespace: test}\n", target, platform.Admin[target])
	}
	config += fmt.Sprintf("  - job_name: prometheus\n    static_configs:\n      - targets: [%q]\n", promAddr)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	live.Run(t, dir, "prometheus", exec.Command(promBin, "--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"), "--web.listen-address="+promAddr, "--log.level=warn"))
	api := "http://" + promAddr

	traffic(t, platform)
	// Every target scraped after the traffic, and the rules evaluated on it.
	live.WaitFor(t, 60*time.Second, func() bool {
		r, err := query(api, `count(up{namespace="test"} == 1) == 4 and count(http_server_requests_total{job="movies-gateway",route="/api/auth/token/",method="POST"})`)
		return err == nil && len(r) > 0
	}, "prometheus to scrape the four services:\n"+live.ReadTail(filepath.Join(dir, "prometheus.log")))
	live.WaitFor(t, 30*time.Second, func() bool {
		r, err := query(api, `slo:sli_error:ratio_rate5m{slo="write-availability"}`)
		return err == nil && len(r) > 0
	}, "the SLO recording rules to evaluate")

	checkExposition(t, promBin, platform)

	for _, e := range exprs {
		if _, err := query(api, e.PromQL); err != nil {
			t.Errorf("%s: Prometheus refuses it: %v\n%s", e.Source, err, e.PromQL)
		}
	}
	var missing []string
	for _, n := range sortedKeys(names) {
		r, err := query(api, fmt.Sprintf(`group({__name__=%q})`, n))
		if err != nil {
			t.Fatal(err)
		}
		exists := len(r) > 0
		reason, isPending := pending[n]
		switch {
		case optional[n] != "":
			if !exists {
				t.Logf("absent in this run: %s (%s)", n, optional[n])
			}
		case !exists && !isPending:
			missing = append(missing, n)
			t.Errorf("series %s does not exist; named by %s", n, strings.Join(uniq(names[n]), ", "))
		case exists && isPending:
			t.Errorf("series %s exists now: remove it from the pending list (%s) and docs/observability.md", n, reason)
		case !exists:
			t.Logf("pending: %s (%s)", n, reason)
		}
	}
	t.Logf("%d expressions parsed and evaluated, %d series named, %d missing", len(exprs), len(names), len(missing))
	// What the rules cost Prometheus, for docs/observability.md (a figure, never asserted).
	if r, err := query(api, `sum(prometheus_rule_group_last_duration_seconds{job="prometheus"})`); err == nil && len(r) > 0 {
		t.Logf("rule groups' last evaluation, summed (seconds): %s", r[0])
	}
}

// checkExposition runs `promtool check metrics` (beside the prometheus
// binary) on each service's /metrics after the traffic: names, units, help
// and counter suffixes after the Prometheus conventions.
func checkExposition(t *testing.T, promBin string, p *live.Platform) {
	t.Helper()
	promtool := filepath.Join(filepath.Dir(promBin), "promtool")
	for _, target := range live.Targets {
		resp, err := http.Get("http://" + p.Admin[target] + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics on %s: %v\n%s", target, err, out)
		}
	}
}

// traffic sends a little of every journey through the gateway.
func traffic(t *testing.T, p *live.Platform) {
	t.Helper()
	token := p.Login(t)
	p.Request(t, "POST", "/api/auth/token/", "", `{"username": "live-admin", "password": "wrong"}`)
	for i := range 5 {
		for _, path := range []string{"/api/movies/", "/api/movies/?page_size=5", "/api/movie/1/", "/api/movie/99999/",
			"/api/movies/?search=star", fmt.Sprintf("/api/movies/?search=godfather%d", i), "/api/search/?search=the"} {
			p.Request(t, "GET", path, "", "")
		}
	}
	id := p.CreateMovie(t, token, "Live Check")
	p.Request(t, "PATCH", fmt.Sprintf("/api/movie/%d/", id), token, `{"imdb_score": 6}`)
	p.Request(t, "GET", "/api/auth/me/", token, "")
}

func query(api, expr string) ([]json.RawMessage, error) {
	resp, err := http.PostForm(api+"/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Error  string
		Data   struct {
			ResultType string
			Result     json.RawMessage
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	var list []json.RawMessage
	if r.Data.ResultType == "vector" || r.Data.ResultType == "matrix" {
		_ = json.Unmarshal(r.Data.Result, &list)
	} else {
		list = []json.RawMessage{r.Data.Result}
	}
	return list, nil
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func uniq(s []string) []string {
	set := map[string]bool{}
	for _, v := range s {
		set[v] = true
	}
	return sortedKeys(set)
}
