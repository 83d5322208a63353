{{/*
Names and labels. Objects are named after the release: release "muster" gives muster-orchestrator,
muster-sample-app and so on.
*/}}
{{- define "muster.orchestrator.name" -}}
{{- printf "%s-orchestrator" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "muster.sample.name" -}}
{{- printf "%s-sample-%s" .root.Release.Name .role | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The labels that select a component's pods: (dict "root" $ "name" "muster" "component" "orchestrator"). */}}
{{- define "muster.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every label of an object or a pod template: the selector labels and those that describe. */}}
{{- define "muster.labels" -}}
{{ include "muster.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: muster
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* image: repository:tag, the tag defaulting to the chart's appVersion. (dict "root" $ "image" .Values.image) */}}
{{- define "muster.image" -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{/* The pod-level security context: non-root, as the images' user 10001. */}}
{{- define "muster.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Every container's: no privilege, no capability, a read-only root filesystem. */}}
{{- define "muster.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The secretKeyRef env entry: (dict "name" "MUSTER_TOKEN" "secret" .Values.token.secretName "key" .Values.token.secretKey) */}}
{{- define "muster.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/* What muster-wait and the SDK read, alike for the init container and the service. (dict "root" $ "role" "app" "url" URL) */}}
{{- define "muster.sample.env" -}}
- name: MUSTER_URL
  value: {{ .url }}
{{- if .root.Values.token.secretName }}
{{ include "muster.secretEnv" (dict "name" "MUSTER_TOKEN" "secret" .root.Values.token.secretName "key" .root.Values.token.secretKey) }}
{{- end }}
- name: MUSTER_SERVICE
  value: {{ .role }}
- name: MUSTER_SCHEMA
  value: public
- name: MUSTER_TIMEOUT
  value: "600"
{{- end -}}
