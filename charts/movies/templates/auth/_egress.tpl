{{/* Egress of auth beyond DNS and the other components it calls. */}}
{{- define "movies.auth.egress" -}}
{{ include "movies.dbEgress" . }}
{{- if ne .Values.redis.mode "disabled" }}
{{ include "movies.redisEgress" . }}
{{- end }}
{{- end }}
