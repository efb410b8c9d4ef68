package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/moviesplatform/observability/alerts"
)

// overview is what an SRE opens first: is every journey inside its SLO, how
// much budget is left, and the gateway's RED per route.
func overview(spec alerts.Spec) *dashboard.DashboardBuilder {
	b := newBoard("movies-overview", "Movies / Overview", JobGateway).
		Description("SLOs of the user journeys and the gateway's RED per route. Start here.")
	ns := `namespace="$namespace"`
	b = b.WithRow(row("SLOs (" + spec.Period + " budget)")).
		WithPanel(st("Error budget left", "percentunit", "Share of each SLO's error budget not yet spent over the period; below 0 the SLO is missed.",
			q(fmt.Sprintf(`%s{%s}`, alerts.RecordBudgetRemaining, ns), "{{slo}}")).Span(24).Height(6)).
		WithPanel(ts("Burn rate (1h)", "short", "How many times faster than sustainable each SLO spends its budget over the last hour: 1 spends it exactly over the period; the fast-burn page fires above 14.4.",
			q(fmt.Sprintf(`%s{%s} / on (slo) group_left () (1 - %s)`, alerts.RatioRecord("1h"), ns, alerts.RecordObjective), "{{slo}}")).Span(12)).
		WithPanel(ts("Burn rate (6h)", "short", "As above over six hours: the second fast-burn window pages above 6.",
			q(fmt.Sprintf(`%s{%s} / on (slo) group_left () (1 - %s)`, alerts.RatioRecord("6h"), ns, alerts.RecordObjective), "{{slo}}")).Span(12)).
		WithPanel(ts("Bad-request share (5m) vs budget", "percentunit", "Share of bad requests of each SLO over 5 minutes, and each SLO's error budget (1 - objective): above its budget line an SLO is burning faster than it can afford.",
			q(fmt.Sprintf(`%s{%s}`, alerts.RatioRecord("5m"), ns), "{{slo}}"),
			q(fmt.Sprintf(`1 - %s`, alerts.RecordObjective), "budget {{slo}}")).Span(12)).
		WithPanel(ts("Firing alerts", "short", "Movies alerts firing now, by name.",
			q(`sum by (alertname, severity) (ALERTS{alertstate="firing", alertname=~"Movies.*", namespace="$namespace"})`, "{{alertname}} ({{severity}})")).Span(12))
	return red(b, JobGateway)
}

