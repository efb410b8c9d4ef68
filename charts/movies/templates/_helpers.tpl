{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "movies.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "movies.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "movies.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of a component's objects: <fullname>-<component>, within 63 characters. */}}
{{- define "movies.componentName" -}}
{{- printf "%s-%s" (include "movies.fullname" .ctx | trunc (sub 62 (len .component) | int)) .component | trimSuffix "-" }}
{{- end }}

{{/* Selector labels; .component may be empty for release-wide objects. */}}
{{- define "movies.selectorLabels" -}}
app.kubernetes.io/name: {{ include "movies.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{- define "movies.labels" -}}
helm.sh/chart: {{ include "movies.chart" .ctx }}
{{ include "movies.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: movies
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "movies.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "movies.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Binary (and image) name of each component. */}}
{{- define "movies.binary" -}}
{{- get (dict "gateway" "gateway" "catalog" "catalog-svc" "auth" "auth-svc" "search" "search-svc") . }}
{{- end }}

{{- define "movies.image" -}}
{{- $v := index .ctx.Values .component }}
{{- $repo := default (printf "%s/%s" .ctx.Values.image.registry (include "movies.binary" .component)) $v.image.repository }}
{{- $tag := default (default .ctx.Chart.AppVersion .ctx.Values.image.tag) $v.image.tag }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/* In-cluster URL of a component's service. */}}
{{- define "movies.url" -}}
{{- printf "http://%s:%v" (include "movies.componentName" .) (index .ctx.Values .component).service.port }}
{{- end }}

{{/* Fails rendering on combinations the schema cannot express. */}}
{{- define "movies.validate" -}}
{{- range $c := list "gateway" "catalog" "auth" "search" }}
{{- $a := (index $.Values $c).autoscaling }}
{{- if gt (int $a.minReplicas) (int $a.maxReplicas) }}
{{- fail (printf "%s.autoscaling.minReplicas (%v) must not exceed maxReplicas (%v)" $c $a.minReplicas $a.maxReplicas) }}
{{- end }}
{{- end }}
{{- if and (eq .Values.database.mode "external") (not .Values.database.external.existingSecret) }}
{{- fail "database.mode=external needs database.external.existingSecret (keys catalog-dsn, auth-dsn, optional catalog-replica-dsns)" }}
{{- end }}
{{- if and .Values.gateway.trustedProxies .Values.gateway.trustedProxyHops }}
{{- fail "gateway.trustedProxies and gateway.trustedProxyHops are both set: trust proxies by address or by count, not both" }}
{{- end }}
{{- include "movies.validateConnections" . }}
{{- include "movies.validateSecrets" . }}
{{- if and (eq .Values.redis.mode "external") (not .Values.redis.external.addr) }}
{{- fail "redis.mode=external needs redis.external.addr" }}
{{- end }}
{{- if and (eq .Values.meilisearch.mode "external") (or (not .Values.meilisearch.external.url) (not .Values.meilisearch.external.existingSecret)) }}
{{- fail "meilisearch.mode=external needs meilisearch.external.url and meilisearch.external.existingSecret" }}
{{- end }}
{{- end }}

{{/*
Fails when the catalog and auth pods at their most (HPA maxReplicas, or replicas without the
HPA) could open more MySQL connections than database.maxConnections: past it the server refuses
new connections and every pod's requests fail at once, during the very load spike that scaled
them out. With Vitess the catalog's @replica DSN reaches the same vtgate, so it counts twice.
*/}}
{{- define "movies.validateConnections" -}}
{{- $v := .Values }}
{{- $total := 0 }}
{{- $parts := list }}
{{- range $c := list "catalog" "auth" }}
{{- $cv := index $v $c }}
{{- $pods := ternary $cv.autoscaling.maxReplicas $cv.replicas $cv.autoscaling.enabled | int }}
{{- $pools := ternary 2 1 (and (eq $c "catalog") (eq $v.database.mode "vitess")) }}
{{- $n := mul $pods $pools $cv.dbMaxOpenConnections }}
{{- $total = add $total $n }}
{{- $parts = append $parts (printf "%s %d pods x %d pools x %d" $c $pods $pools (int $cv.dbMaxOpenConnections)) }}
{{- end }}
{{- if gt (int $total) (int $v.database.maxConnections) }}
{{- fail (printf "MySQL connections at full scale (%s = %d) exceed database.maxConnections (%d): lower catalog/auth dbMaxOpenConnections or autoscaling.maxReplicas, or raise the server's max_connections and database.maxConnections to match" (join " + " $parts) (int $total) (int $v.database.maxConnections)) }}
{{- end }}
{{- end }}

{{/*
A random value generated on first install and read back from the live Secret afterwards, so
upgrades keep it. Offline rendering cannot look it up and would make a fresh one each time, which
a GitOps sync would apply as a rotation: generateSecrets=false (movies.validateSecrets) is for that.
*/}}
{{- define "movies.generated" -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .secret }}
{{- if and $existing (hasKey $existing.data .key) }}
{{- index $existing.data .key | b64dec }}
{{- else }}
{{- randAlphaNum 32 }}
{{- end }}
{{- end }}

{{- define "movies.dbSecretName" -}}
{{- if eq .Values.database.mode "external" }}
{{- .Values.database.external.existingSecret }}
{{- else }}
{{- default (printf "%s-db" (include "movies.fullname" .)) .Values.database.vitess.existingSecret }}
{{- end }}
{{- end }}

{{- define "movies.meiliSecretName" -}}
{{- default (include "movies.componentName" (dict "ctx" . "component" "meilisearch")) .Values.meilisearch.internal.existingSecret }}
{{- end }}

{{/*
With generateSecrets=false (offline rendering: helm template, Argo CD) a generated credential
would differ on every render and rotate the live one on every sync, so each must be named.
*/}}
{{- define "movies.validateSecrets" -}}
{{- if not .Values.generateSecrets }}
{{- $missing := list }}
{{- if not .Values.auth.admin.existingSecret }}{{ $missing = append $missing "auth.admin.existingSecret (key password)" }}{{ end }}
{{- if and (eq .Values.database.mode "vitess") (not .Values.database.vitess.existingSecret) }}{{ $missing = append $missing (printf "database.vitess.existingSecret (keys catalog-dsn, catalog-replica-dsns, auth-dsn%s, users.json with users %s, init_db.sql)" (ternary ", catalog-migrate-dsn, auth-migrate-dsn" "" .Values.database.separateMigrateAccounts) (include "movies.vitessUsers" . | splitList " " | join ", ")) }}{{ end }}
{{- if and (eq .Values.meilisearch.mode "internal") (not .Values.meilisearch.internal.existingSecret) }}{{ $missing = append $missing "meilisearch.internal.existingSecret (key master-key)" }}{{ end }}
{{- if $missing }}
{{- fail (printf "generateSecrets=false: the chart will not invent credentials that change on every render; create these Secrets and set %s" (join ", " $missing)) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "movies.adminSecretName" -}}
{{- default (printf "%s-admin" (include "movies.fullname" .)) .Values.auth.admin.existingSecret }}
{{- end }}

{{- define "movies.serviceKeysSecretName" -}}
{{- default (printf "%s-service-keys" (include "movies.fullname" .)) .Values.serviceIdentity.existingSecret }}
{{- end }}

{{/* Where a pod finds its service keys (the service-keys volume). */}}
{{- define "movies.serviceKeysDir" -}}/etc/movies/service-keys{{- end }}

{{/*
The service-keys volume of a component: its own private key when it calls another service
(gateway, search), the trusted public keys when it serves its port to one (catalog, auth, search).
*/}}
{{- define "movies.serviceKeysVolume" -}}
{{- $v := .ctx.Values.serviceIdentity }}
- name: service-keys
  secret:
    secretName: {{ include "movies.serviceKeysSecretName" .ctx }}
    defaultMode: 0440
    items:
      {{- if has .component (list "gateway" "search") }}
      - {key: {{ printf "%s.key" .component }}, path: {{ printf "identity/%s.key" .component }}}
      {{- end }}
      {{- if eq .component "gateway" }}
      - {key: cursor.key, path: cursor/cursor.key}
      {{- end }}
      {{- if has .component (list "catalog" "auth" "search") }}
      {{- range $v.publicKeys }}
      - {key: {{ . }}, path: {{ printf "trusted/%s" . }}}
      {{- end }}
      {{- end }}
{{- end }}

{{- define "movies.redisAddr" -}}
{{- if eq .Values.redis.mode "internal" }}
{{- printf "%s:6379" (include "movies.componentName" (dict "ctx" . "component" "redis")) }}
{{- else if eq .Values.redis.mode "external" }}
{{- .Values.redis.external.addr }}
{{- end }}
{{- end }}

{{/* Where a pod finds the Redis CA and client certificate (the redis-tls volume). */}}
{{- define "movies.redisTLSDir" -}}/etc/movies/redis-tls{{- end }}

{{/*
Redis of the gateway or catalog (.prefix MOVIES_GATEWAY_REDIS_ / MOVIES_CATALOG_REDIS_): address,
ACL user, password from redis.auth.existingSecret, TLS from redis.tls (platform/config.Redis).
*/}}
{{- define "movies.redisEnv" -}}
{{- $r := .ctx.Values.redis }}
{{- with include "movies.redisAddr" .ctx }}
- name: {{ $.prefix }}ADDR
  value: {{ . | quote }}
{{- with $r.auth.username }}
- name: {{ $.prefix }}USERNAME
  value: {{ . | quote }}
{{- end }}
{{- if $r.auth.existingSecret }}
{{ include "movies.secretEnv" (dict "name" (printf "%sPASSWORD" $.prefix) "secret" $r.auth.existingSecret "key" $r.auth.passwordKey) }}
{{- end }}
{{- if $r.tls.enabled }}
- name: {{ $.prefix }}TLS_ENABLED
  value: "true"
{{- with $r.tls.serverName }}
- name: {{ $.prefix }}TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if $r.tls.caSecret }}
- name: {{ $.prefix }}TLS_CA_FILE
  value: {{ printf "%s/ca.crt" (include "movies.redisTLSDir" $.ctx) | quote }}
{{- end }}
{{- if $r.tls.clientCertSecret }}
- name: {{ $.prefix }}TLS_CERT_FILE
  value: {{ printf "%s/tls.crt" (include "movies.redisTLSDir" $.ctx) | quote }}
