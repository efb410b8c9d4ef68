{{/* Egress of search beyond DNS and the other components it calls. */}}
{{- define "movies.search.egress" -}}
{{ include "movies.meiliEgress" . }}
{{- end }}