func gateway() *dashboard.DashboardBuilder {
	s := sel(JobGateway)
	b := red(newBoard("movies-gateway", "Movies / Gateway", JobGateway).
		Description("The public edge: its routes, its calls to catalog, auth and search, breakers, shedding and caches."), JobGateway)
	return b.WithRow(row("Upstreams")).
		WithPanel(ts("Upstream calls by result", "ops", "Calls to each upstream by result: ok, client_error, failure, rejected (breaker open), shed (too many in flight), canceled.",
			q(fmt.Sprintf(`sum by (upstream, result) (rate(gateway_upstream_calls_total{%s}[$__rate_interval]))`, s), "{{upstream}} {{result}}"))).
		WithPanel(ts("Upstream failure share", "percentunit", "Share of calls to each upstream that failed, were rejected by the breaker or shed.",
			q(fmt.Sprintf(`sum by (upstream) (rate(gateway_upstream_calls_total{%s, result=~"failure|rejected|shed"}[$__rate_interval]))
/ sum by (upstream) (rate(gateway_upstream_calls_total{%s}[$__rate_interval]))`, s, s), "{{upstream}}"))).
		WithPanel(ts("Upstream latency p99", "s", "99th percentile of the gateway's calls to each upstream (gateway_upstream_call_duration_seconds).",
			qx(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, upstream) (rate(gateway_upstream_call_duration_seconds_bucket{%s}[$__rate_interval])))`, s), "{{upstream}}"))).
		WithPanel(ts("Breaker state", "short", "Circuit breaker per upstream and for the answer cache's Redis: 0 closed, 1 half-open, 2 open (worst pod).",
			q(fmt.Sprintf(`max by (upstream) (gateway_upstream_breaker_state{%s})`, s), "{{upstream}}"),
			q(fmt.Sprintf(`max(gateway_response_cache_redis_breaker_state{%s})`, s), "answer cache Redis")).Max(2)).
		WithPanel(ts("Shed", "ops", "Calls refused because too many were already in flight to that upstream (a 503).",
			q(fmt.Sprintf(`sum by (upstream) (rate(gateway_upstream_calls_total{%s, result="shed"}[$__rate_interval]))`, s), "{{upstream}}"))).
		WithPanel(ts("Rate-limited", "reqps", "Requests answered 429 by the gateway's rate limits.",
			q(fmt.Sprintf(`sum by (route) (rate(http_server_requests_total{%s, code="429"}[$__rate_interval]))`, s), "{{route}}"))).
		WithRow(row("Caches")).
		WithPanel(ts("Answer cache hit ratio", "percentunit", "Anonymous GETs answered from the gateway's 1 s answer cache.",
			q(fmt.Sprintf(`sum(rate(gateway_response_cache_lookups_total{%s, result="hit"}[$__rate_interval])) / sum(rate(gateway_response_cache_lookups_total{%s}[$__rate_interval]))`, s, s), "hit ratio"))).
		WithPanel(ts("Introspection cache hit ratio", "percentunit", "Token checks answered from the gateway's memory rather than auth-svc.",
			q(fmt.Sprintf(`sum(rate(gateway_auth_cache_lookups_total{%s, result="hit"}[$__rate_interval])) / sum(rate(gateway_auth_cache_lookups_total{%s}[$__rate_interval]))`, s, s), "hit ratio"))).
		WithPanel(ts("Answer cache Redis failures", "ops", "Redis calls of the answer cache that failed or ran out of budget, by operation.",
			q(fmt.Sprintf(`sum by (op) (rate(gateway_response_cache_redis_failures_total{%s}[$__rate_interval]))`, s), "{{op}}"),
		))
}

func catalog() *dashboard.DashboardBuilder {
	s := sel(JobCatalog)
	b := newBoard("movies-catalog", "Movies / Catalog", JobCatalog).
		Description("Movies CRUD and lists: cache layers, SQL, replicas, statement timeouts.")
	b = serviceCalls(red(b, JobCatalog), JobCatalog, "catalog")
	b = b.WithRow(row("Cache layers")).
		WithPanel(ts("Hit ratio by layer", "percentunit", "Lookups answered by the in-process L1 and by Redis (L2), by kind (movie, list).",
			q(fmt.Sprintf(`sum by (level, kind) (rate(catalog_cache_lookups_total{%s, result="hit"}[$__rate_interval]))
/ sum by (level, kind) (rate(catalog_cache_lookups_total{%s}[$__rate_interval]))`, s, s), "{{level}} {{kind}}"))).
		WithPanel(ts("Lookups", "ops", "Cache lookups by layer, kind and result.",
			q(fmt.Sprintf(`sum by (level, kind, result) (rate(catalog_cache_lookups_total{%s}[$__rate_interval]))`, s), "{{level}} {{kind}} {{result}}"))).
		WithPanel(ts("Fills and invalidations", "ops", "Store reads that fill the cache, and invalidations by source and result.",
			q(fmt.Sprintf(`sum by (kind) (rate(catalog_cache_fills_total{%s}[$__rate_interval]))`, s), "fill {{kind}}"),
			q(fmt.Sprintf(`sum by (source, result) (rate(catalog_cache_invalidations_total{%s}[$__rate_interval]))`, s), "invalidation {{source}} {{result}}"))).
		WithPanel(ts("Redis errors and breaker", "short", "Failed Redis operations per second by reason, and the breaker (2 = open).",
			q(fmt.Sprintf(`sum by (reason) (rate(catalog_cache_redis_errors_total{%s}[$__rate_interval]))`, s), "{{reason}}"),
			q(fmt.Sprintf(`max(catalog_cache_breaker_state{%s})`, s), "breaker"),
			q(fmt.Sprintf(`sum(catalog_cache_pending_invalidations{%s})`, s), "pending invalidations"))).
		WithRow(row("SQL")).
		WithPanel(ts("Query latency p99", "s", "99th percentile SQL statement time by operation (sqldb_query_duration_seconds).",
			qx(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, op) (rate(sqldb_query_duration_seconds_bucket{%s}[$__rate_interval])))`, s), "{{op}}"))).
		WithPanel(ts("Statement timeouts", "ops", "List and search calls the database stopped at their statement limit (a 504).",
			q(fmt.Sprintf(`sum by (method) (rate(catalog_service_calls_total{%s, outcome="504"}[$__rate_interval]))`, s), "{{method}}"))).
		WithPanel(dbPool(s))
	return replicas(b, s)
}