- name: {{ $.prefix }}TLS_KEY_FILE
  value: {{ printf "%s/tls.key" (include "movies.redisTLSDir" $.ctx) | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The redis-tls volume (CA, client certificate) of a Redis user, when TLS has files to mount. */}}
{{- define "movies.redisTLSVolume" -}}
{{- $t := .ctx.Values.redis.tls }}
{{- if and (has .component (list "gateway" "catalog" "auth")) (include "movies.redisAddr" .ctx) $t.enabled (or $t.caSecret $t.clientCertSecret) }}
- name: redis-tls
  projected:
    defaultMode: 0440
    sources:
      {{- with $t.caSecret }}
      - secret:
          name: {{ . }}
          items: [{key: {{ $t.caKey }}, path: ca.crt}]
      {{- end }}
      {{- with $t.clientCertSecret }}
      - secret:
          name: {{ . }}
          items: [{key: tls.crt, path: tls.crt}, {key: tls.key, path: tls.key}]
      {{- end }}
{{- end }}
{{- end }}

{{- define "movies.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/*
Environment of a component, also used by its Jobs: .migrate (the migration Job only) adds the
service's migrate DSN when database.separateMigrateAccounts, so no Deployment ever holds it.
*/}}
{{- define "movies.env" -}}
{{- $ctx := .ctx }}
{{- $v := $ctx.Values -}}
- name: MOVIES_LOG_LEVEL
  value: {{ $v.logLevel | quote }}
