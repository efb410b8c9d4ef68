{{/*
The objects every service component has. Each templates/<component>/ file includes one of these
with (dict "ctx" $ "component" "<name>"), so the four components cannot drift apart.
*/}}

{{- define "movies.deployment" -}}
{{- $ctx := .ctx }}
{{- $v := index $ctx.Values .component }}
{{- $sel := dict "ctx" $ctx "component" .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "movies.componentName" $sel }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "movies.labels" $sel | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "movies.selectorLabels" $sel | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "movies.labels" $sel | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include "movies.env" $sel | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "movies.serviceAccountName" $ctx }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ $ctx.Values.shutdown.terminationGracePeriodSeconds }}
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $ctx.Values.podSecurityContext | nindent 8 }}
      topologySpreadConstraints:
        {{- if $v.topologySpreadConstraints }}
        {{- toYaml $v.topologySpreadConstraints | nindent 8 }}
        {{- else }}
        {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
        - maxSkew: 1
          topologyKey: {{ $key }}
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "movies.selectorLabels" $sel | nindent 14 }}
        {{- end }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "movies.image" $sel }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          args:
            - serve
            {{- range $v.extraArgs }}
            - {{ . | quote }}
            {{- end }}
          ports:
            - name: http
              containerPort: {{ $v.service.port }}
              protocol: TCP
            # Health, readiness and metrics: never on the API port.
            - name: admin
              containerPort: {{ $ctx.Values.admin.port }}
              protocol: TCP
          env:
            {{- include "movies.env" $sel | nindent 12 }}
            {{- include "movies.runtimeEnv" $ctx | nindent 12 }}
            {{- include "movies.tracingEnv" $ctx | nindent 12 }}
            {{- with $v.env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            httpGet: {path: /healthz, port: admin}
            {{- toYaml $v.probes.startup | nindent 12 }}
          readinessProbe:
            httpGet: {path: /readyz, port: admin}
            {{- toYaml $v.probes.readiness | nindent 12 }}
          livenessProbe:
            httpGet: {path: /healthz, port: admin}
            {{- toYaml $v.probes.liveness | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $ctx.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: service-keys
              mountPath: {{ include "movies.serviceKeysDir" $ctx }}
              readOnly: true
            {{- if and (eq .component "search") (eq $ctx.Values.meilisearch.mode "disabled") }}
            - name: index
              mountPath: /data/search
            {{- end }}
            {{- if include "movies.redisTLSVolume" . }}
            - name: redis-tls
              mountPath: {{ include "movies.redisTLSDir" $ctx }}
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {sizeLimit: 64Mi}
        {{- include "movies.serviceKeysVolume" . | nindent 8 }}
        {{- with include "movies.redisTLSVolume" . }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- if and (eq .component "search") (eq $ctx.Values.meilisearch.mode "disabled") }}
        # Each pod keeps its own Bleve index, rebuilt from the catalog change feed.
        - name: index
          emptyDir: {sizeLimit: 2Gi}
        {{- end }}
{{- end }}

{{- define "movies.service" -}}
{{- $v := index .ctx.Values .component }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "movies.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "movies.labels" . | nindent 4 }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "movies.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
    # Scraped by Prometheus (ServiceMonitor endpoints use the name); the Ingress and HTTPRoute
    # route only `http`, and the NetworkPolicy opens this port to monitoring alone.
    - name: admin
      port: {{ .ctx.Values.admin.port }}
      targetPort: admin
      protocol: TCP
{{- end }}

{{- define "movies.hpa" -}}
{{- $a := (index .ctx.Values .component).autoscaling }}
{{- if $a.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "movies.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "movies.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "movies.componentName" . }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $a.targetCPUUtilizationPercentage }}
    {{- if $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ $a.targetMemoryUtilizationPercentage }}
    {{- end }}
    {{- if $a.requestsPerSecond.enabled }}
    - type: Pods
      pods:
        metric:
          name: {{ $a.requestsPerSecond.metricName }}
        target:
          type: AverageValue
          averageValue: {{ $a.requestsPerSecond.averageValue | quote }}
    {{- end }}
  {{- with $a.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "movies.pdb" -}}
{{- $p := (index .ctx.Values .component).pdb }}
{{- if $p.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "movies.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "movies.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $p.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "movies.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{- define "movies.serviceMonitor" -}}
{{- if include "movies.monitoringRendered" (dict "ctx" .ctx "enabled" .ctx.Values.serviceMonitor.enabled "api" "monitoring.coreos.com/v1/ServiceMonitor") }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "movies.componentName" . }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "movies.labels" . | nindent 4 }}
    {{- with .ctx.Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "movies.selectorLabels" . | nindent 6 }}
  endpoints:
    # The admin listener: /metrics is never on the public port.
    - port: admin
      path: /metrics
      interval: {{ .ctx.Values.serviceMonitor.interval }}
      scrapeTimeout: {{ .ctx.Values.serviceMonitor.scrapeTimeout }}
      relabelings:
        # The job the alerts and dashboards select on (movies-gateway, ...), whatever the
        # release is called; namespace tells releases apart.
        - action: replace
          targetLabel: job
          replacement: movies-{{ .component }}
{{- end }}
{{- end }}

{{/*
NetworkPolicy of a component, per port: the API port (http) from its callers only, the admin port
(health, readiness, metrics) from the monitoring pods only; egress only to its dependencies and
DNS. .from and .to are lists of component names; .egress is extra egress rules as YAML.
*/}}
{{- define "movies.networkPolicy" -}}
{{- $ctx := .ctx }}
{{- if $ctx.Values.networkPolicy.enabled }}
{{- $v := index $ctx.Values .component }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "movies.componentName" . }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "movies.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "movies.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- if .public }}
    - {{- with $ctx.Values.networkPolicy.gatewayIngressFrom }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - {port: http, protocol: TCP}
    {{- else }}
    - from:
        {{- range .from }}
        {{- include "movies.peer" (dict "ctx" $ctx "component" .) | nindent 8 }}
        {{- end }}
      ports:
        - {port: http, protocol: TCP}
    {{- end }}
    # One peer with both selectors: the monitoring pods in the monitoring namespace, not every
    # pod there, and never the API port.
    - from:
        - namespaceSelector:
            {{- toYaml $ctx.Values.networkPolicy.monitoring.namespaceSelector | nindent 12 }}
          podSelector:
            {{- toYaml $ctx.Values.networkPolicy.monitoring.podSelector | nindent 12 }}
      ports:
        - {port: admin, protocol: TCP}
  egress:
    {{- include "movies.dnsEgress" $ctx | nindent 4 }}
    {{- range .to }}
    - to:
        {{- include "movies.peer" (dict "ctx" $ctx "component" .) | nindent 8 }}
      ports:
        - {port: {{ (index $ctx.Values .).service.port }}, protocol: TCP}
    {{- end }}
    {{- with .egress }}
    {{- . | trim | nindent 4 }}
    {{- end }}
    {{- with include "movies.tracingEgress" $ctx }}
    {{- . | trim | nindent 4 }}
    {{- end }}
{{- end }}
{{- end }}
