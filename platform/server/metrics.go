package server

import (
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
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
// and process collectors once, and each service's metrics, keyed by service
// name. When the process runs more than one service, their series carry
// module="<name>", so the same metric of two services stays two series.
func ProcessGatherer(services map[string]prometheus.Gatherer) prometheus.Gatherer {
	runtime := prometheus.NewRegistry()
	runtime.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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
