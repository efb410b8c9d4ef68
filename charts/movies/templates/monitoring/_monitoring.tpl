{{/*
Whether to render a Prometheus-operator object: .enabled is "auto" (only when the cluster serves
.api, which `helm install` sees and `helm template` / Argo CD do not), true or false.
Renders "true" or nothing.
*/}}
{{- define "movies.monitoringRendered" -}}
{{- if eq (toString .enabled) "auto" }}
{{- if .ctx.Capabilities.APIVersions.Has .api }}true{{ end }}
{{- else if eq (toString .enabled) "true" }}true
{{- end }}
{{- end }}