- name: MOVIES_SHUTDOWN_TIMEOUT
  value: {{ $v.shutdown.timeout | quote }}
- name: MOVIES_DRAIN_DELAY
  value: {{ $v.shutdown.drainDelay | quote }}
- name: MOVIES_ADMIN_ADDR
  value: {{ printf ":%v" $v.admin.port | quote }}
- name: MOVIES_ADMIN_PPROF
  value: {{ $v.admin.pprof | quote }}
{{- if eq .component "gateway" }}
- name: MOVIES_GATEWAY_ADDR
  value: {{ printf ":%v" $v.gateway.service.port | quote }}
- name: MOVIES_GATEWAY_CATALOG_URL
  value: {{ include "movies.url" (dict "ctx" $ctx "component" "catalog") | quote }}
- name: MOVIES_GATEWAY_AUTH_URL
  value: {{ include "movies.url" (dict "ctx" $ctx "component" "auth") | quote }}
- name: MOVIES_GATEWAY_SEARCH_URL
  value: {{ include "movies.url" (dict "ctx" $ctx "component" "search") | quote }}
- name: MOVIES_GATEWAY_AUTH_CACHE_TTL
  value: {{ $v.gateway.authCacheTTL | quote }}
- name: MOVIES_GATEWAY_SERVICE_KEY_FILE
  value: {{ printf "%s/identity/gateway.key" (include "movies.serviceKeysDir" $ctx) | quote }}
