package server

import (
	"maps"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

	"github.com/moviesplatform/platform/telemetry"
)

// ModuleLabel tells apart the services of one process (moviesd -target=all)
// on its one /metrics.
const ModuleLabel = "module"

// NewRegistry returns an empty registry for one service. Each service owns
// its registry: nothing registers on the process-wide default, so one
// process can run several services. The Go runtime and process collectors
// are added once per process by ProcessGatherer.
func NewRegistry() *prometheus.Registry {
	return prometheus.NewRegistry()
}

// ProcessGatherer is what a process's admin listener serves: the Go runtime
// and process collectors once, movies_build_info once per service, and each
// service's metrics, keyed by service name. When the process runs more than one service, their series carry
// module="<name>", so the same metric of two services stays two series.
func ProcessGatherer(services map[string]prometheus.Gatherer) prometheus.Gatherer {
	runtime := prometheus.NewRegistry()
	runtime.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	runtime.MustRegister(buildInfo(slices.Sorted(maps.Keys(services))))
	out := prometheus.Gatherers{runtime}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		g := services[name]
		if len(services) > 1 {
			g = withLabel(g, ModuleLabel, name)
		}
		out = append(out, g)
	}
	return out
}

// withLabel adds name=value to every series g gathers.
func withLabel(g prometheus.Gatherer, name, value string) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		for _, mf := range mfs {
			for _, m := range mf.Metric {
				m.Label = append(m.Label, &dto.LabelPair{Name: &name, Value: &value})
				slices.SortFunc(m.Label, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
			}
		}
		return mfs, err
	})
}

// buildInfo is movies_build_info = 1 for each service, labelled with what
// the binary was built from: the version OTel reports as service.version,
// the VCS revision the toolchain stamped ("unknown" for a build without
// one) and the Go version. A deploy shows on the dashboards as the version
// label changing.
func buildInfo(services []string) prometheus.Collector {
	revision, goVersion := "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				revision = s.Value
			}
		}
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name:        "movies_build_info",
		Help:        "Always 1, labelled with the service and the version, VCS revision and Go version of its binary.",
		ConstLabels: prometheus.Labels{"version": telemetry.Version(), "revision": revision, "goversion": goVersion},
	}, []string{"service"})
	for _, s := range services {
		info.WithLabelValues(s).Set(1)
	}
	return info
}
