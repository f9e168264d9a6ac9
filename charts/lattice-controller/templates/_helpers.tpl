{{- define "lattice.labels" -}}
app.kubernetes.io/name: lattice-controller
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- define "lattice.serviceAccount" -}}
{{ .Values.serviceAccount.name | default "gateway-api-controller" }}
{{- end -}}
{{- define "lattice.webhookEnabled" -}}
{{- if or .Values.webhook.enabled (eq (lower (toString .Values.settings.WEBHOOK_ENABLED)) "true") }}true{{ end }}
{{- end -}}