- name: MOVIES_GATEWAY_CURSOR_KEY_FILE
  value: {{ printf "%s/cursor/cursor.key" (include "movies.serviceKeysDir" $ctx) | quote }}
{{- with $v.gateway.trustedProxies }}
- name: MOVIES_GATEWAY_TRUSTED_PROXIES
  value: {{ join "," . | quote }}
{{- end }}
{{- with $v.gateway.trustedProxyHops }}
- name: MOVIES_GATEWAY_TRUSTED_PROXY_HOPS
  value: {{ . | quote }}
{{- end }}
- name: MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE
  value: {{ $v.gateway.upstreamClientShare | toString | quote }}
{{- with $v.gateway.rateLimit }}
- name: MOVIES_GATEWAY_RATE_LIMIT
  value: {{ .enabled | quote }}
- name: MOVIES_GATEWAY_RATE_ANONYMOUS
  value: {{ .anonymous | quote }}
- name: MOVIES_GATEWAY_RATE_USER
  value: {{ .user | quote }}
- name: MOVIES_GATEWAY_RATE_LOGIN
  value: {{ .login | quote }}
- name: MOVIES_GATEWAY_RATE_USER_ADMIN
  value: {{ .userAdmin | quote }}
{{- end }}
{{- include "movies.redisEnv" (dict "ctx" $ctx "prefix" "MOVIES_GATEWAY_REDIS_") }}
{{- else if eq .component "catalog" }}
- name: MOVIES_CATALOG_ADDR
  value: {{ printf ":%v" $v.catalog.service.port | quote }}
- name: MOVIES_CATALOG_SERVICE_TRUSTED_KEYS
  value: {{ printf "%s/trusted" (include "movies.serviceKeysDir" $ctx) | quote }}
- name: MOVIES_CATALOG_DB_DRIVER
  value: mysql
{{ include "movies.secretEnv" (dict "name" "MOVIES_CATALOG_DB_DSN" "secret" (include "movies.dbSecretName" $ctx) "key" "catalog-dsn") }}
{{ include "movies.secretEnv" (dict "name" "MOVIES_CATALOG_DB_REPLICA_DSNS" "secret" (include "movies.dbSecretName" $ctx) "key" "catalog-replica-dsns" "optional" true) }}
{{- include "movies.migrateDSNEnv" . }}
- name: MOVIES_CATALOG_DB_MAX_OPEN_CONNS
  value: {{ $v.catalog.dbMaxOpenConnections | quote }}
- name: MOVIES_CATALOG_MIGRATE
  value: "false"
- name: MOVIES_CATALOG_IMPORT_IF_EMPTY
  value: "false"
{{- with $v.catalog.feedMaxAge }}
- name: MOVIES_CATALOG_FEED_MAX_AGE
  value: {{ . | quote }}
{{- end }}
{{- include "movies.redisEnv" (dict "ctx" $ctx "prefix" "MOVIES_CATALOG_REDIS_") }}
{{- else if eq .component "auth" }}
- name: MOVIES_AUTH_ADDR
  value: {{ printf ":%v" $v.auth.service.port | quote }}
- name: MOVIES_AUTH_SERVICE_TRUSTED_KEYS
  value: {{ printf "%s/trusted" (include "movies.serviceKeysDir" $ctx) | quote }}
- name: MOVIES_AUTH_DB_DRIVER
  value: mysql
{{ include "movies.secretEnv" (dict "name" "MOVIES_AUTH_DB_DSN" "secret" (include "movies.dbSecretName" $ctx) "key" "auth-dsn") }}
{{- include "movies.migrateDSNEnv" . }}
- name: MOVIES_AUTH_DB_MAX_OPEN_CONNS
  value: {{ $v.auth.dbMaxOpenConnections | quote }}
- name: MOVIES_AUTH_MIGRATE
  value: "false"
- name: MOVIES_ADMIN_USERNAME
  value: {{ $v.auth.admin.username | quote }}
{{ include "movies.secretEnv" (dict "name" "MOVIES_ADMIN_PASSWORD" "secret" (include "movies.adminSecretName" $ctx) "key" "password") }}
{{- include "movies.redisEnv" (dict "ctx" $ctx "prefix" "MOVIES_AUTH_REDIS_") }}
{{- else if eq .component "search" }}
- name: MOVIES_SEARCH_ADDR
  value: {{ printf ":%v" $v.search.service.port | quote }}
- name: MOVIES_SEARCH_CATALOG_URL
  value: {{ include "movies.url" (dict "ctx" $ctx "component" "catalog") | quote }}
