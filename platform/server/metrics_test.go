package server_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/moviesplatform/platform/promtest"
	"github.com/moviesplatform/platform/server"
)

// Two services of one process may register the same metric with the same
// labels; one /metrics still serves both, told apart by module, with the
// runtime collectors once.
func TestProcessGathererKeepsServicesApart(t *testing.T) {
	regs := map[string]prometheus.Gatherer{}
	for _, name := range []string{"gateway", "catalog"} {
		reg := server.NewRegistry()
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_server_requests_total", Help: "Requests."}, []string{"route", "code"})
		c.WithLabelValues("/api/movies/", "200").Inc()
		reg.MustRegister(c)
		regs[name] = reg
	}
	mfs, err := server.ProcessGatherer(regs).Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var requests *dto.MetricFamily
	goroutines := 0
	for _, mf := range mfs {
		switch mf.GetName() {
		case "http_server_requests_total":
			requests = mf
		case "go_goroutines":
			goroutines = len(mf.Metric)
		}
	}
	if goroutines != 1 {
		t.Errorf("go_goroutines has %d series, want 1", goroutines)
	}
	if requests == nil || len(requests.Metric) != 2 {
		t.Fatalf("http_server_requests_total: %v", requests)
	}
	var modules []string
	for _, m := range requests.Metric {
		var names []string
		for _, l := range m.Label {
			names = append(names, l.GetName())
			if l.GetName() == server.ModuleLabel {
				modules = append(modules, l.GetValue())
			}
		}
		if !slices.IsSorted(names) {
			t.Errorf("labels out of order: %v", names)
		}
	}
	slices.Sort(modules)
	if !slices.Equal(modules, []string{"catalog", "gateway"}) {
		t.Errorf("modules %v", modules)
	}

	// A process of one service exposes its series as they are.
	mfs, err = server.ProcessGatherer(map[string]prometheus.Gatherer{"gateway": regs["gateway"]}).Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == server.ModuleLabel {
					t.Errorf("%s labelled with a module in a one-service process", mf.GetName())
				}
			}
		}
	}
}

// Every service of a process says what it was built from, from the start.
func TestProcessGathererBuildInfo(t *testing.T) {
	g := server.ProcessGatherer(map[string]prometheus.Gatherer{"gateway": server.NewRegistry(), "catalog": server.NewRegistry()})
	if n, err := testutil.GatherAndCount(g, "movies_build_info"); err != nil || n != 2 {
		t.Fatalf("movies_build_info: %d series, err %v; want 2", n, err)
	}
	var services []string
	for _, s := range promtest.Series(t, g, "movies_build_info") {
		if s.Labels["version"] == "" || s.Labels["revision"] == "" || !strings.HasPrefix(s.Labels["goversion"], "go") || s.Value != 1 {
			t.Errorf("movies_build_info %v = %v", s.Labels, s.Value)
		}
		services = append(services, s.Labels["service"])
	}
	slices.Sort(services)
	if !slices.Equal(services, []string{"catalog", "gateway"}) {
		t.Errorf("services %v", services)
	}
}
