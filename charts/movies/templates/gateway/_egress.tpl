{{/* Egress of gateway beyond DNS and the other components it calls. */}}
{{- define "movies.gateway.egress" -}}
{{- if ne .Values.redis.mode "disabled" }}
{{ include "movies.redisEgress" . }}
{{- end }}
{{- end }}
