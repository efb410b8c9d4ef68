{{/* Egress of auth beyond DNS and the other components it calls. */}}
{{- define "movies.auth.egress" -}}
{{ include "movies.dbEgress" . }}
{{- end }}
