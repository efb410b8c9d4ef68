// Package dashboards builds the platform's Grafana dashboards with the
// Grafana Foundation SDK. Every dashboard has the same variables: the
// Prometheus datasource, the traces datasource exemplars link to, the
// namespace and the instance; every query selects on them.
package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/moviesplatform/observability/alerts"
)

// Jobs of the services, as the chart's ServiceMonitors name them.
const (
	JobGateway = "movies-gateway"
	JobCatalog = "movies-catalog"
	JobAuth    = "movies-auth"
	JobSearch  = "movies-search"
)

// All returns every dashboard as indented JSON, by file name (without .json).
func All(spec alerts.Spec) (map[string][]byte, error) {
	builders := map[string]*dashboard.DashboardBuilder{
		"movies-overview":   overview(spec),
		"movies-gateway":    gateway(),
		"movies-catalog":    catalog(),
		"movies-search":     search(),
		"movies-auth":       auth(),
		"movies-data":       dataTier(),
		"movies-go-runtime": goRuntime(),
	}
	out := map[string][]byte{}
	for name, b := range builders {
		d, err := b.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		data, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		out[name] = append(data, '\n')
	}
	return out, nil
}

var promDS = common.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${datasource}")}

// newBoard starts a dashboard whose instance variable lists the pods of jobRe.
func newBoard(uid, title, jobRe string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags([]string{"movies"}).
		Editable().
		Refresh("30s").
		Time("now-3h", "now").
		Timezone(common.TimeZoneUtc).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("Movies").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"movies"}).AsDropdown(true).IncludeVars(true).KeepTime(true)).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Prometheus").Type("prometheus")).
		// Exemplars on latency panels carry trace ids; the Prometheus datasource's
		// exemplar link (docs/observability.md) opens them in this datasource.
		WithVariable(dashboard.NewDatasourceVariableBuilder("traces").Label("Traces").Type("tempo")).
		WithVariable(queryVar("namespace", "Namespace", `label_values(up{job=~"movies-.*"}, namespace)`, false)).
		WithVariable(queryVar("instance", "Instance",
			fmt.Sprintf(`label_values(up{job=~%q, namespace="$namespace"}, instance)`, jobRe), true))
}

func queryVar(name, label, query string, multi bool) *dashboard.QueryVariableBuilder {
	v := dashboard.NewQueryVariableBuilder(name).Label(label).
		Query(dashboard.StringOrMap{String: ptr(query)}).
		Datasource(promDS).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
	if multi {
		v = v.Multi(true).IncludeAll(true).AllValue(".*")
	}
	return v
}

// sel is the selector of a job's series under the dashboard's variables.
func sel(job string, extra ...string) string {
	s := fmt.Sprintf(`job=%q, namespace="$namespace", instance=~"$instance"`, job)
	for _, e := range extra {
		s += ", " + e
	}
	return s
}

func q(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(promDS).Expr(expr).LegendFormat(legend).Range()
}

// qx is a query whose exemplars (trace ids) are shown.
func qx(expr, legend string) *prometheus.DataqueryBuilder { return q(expr, legend).Exemplar(true) }

func row(title string) *dashboard.RowBuilder { return dashboard.NewRowBuilder(title) }

func ts(title, unit, desc string, queries ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Description(desc).Unit(unit).
		Datasource(promDS).Height(8).Span(8).
		FillOpacity(10).ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
	for _, qb := range queries {
		p = p.WithTarget(qb)
	}
	return p
}

func st(title, unit, desc string, queries ...*prometheus.DataqueryBuilder) *stat.PanelBuilder {
	p := stat.NewPanelBuilder().Title(title).Description(desc).Unit(unit).
		Datasource(promDS).Height(5).Span(6).
		ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeArea)
	for _, qb := range queries {
		p = p.WithTarget(qb.Instant())
	}
	return p
}

// red adds the request rate, error ratio and latency of job's router, per route.
func red(b *dashboard.DashboardBuilder, job string) *dashboard.DashboardBuilder {
	s := sel(job)
	return b.WithRow(row("Requests per route (RED)")).
		WithPanel(ts("Requests", "reqps", "Requests served per second, by route and method.",
			q(fmt.Sprintf(`sum by (route, method) (rate(http_server_requests_total{%s}[$__rate_interval]))`, s), "{{method}} {{route}}"))).
		WithPanel(ts("Errors (5xx share)", "percentunit", "Share of requests answered with a 5xx, by route and method.",
			q(fmt.Sprintf(`sum by (route, method) (rate(http_server_requests_total{%s, code=~"5.."}[$__rate_interval]))
/ sum by (route, method) (rate(http_server_requests_total{%s}[$__rate_interval]))`, s, s), "{{method}} {{route}}"))).
		WithPanel(ts("Latency p99", "s", "99th percentile time to serve, by route and method. Dots are exemplars: click one to open its trace.",
			qx(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, route, method) (rate(http_server_request_duration_seconds_bucket{%s}[$__rate_interval])))`, s), "{{method}} {{route}}"))).
		WithPanel(ts("Latency p50", "s", "Median time to serve, by route and method.",
			qx(fmt.Sprintf(`histogram_quantile(0.5, sum by (le, route, method) (rate(http_server_request_duration_seconds_bucket{%s}[$__rate_interval])))`, s), "{{method}} {{route}}"))).
		WithPanel(ts("Status codes", "reqps", "Answers per second by status code.",
			q(fmt.Sprintf(`sum by (code) (rate(http_server_requests_total{%s}[$__rate_interval]))`, s), "{{code}}"))).
		WithPanel(ts("In flight", "short", "Requests being served, per pod.",
			q(fmt.Sprintf(`sum by (instance) (http_server_requests_in_flight{%s})`, s), "{{instance}}")))
}

// serviceCalls adds the go-kit service layer's calls of job's service.
func serviceCalls(b *dashboard.DashboardBuilder, job, service string) *dashboard.DashboardBuilder {
	s := sel(job)
	return b.WithRow(row("Service calls")).
		WithPanel(ts("Calls by outcome", "ops", "Business calls per second by method and outcome (ok, or the error's HTTP status).",
			q(fmt.Sprintf(`sum by (method, outcome) (rate(%s_service_calls_total{%s}[$__rate_interval]))`, service, s), "{{method}} {{outcome}}"))).
		WithPanel(ts("Call latency p99", "s", "99th percentile duration of a business call, by method.",
			qx(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, method) (rate(%s_service_call_duration_seconds_bucket{%s}[$__rate_interval])))`, service, s), "{{method}}")))
}

func ptr[T any](v T) *T { return &v }
