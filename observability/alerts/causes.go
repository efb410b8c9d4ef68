package alerts

// Cause alerts say why a budget burns, or that it is about to: each names a
// component that has failed or degraded, with the series that shows it.
// Expressions use the metric names the services export (see
// docs/observability.md for the list and the ones still to come).
func causeRules() []Group {
	type cause struct {
		name, expr, forDur, severity, summary, description string
	}
	causes := []cause{
		{
			name: "MoviesTargetDown", severity: "warning", forDur: "5m",
			expr:        `up{job=~"movies-.*"} == 0`,
			summary:     "Prometheus cannot scrape a movies pod.",
			description: "{{ $labels.job }} {{ $labels.instance }} in {{ $labels.namespace }} has not answered /metrics for 5 minutes: the pod is down, its admin port is blocked, or it is stuck.",
		},
		{
			name: "MoviesSearchIndexLagging", severity: "warning", forDur: "10m",
			// Only the replica holding the index lease indexes; standbys' gauges are stale.
			expr: `max by (namespace, job, instance) (search_indexer_lag_seconds{job="movies-search"}) > 60` +
				` and on (namespace, job, instance) max by (namespace, job, instance) (search_indexer_leader{job="movies-search"}) == 1`,
			summary:     "Search results are more than a minute behind the catalog.",
			description: "The indexer of {{ $labels.instance }} in {{ $labels.namespace }} applies changes {{ $value | humanizeDuration }} after they were written: new and edited movies are not findable yet.",
		},
		{
			name: "MoviesSearchIndexerStalled", severity: "warning", forDur: "5m",
			expr: `time() - max by (namespace, job, instance) (search_indexer_last_sync_timestamp_seconds{job="movies-search"}) > 300` +
				` and on (namespace, job, instance) max by (namespace, job, instance) (search_indexer_leader{job="movies-search"}) == 1`,
			summary:     "The search indexer has not read the catalog change feed for 5 minutes.",
			description: "{{ $labels.instance }} in {{ $labels.namespace }} last read the change feed {{ $value | humanizeDuration }} ago: the catalog is unreachable from search-svc or the indexer is failing (see search_indexer_errors_total).",
		},
		{
			name: "MoviesCatalogReplicaDown", severity: "warning", forDur: "5m",
			expr:        `max by (namespace, job, replica) (sqldb_replica_up{job="movies-catalog"}) == 0`,
			summary:     "A catalog read replica is out of rotation.",
			description: "Replica {{ $labels.replica }} in {{ $labels.namespace }} has been out of read rotation for 5 minutes (down or lagging): its reads go to the other replicas or the primary.",
		},
		{
			name: "MoviesCatalogReplicaLagging", severity: "warning", forDur: "5m",
			expr:        `max by (namespace, job, replica) (sqldb_replica_lag_seconds{job="movies-catalog"}) > 30`,
			summary:     "A catalog read replica lags the primary by more than 30 seconds.",
			description: "Replica {{ $labels.replica }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} behind the primary.",
		},
		{
			name: "MoviesRedisBreakerOpen", severity: "warning", forDur: "5m",
			expr: `max by (namespace, job) (
  catalog_cache_breaker_state{job="movies-catalog"}
  or
  gateway_response_cache_redis_breaker_state{job="movies-gateway"}
) == 2`,
			summary:     "A Redis circuit breaker has been open for 5 minutes.",
			description: "{{ $labels.job }} in {{ $labels.namespace }} stopped calling Redis: requests are served from the in-process cache and the database, which now carries the load Redis took.",
		},
		{
			name: "MoviesUpstreamBreakerOpen", severity: "critical", forDur: "2m",
			expr:        `max by (namespace, upstream) (gateway_upstream_breaker_state{job="movies-gateway"}) == 2`,
			summary:     "The gateway's circuit breaker to {{ $labels.upstream }} is open.",
			description: "Gateway pods in {{ $labels.namespace }} have rejected calls to {{ $labels.upstream }} for 2 minutes: those requests fail fast with a 503 (search falls back to SQL).",
		},
		{
			name: "MoviesGatewayShedding", severity: "warning", forDur: "5m",
			expr: `sum by (namespace, upstream) (rate(gateway_upstream_calls_total{job="movies-gateway",result="shed"}[5m]))
/
sum by (namespace, upstream) (rate(gateway_upstream_calls_total{job="movies-gateway"}[5m]))
> 0.01`,
			summary:     "The gateway sheds more than 1% of its calls to {{ $labels.upstream }}.",
			description: "{{ $value | humanizePercentage }} of calls to {{ $labels.upstream }} in {{ $labels.namespace }} find too many calls already in flight and get a 503: the upstream is slow or under-provisioned.",
		},
		{
			name: "MoviesStatementTimeouts", severity: "warning", forDur: "10m",
			expr: `sum by (namespace) (rate(catalog_service_calls_total{job="movies-catalog",outcome="504"}[5m]))
/
sum by (namespace) (rate(catalog_service_calls_total{job="movies-catalog",method=~"List|Search"}[5m]))
> 0.001`,
			summary:     "The catalog database stops list or search statements at their time limit.",
			description: "{{ $value | humanizePercentage }} of catalog list and search calls in {{ $labels.namespace }} end with a 504 because the database stopped the statement: an unindexed filter, a plan gone bad, or an overloaded database.",
		},
	}
	g := Group{Name: "movies-causes"}
	for _, c := range causes {
		g.Rules = append(g.Rules, Rule{
			Alert: c.name, Expr: c.expr, For: c.forDur,
			Labels: map[string]string{"severity": c.severity},
			Annotations: map[string]string{
				"summary": c.summary, "description": c.description, "runbook_url": RunbookBase + c.name + ".md",
			},
		})
	}
	return []Group{g}
}

// Rules returns every rule of the platform: the SLOs' and the causes'.
func Rules(spec Spec) RuleFile {
	return RuleFile{Groups: append(SLORules(spec), causeRules()...)}
}