// replicas adds the catalog's read routing: reads by route, replica lag and rotation.
func replicas(b *dashboard.DashboardBuilder, s string) *dashboard.DashboardBuilder {
	return b.
		WithPanel(ts("Reads by route", "ops", "Reads sent to a replica, to the primary for read-your-writes, or to the primary for want of a replica.",
			q(fmt.Sprintf(`sum by (route) (rate(sqldb_reads_total{%s}[$__rate_interval]))`, s), "{{route}}"))).
		WithPanel(ts("Replica lag", "s", "Replication lag of each replica at its last check.",
			q(fmt.Sprintf(`max by (replica) (sqldb_replica_lag_seconds{%s})`, s), "{{replica}}"))).
		WithPanel(ts("Replicas in rotation", "short", "1 when a replica takes reads, 0 when out (down or lagging).",
			q(fmt.Sprintf(`min by (replica) (sqldb_replica_up{%s})`, s), "{{replica}}")).Max(1))
}

func dbPool(s string) *timeseries.PanelBuilder {
	return ts("Connection pool", "short", "database/sql pool of each pod: connections in use, idle, and waits for a free one (go_sql_*).",
		q(fmt.Sprintf(`sum by (db_name) (go_sql_in_use_connections{%s})`, s), "{{db_name}} in use"),
		q(fmt.Sprintf(`sum by (db_name) (go_sql_idle_connections{%s})`, s), "{{db_name}} idle"),
		q(fmt.Sprintf(`sum by (db_name) (rate(go_sql_wait_count_total{%s}[$__rate_interval]))`, s), "{{db_name}} waits/s"))
}

func search() *dashboard.DashboardBuilder {
	s := sel(JobSearch)
	b := newBoard("movies-search", "Movies / Search", JobSearch).
		Description("Full-text search: query latency, the engine, and how far the index is behind the catalog.")
	b = serviceCalls(red(b, JobSearch), JobSearch, "search")
	return b.WithRow(row("Indexer")).
		WithPanel(ts("Index lag", "s", "Age of the newest applied change while changes remain pending; 0 when caught up. Alert: MoviesSearchIndexLagging.",
			q(fmt.Sprintf(`max by (instance) (search_indexer_lag_seconds{%s})`, s), "{{instance}}"))).
		WithPanel(ts("Changes pending", "short", "Catalog changes not yet in each pod's index, and the feed head vs the index cursor.",
			q(fmt.Sprintf(`max by (instance) (search_indexer_lag_sequences{%s})`, s), "{{instance}} pending"))).
		WithPanel(ts("Since last feed read", "s", "Seconds since each indexer last read the change feed. Alert: MoviesSearchIndexerStalled.",
			q(fmt.Sprintf(`time() - max by (instance) (search_indexer_last_sync_timestamp_seconds{%s})`, s), "{{instance}}"))).
		WithPanel(ts("Changes applied", "ops", "Movies upserted or deleted in the index.",
			q(fmt.Sprintf(`sum by (op) (rate(search_indexer_changes_applied_total{%s}[$__rate_interval]))`, s), "{{op}}"))).
		WithPanel(ts("Indexer errors", "ops", "Failed indexer steps by stage, and full reindexes by result.",
			q(fmt.Sprintf(`sum by (stage) (rate(search_indexer_errors_total{%s}[$__rate_interval]))`, s), "{{stage}}"),
			q(fmt.Sprintf(`sum by (result) (increase(search_indexer_reindexes_total{%s}[$__rate_interval]))`, s), "reindex {{result}}"))).
		WithPanel(ts("Batch write p99", "s", "99th percentile time to write one page of changes to the index.",
			q(fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(search_indexer_batch_duration_seconds_bucket{%s}[$__rate_interval])))`, s), "p99"))).
		WithRow(row("Engine")).
		WithPanel(ts("Engine latency p99", "s", "99th percentile of calls into the search engine (Bleve or Meilisearch) by operation (search_engine_request_duration_seconds).",
			qx(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, engine, op) (rate(search_engine_request_duration_seconds_bucket{%s}[$__rate_interval])))`, s), "{{engine}} {{op}}"))).
		WithPanel(ts("Engine errors", "ops", "Failed engine calls by operation.",
			q(fmt.Sprintf(`sum by (engine, op) (rate(search_engine_errors_total{%s}[$__rate_interval]))`, s), "{{engine}} {{op}}")))
}