- name: MOVIES_SEARCH_SERVICE_TRUSTED_KEYS
  value: {{ printf "%s/trusted" (include "movies.serviceKeysDir" $ctx) | quote }}
- name: MOVIES_SEARCH_SERVICE_KEY_FILE
  value: {{ printf "%s/identity/search.key" (include "movies.serviceKeysDir" $ctx) | quote }}
{{- with $v.search.indexerLeaseTTL }}
- name: MOVIES_SEARCH_INDEXER_LEASE_TTL
  value: {{ . | quote }}
{{- end }}
{{- if eq $v.meilisearch.mode "disabled" }}
- name: MOVIES_SEARCH_ENGINE
  value: bleve
- name: MOVIES_SEARCH_BLEVE_PATH
  value: /data/search
{{- else }}
- name: MOVIES_SEARCH_ENGINE
  value: meilisearch
{{- if eq $v.meilisearch.mode "internal" }}
- name: MOVIES_SEARCH_MEILI_URL
  value: {{ printf "http://%s:7700" (include "movies.componentName" (dict "ctx" $ctx "component" "meilisearch")) | quote }}
{{ include "movies.secretEnv" (dict "name" "MOVIES_SEARCH_MEILI_KEY" "secret" (include "movies.meiliSecretName" $ctx) "key" "master-key") }}
{{ include "movies.secretEnv" (dict "name" "MOVIES_SEARCH_MEILI_SEARCH_KEY" "secret" (include "movies.meiliSecretName" $ctx) "key" $v.meilisearch.internal.searchKeySecretKey "optional" true) }}
{{- else }}
- name: MOVIES_SEARCH_MEILI_URL
  value: {{ $v.meilisearch.external.url | quote }}
{{ include "movies.secretEnv" (dict "name" "MOVIES_SEARCH_MEILI_KEY" "secret" $v.meilisearch.external.existingSecret "key" $v.meilisearch.external.existingSecretKey) }}
{{ include "movies.secretEnv" (dict "name" "MOVIES_SEARCH_MEILI_SEARCH_KEY" "secret" $v.meilisearch.external.existingSecret "key" $v.meilisearch.external.searchKeySecretKey "optional" true) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* MOVIES_<SERVICE>_DB_MIGRATE_DSN of the catalog's or auth's migration Job. */}}
{{- define "movies.migrateDSNEnv" -}}
{{- if and .migrate .ctx.Values.database.separateMigrateAccounts }}
{{ include "movies.secretEnv" (dict "name" (printf "MOVIES_%s_DB_MIGRATE_DSN" (upper .component)) "secret" (include "movies.dbSecretName" .ctx) "key" (printf "%s-migrate-dsn" .component)) }}
{{- end }}
{{- end }}

{{/* Go runtime sized from the container's limits rather than the node's. */}}
{{- define "movies.runtimeEnv" -}}
- name: GOMAXPROCS
  valueFrom:
    resourceFieldRef:
      resource: limits.cpu
      divisor: "1"
- name: GOMEMLIMIT
  valueFrom:
    resourceFieldRef:
      resource: limits.memory
      divisor: "1"
{{- end }}

