{{/* Egress of catalog beyond DNS and the other components it calls. */}}
{{- define "movies.catalog.egress" -}}
{{ include "movies.dbEgress" . }}
{{- if ne .Values.redis.mode "disabled" }}
{{ include "movies.redisEgress" . }}
{{- end }}
{{- end }}