func auth() *dashboard.DashboardBuilder {
	s := sel(JobAuth)
	gw := sel(JobGateway)
	b := newBoard("movies-auth", "Movies / Auth", JobAuth).
		Description("Users and tokens: logins, throttling, introspection and the gateway's introspection cache.")
	b = serviceCalls(red(b, JobAuth), JobAuth, "auth")
	return b.WithRow(row("Logins and tokens")).
		WithPanel(ts("Logins by outcome", "ops", "Logins per second: ok, 400 (wrong credentials), 429 (throttled).",
			q(fmt.Sprintf(`sum by (outcome) (rate(auth_service_calls_total{%s, method="Login"}[$__rate_interval]))`, s), "{{outcome}}"))).
		WithPanel(ts("Throttled logins", "ops", "Logins refused by the per-user and per-client throttle (429).",
			q(fmt.Sprintf(`sum(rate(auth_service_calls_total{%s, method="Login", outcome="429"}[$__rate_interval]))`, s), "throttled"))).
		WithPanel(ts("Login latency p99", "s", "bcrypt makes a login slow on purpose; a rise means CPU starvation.",
			qx(fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(auth_service_call_duration_seconds_bucket{%s, method="Login"}[$__rate_interval])))`, s), "p99"))).
		WithPanel(ts("Introspections", "ops", "Token checks auth-svc answers, by outcome.",
			q(fmt.Sprintf(`sum by (outcome) (rate(auth_service_calls_total{%s, method="Introspect"}[$__rate_interval]))`, s), "{{outcome}}"))).
		WithPanel(ts("Gateway introspection cache", "percentunit", "Share of the gateway's token checks answered from its 5 s cache (gateway pods of the namespace).",
			q(fmt.Sprintf(`sum(rate(gateway_auth_cache_lookups_total{%s, result="hit"}[$__rate_interval])) / sum(rate(gateway_auth_cache_lookups_total{%s}[$__rate_interval]))`,
				gwNoInstance(gw), gwNoInstance(gw)), "hit ratio")))
}

// gwNoInstance drops the instance matcher: on another service's board the
// instance variable lists that service's pods, not the gateway's.
func gwNoInstance(string) string { return fmt.Sprintf(`job=%q, namespace="$namespace"`, JobGateway) }

func dataTier() *dashboard.DashboardBuilder {
	c := fmt.Sprintf(`job=%q, namespace="$namespace"`, JobCatalog)
	anyJob := `job=~"movies-.*", namespace="$namespace"`
	b := replicas(newBoard("movies-data", "Movies / Data tier", "movies-.*").
		Description("MySQL primary and replicas, Redis, as the services see them.").
		WithRow(row("MySQL")), c)
	return b.
		WithPanel(ts("Query latency p99", "s", "SQL statement time by service and operation.",
			qx(fmt.Sprintf(`histogram_quantile(0.99, sum by (le, job, op) (rate(sqldb_query_duration_seconds_bucket{%s}[$__rate_interval])))`, anyJob), "{{job}} {{op}}"))).
		WithPanel(ts("Connections in use", "short", "database/sql connections in use by service and database.",
			q(fmt.Sprintf(`sum by (job, db_name) (go_sql_in_use_connections{%s})`, anyJob), "{{job}} {{db_name}}"))).
		WithPanel(ts("Waits for a connection", "s", "Time spent waiting for a free pooled connection, per second.",
			q(fmt.Sprintf(`sum by (job, db_name) (rate(go_sql_wait_duration_seconds_total{%s}[$__rate_interval]))`, anyJob), "{{job}} {{db_name}}"))).
		WithRow(row("Redis")).
		WithPanel(ts("Breakers", "short", "Redis circuit breakers: 0 closed, 1 half-open, 2 open (worst pod).",
			q(fmt.Sprintf(`max(catalog_cache_breaker_state{%s})`, c), "catalog cache"),
			q(fmt.Sprintf(`max(gateway_response_cache_redis_breaker_state{job=%q, namespace="$namespace"})`, JobGateway), "gateway answer cache")).Max(2)).
		WithPanel(ts("Redis errors", "ops", "Failed or over-budget Redis calls.",
			q(fmt.Sprintf(`sum by (reason) (rate(catalog_cache_redis_errors_total{%s}[$__rate_interval]))`, c), "catalog {{reason}}"),
			q(fmt.Sprintf(`sum by (op) (rate(gateway_response_cache_redis_failures_total{job=%q, namespace="$namespace"}[$__rate_interval]))`, JobGateway), "gateway {{op}}"))).
		WithPanel(ts("Redis pool", "short", "go-redis pool per client: connections, idle, and timeouts waiting for one (redis_pool_*).",
			q(fmt.Sprintf(`sum by (job, client) (redis_pool_connections{%s})`, anyJob), "{{job}} {{client}} conns"),
			q(fmt.Sprintf(`sum by (job, client) (redis_pool_idle_connections{%s})`, anyJob), "{{job}} {{client}} idle"),
			q(fmt.Sprintf(`sum by (job, client) (rate(redis_pool_timeouts_total{%s}[$__rate_interval]))`, anyJob), "{{job}} {{client}} timeouts/s")))
}

func goRuntime() *dashboard.DashboardBuilder {
	s := `job=~"$job", namespace="$namespace", instance=~"$instance"`
	return newBoard("movies-go-runtime", "Movies / Go runtime", "$job").
		Description("The Go runtime and process of every movies pod.").
		WithVariable(queryVar("job", "Service", `label_values(up{job=~"movies-.*", namespace="$namespace"}, job)`, true)).
		WithRow(row("Go runtime")).
		WithPanel(ts("CPU", "short", "CPU cores used per pod.",
			q(fmt.Sprintf(`rate(process_cpu_seconds_total{%s}[$__rate_interval])`, s), "{{instance}}"))).
		WithPanel(ts("Resident memory", "bytes", "Resident set size per pod.",
			q(fmt.Sprintf(`process_resident_memory_bytes{%s}`, s), "{{instance}}"))).
		WithPanel(ts("Heap in use", "bytes", "Heap bytes allocated and in use.",
			q(fmt.Sprintf(`go_memstats_heap_inuse_bytes{%s}`, s), "{{instance}}"))).
		WithPanel(ts("Goroutines", "short", "A steady climb is a leak.",
			q(fmt.Sprintf(`go_goroutines{%s}`, s), "{{instance}}"))).
		WithPanel(ts("GC pause p100", "s", "Longest stop-the-world GC pause in the window.",
			q(fmt.Sprintf(`max by (instance) (go_gc_duration_seconds{%s, quantile="1"})`, s), "{{instance}}"))).
		WithPanel(ts("Allocation rate", "Bps", "Bytes allocated per second.",
			q(fmt.Sprintf(`rate(go_memstats_alloc_bytes_total{%s}[$__rate_interval])`, s), "{{instance}}"))).
		WithPanel(ts("Open file descriptors", "short", "Sockets and files per pod against the limit.",
			q(fmt.Sprintf(`process_open_fds{%s}`, s), "{{instance}} open"),
			q(fmt.Sprintf(`process_max_fds{%s}`, s), "{{instance}} max"))).
		WithPanel(ts("Build", "short", "Pods per version (movies_build_info).",
			q(fmt.Sprintf(`count by (job, version) (movies_build_info{%s})`, s), "{{job}} {{version}}")))
}