{{/*
Tracing: the pod's identity in every span's resource (the downward API), and the OTLP exporter
when tracing.endpoint is set. Nothing else reads these: unset, tracing is off.
*/}}
{{- define "movies.tracingEnv" -}}
- name: K8S_POD_NAME
  valueFrom:
    fieldRef: {fieldPath: metadata.name}
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef: {fieldPath: metadata.namespace}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME)"
{{- with .Values.tracing }}
{{- if .endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .protocol | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .samplerArg | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Egress to the trace collector on its endpoint's port (the scheme's when the URL has none). */}}
{{- define "movies.tracingEgress" -}}
{{- with .Values.tracing }}
{{- if .endpoint }}
{{- $u := urlParse .endpoint }}
{{- $port := ternary 443 80 (eq $u.scheme "https") }}
{{- if contains ":" $u.host }}
{{- $port = splitList ":" $u.host | last | int }}
{{- end }}
- {{- with .egressTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    - {port: {{ $port }}, protocol: TCP}
{{- end }}
{{- end }}
{{- end }}

{{/* NetworkPolicy peer: pods of one component of this release. */}}
{{- define "movies.peer" -}}
- podSelector:
    matchLabels:
      {{- include "movies.selectorLabels" . | nindent 6 }}
{{- end }}

{{- define "movies.dnsEgress" -}}
- to:
    - namespaceSelector:
        {{- toYaml .Values.networkPolicy.dnsNamespaceSelector | nindent 8 }}
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
{{- end }}

{{/* Egress to a list of CIDRs (any address when empty) on one port. */}}
{{- define "movies.cidrEgress" -}}
- {{- if .cidrs }}
  to:
    {{- range .cidrs }}
    - ipBlock: {cidr: {{ . | quote }}}
    {{- end }}
  {{- end }}
  ports:
    - {port: {{ .port }}, protocol: TCP}
{{- end }}

{{/* Egress to MySQL: vtgate pods, or the external database. */}}
{{- define "movies.dbEgress" -}}
{{- if eq .Values.database.mode "vitess" }}
- to:
    - podSelector:
        matchLabels:
          planetscale.com/cluster: {{ include "movies.vitessCluster" . }}
          planetscale.com/component: vtgate
  ports:
    - {port: 3306, protocol: TCP}
{{- else }}
{{ include "movies.cidrEgress" (dict "cidrs" .Values.database.external.cidrs "port" .Values.database.external.port) }}
{{- end }}
{{- end }}

{{/* The VitessCluster name doubles as a label value, so keep it short and DNS-safe. */}}
{{/*
vttablet's table ACL (Vitess tableacl JSON) for keyspace `movies`, which the catalog and auth share:
each service's vtgate users (users.json) reach its own tables only. The runtime user (`catalog`,
`auth`) reads and writes them; DDL (`admins`) goes to whoever runs the migration Jobs: the
`<service>_migrate` user with database.separateMigrateAccounts, else the runtime user itself.
`name%` is a prefix. With strict table ACL a table in no group is refused to everyone, so a new
table needs its service's group (chartcheck TestVitessTableACL reads the migrations).
information_schema.tables (read as `tables`) answers goose's "does the version table exist".
*/}}
{{- define "movies.vitessTableACL" -}}
{{- $separate := .Values.database.separateMigrateAccounts }}
{{- $tables := dict "catalog" (list "movie%" "genres" "idempotency_keys" "feed_%" "catalog_%") "auth" (list "users" "tokens" "auth_%") }}
{{- $groups := list }}
{{- $everyone := list }}
{{- range $svc := list "catalog" "auth" }}
{{- $migrator := ternary (printf "%s_migrate" $svc) $svc $separate }}
{{- $users := uniq (list $svc $migrator) }}
{{- $groups = append $groups (dict "name" $svc "table_names_or_prefixes" (get $tables $svc) "readers" $users "writers" $users "admins" (list $migrator)) }}
{{- $everyone = concat $everyone $users }}
{{- end }}
{{- $groups = append $groups (dict "name" "information_schema" "table_names_or_prefixes" (list "tables") "readers" $everyone "writers" (list) "admins" (list)) }}
{{- dict "table_groups" $groups | toJson }}
{{- end }}

{{/* The vtgate users of database.mode=vitess: each service's, and its migrate user when separate. */}}
{{- define "movies.vitessUsers" -}}
{{- $users := list "catalog" "auth" }}
{{- if .Values.database.separateMigrateAccounts }}
{{- $users = concat $users (list "catalog_migrate" "auth_migrate") }}
{{- end }}
{{- join " " $users }}
{{- end }}

{{- define "movies.vitessCluster" -}}
{{- include "movies.fullname" . | trunc 40 | trimSuffix "-" }}
{{- end }}

{{- define "movies.redisEgress" -}}
{{- if eq .Values.redis.mode "internal" }}
- to:
    {{- include "movies.peer" (dict "ctx" . "component" "redis") | nindent 4 }}
  ports:
    - {port: 6379, protocol: TCP}
{{- else }}
{{ include "movies.cidrEgress" (dict "cidrs" .Values.redis.external.cidrs "port" (splitList ":" .Values.redis.external.addr | last | int)) }}
{{- end }}
{{- end }}

{{- define "movies.meiliEgress" -}}
{{- if eq .Values.meilisearch.mode "internal" }}
- to:
    {{- include "movies.peer" (dict "ctx" . "component" "meilisearch") | nindent 4 }}
  ports:
    - {port: 7700, protocol: TCP}
{{- else if eq .Values.meilisearch.mode "external" }}
{{ include "movies.cidrEgress" (dict "cidrs" .Values.meilisearch.external.cidrs "port" .Values.meilisearch.external.port) }}
{{- end }}
{{- end }}
