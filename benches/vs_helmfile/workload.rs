//! The generated workload both tools run: N releases of two local charts of
//! realistic size (ten templates, a `_helpers.tpl`, a subchart under
//! `charts/`), two environments with layered values files, a `.gotmpl`
//! release values file, and `needs` between releases. Everything is local:
//! no chart repository, no network.
//!
//! Layout of a workload directory:
//!
//! ```text
//! helmfile.yaml                     the same file for helmfire and helmfile
//! environments/{common,staging,production}.yaml
//! values/{common,web,worker}.yaml   release values, layered
//! values/release.yaml.gotmpl        rendered per release (.Values, .Release, .Environment)
//! charts/{web,worker}/              Chart.yaml, values.yaml, templates/, charts/common/
//! ```

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// The environment every measured command selects with `-e`.
pub const ENVIRONMENT: &str = "production";

/// Every how many releases one gets the `rollout` value that `apply` with
/// changes bumps: 10% of the releases.
pub const CHANGED_EVERY: usize = 10;

/// Writes a workload of `releases` releases in `namespace` into `dir`.
/// `generation` is the `rollout` value of every tenth release: writing the
/// workload again with another generation changes 10% of the releases.
pub fn write(dir: &Path, releases: usize, namespace: &str, generation: u32) {
    write_support_files(dir);
    set_generation(dir, releases, namespace, generation);
}

/// Writes a workload of `releases` releases spread round-robin over
/// `namespaces` namespaces named `<prefix>-00`, `<prefix>-01`, ... (the
/// scale rows). The first N releases of a bigger spread workload are the
/// N releases of a smaller one, with the same names and namespaces.
pub fn write_spread(dir: &Path, releases: usize, prefix: &str, namespaces: usize) {
    write_support_files(dir);
    let namespace_of = |i: usize| format!("{prefix}-{:02}", i % namespaces);
    write_file(dir, "helmfile.yaml", &helmfile(releases, &namespace_of, 0));
}

/// The charts, environments and values files every workload shares.
fn write_support_files(dir: &Path) {
    for chart in ["web", "worker"] {
        write_chart(&dir.join("charts").join(chart), chart);
    }
    write_file(dir, "environments/common.yaml", ENV_COMMON);
    write_file(dir, "environments/staging.yaml", ENV_STAGING);
    write_file(dir, "environments/production.yaml", ENV_PRODUCTION);
    write_file(dir, "values/common.yaml", VALUES_COMMON);
    write_file(dir, "values/web.yaml", VALUES_WEB);
    write_file(dir, "values/worker.yaml", VALUES_WORKER);
    write_file(dir, "values/release.yaml.gotmpl", VALUES_GOTMPL);
}

/// Rewrites only `helmfile.yaml` with another `rollout` generation.
pub fn set_generation(dir: &Path, releases: usize, namespace: &str, generation: u32) {
    write_file(dir, "helmfile.yaml", &helmfile(releases, &|_| namespace.to_string(), generation));
}

/// Release `i`'s name.
pub fn release_name(i: usize) -> String {
    format!("app-{i:03}")
}

/// Release `i`'s chart (a directory under `charts/`).
pub fn chart_of(i: usize) -> &'static str {
    if i.is_multiple_of(2) { "web" } else { "worker" }
}

/// The state file: environments in the first part (helmfile v1's layout),
/// releases in the second. Releases alternate between the two charts; in
/// each group of ten, the last five need the first five (a two-level DAG).
fn helmfile(releases: usize, namespace_of: &dyn Fn(usize) -> String, generation: u32) -> String {
    let mut text = String::from(HELMFILE_HEAD);
    for i in 0..releases {
        let chart = chart_of(i);
        let tier = if i.is_multiple_of(2) { "frontend" } else { "backend" };
        let namespace = namespace_of(i);
        writeln!(text, "- name: {}\n  namespace: {namespace}\n  chart: ./charts/{chart}", release_name(i)).unwrap();
        writeln!(text, "  labels:\n    tier: {tier}\n    group: g{:02}", i / 10).unwrap();
        if i % 10 >= 5 {
            writeln!(text, "  needs:\n  - {}/{}", namespace_of(i - 5), release_name(i - 5)).unwrap();
        }
        writeln!(text, "  values:\n  - values/common.yaml\n  - values/{chart}.yaml\n  - values/release.yaml.gotmpl")
            .unwrap();
        if i.is_multiple_of(CHANGED_EVERY) {
            writeln!(text, "  - rollout: \"{generation}\"").unwrap();
        }
    }
    text
}

fn write_chart(dir: &Path, name: &str) {
    let chart_yaml = format!(
        "apiVersion: v2\nname: {name}\ndescription: A generated {name} service for helmfire's benchmarks\n\
         type: application\nversion: 1.2.3\nappVersion: \"4.5.6\"\n"
    );
    write_file(dir, "Chart.yaml", &chart_yaml);
    write_file(dir, "values.yaml", &CHART_VALUES.replace("CHART", name));
    write_file(dir, ".helmignore", ".git/\n*.swp\n*.bak\n");
    for (file, text) in CHART_TEMPLATES {
        write_file(dir, &format!("templates/{file}"), &text.replace("CHART", name));
    }
    let sub = dir.join("charts/common");
    write_file(&sub, "Chart.yaml", "apiVersion: v2\nname: common\nversion: 0.1.0\ntype: application\n");
    write_file(&sub, "values.yaml", "enabled: true\ndata: {}\n");
    write_file(&sub, "templates/_labels.tpl", SUB_LABELS);
    write_file(&sub, "templates/configmap.yaml", SUB_CONFIGMAP);
}

fn write_file(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

const HELMFILE_HEAD: &str = "\
environments:
  staging:
    values:
    - environments/common.yaml
    - environments/staging.yaml
  production:
    values:
    - environments/common.yaml
    - environments/production.yaml
---
helmDefaults:
  createNamespace: true
  historyMax: 5

releases:
";

const ENV_COMMON: &str = "\
replicas: 1
imageTag: \"1.0.0\"
logLevel: info
clusterName: bench
region: eu-west-1
features:
  tracing: false
  metrics: true
";

const ENV_STAGING: &str = "logLevel: debug\nfeatures:\n  tracing: true\n";

const ENV_PRODUCTION: &str = "replicas: 2\nimageTag: \"1.0.1\"\nlogLevel: warn\nregion: eu-central-1\n";

const VALUES_COMMON: &str = "\
podLabels:
  team: platform
resources:
  requests:
    cpu: 50m
    memory: 64Mi
config:
  LOG_FORMAT: json
";

const VALUES_WEB: &str = "\
ingress:
  enabled: true
service:
  port: 8080
";

const VALUES_WORKER: &str = "\
autoscaling:
  enabled: true
  maxReplicas: 4
networkPolicy:
  enabled: false
";

const VALUES_GOTMPL: &str = r#"{{- /* rendered per release by helmfire and helmfile */ -}}
environment: {{ .Environment.Name }}
replicaCount: {{ .Values.replicas }}
image:
  tag: {{ .Values.imageTag | quote }}
podAnnotations:
  bench/release: {{ .Release.Name }}
  bench/namespace: {{ .Release.Namespace }}
ingress:
  host: {{ .Release.Name }}.{{ .Values.clusterName }}.example.invalid
config:
  LOG_LEVEL: {{ .Values.logLevel }}
  REGION: {{ .Values.region | default "local" }}
  TRACING: {{ .Values.features.tracing | quote }}
common:
  data:
    cluster: {{ .Values.clusterName }}
    region: {{ .Values.region }}
{{- if eq .Environment.Name "production" }}
podDisruptionBudget:
  enabled: true
  minAvailable: 1
{{- end }}
"#;

const CHART_VALUES: &str = r#"replicaCount: 1
image:
  repository: registry.example.invalid/CHART
  tag: ""
  pullPolicy: IfNotPresent
imagePullSecrets: []
nameOverride: ""
fullnameOverride: ""
environment: dev
rollout: ""
serviceAccount:
  create: true
  annotations: {}
  name: ""
podAnnotations: {}
podLabels: {}
podSecurityContext:
  runAsNonRoot: true
  runAsUser: 1000
  fsGroup: 2000
securityContext:
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
service:
  type: ClusterIP
  port: 80
  targetPort: 8080
ingress:
  enabled: false
  className: nginx
  host: CHART.example.invalid
  paths: [/]
resources:
  limits:
    cpu: 500m
    memory: 256Mi
  requests:
    cpu: 100m
    memory: 128Mi
autoscaling:
  enabled: false
  minReplicas: 1
  maxReplicas: 5
  targetCPUUtilizationPercentage: 80
podDisruptionBudget:
  enabled: false
  minAvailable: 1
networkPolicy:
  enabled: true
  allowFrom: [ingress-nginx, monitoring]
config:
  LOG_LEVEL: info
  LOG_FORMAT: text
secrets:
  API_TOKEN: not-a-secret
  DB_PASSWORD: not-a-secret-either
nodeSelector: {}
tolerations: []
affinity: {}
common:
  data: {}
"#;

const CHART_TEMPLATES: [(&str, &str); 11] = [
    ("_helpers.tpl", HELPERS),
    ("deployment.yaml", DEPLOYMENT),
    ("service.yaml", SERVICE),
    ("serviceaccount.yaml", SERVICE_ACCOUNT),
    ("configmap.yaml", CONFIGMAP),
    ("secret.yaml", SECRET),
    ("ingress.yaml", INGRESS),
    ("hpa.yaml", HPA),
    ("pdb.yaml", PDB),
    ("networkpolicy.yaml", NETWORK_POLICY),
    ("tests/test-connection.yaml", TEST_CONNECTION),
];

const HELPERS: &str = r#"{{- define "CHART.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "CHART.fullname" -}}
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

{{- define "CHART.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "CHART.selectorLabels" -}}
app.kubernetes.io/name: {{ include "CHART.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "CHART.labels" -}}
helm.sh/chart: {{ include "CHART.chart" . }}
{{ include "CHART.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/environment: {{ .Values.environment }}
{{- end }}

{{- define "CHART.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "CHART.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "CHART.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "CHART.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
        checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
        {{- with .Values.rollout }}
        bench/rollout: {{ . | quote }}
        {{- end }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "CHART.labels" . | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      serviceAccountName: {{ include "CHART.serviceAccountName" . }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .Chart.Name }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          image: {{ include "CHART.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.service.targetPort }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "CHART.fullname" . }}
            - secretRef:
                name: {{ include "CHART.fullname" . }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
          readinessProbe:
            httpGet:
              path: /ready
              port: http
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: {}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
"#;

const SERVICE: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      name: http
  selector:
    {{- include "CHART.selectorLabels" . | nindent 4 }}
"#;

const SERVICE_ACCOUNT: &str = r#"{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "CHART.serviceAccountName" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
"#;

const CONFIGMAP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
data:
  ENVIRONMENT: {{ .Values.environment | quote }}
  {{- range $key, $value := .Values.config }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
"#;

const SECRET: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
type: Opaque
data:
  {{- range $key, $value := .Values.secrets }}
  {{ $key }}: {{ $value | b64enc | quote }}
  {{- end }}
"#;

const INGRESS: &str = r#"{{- if .Values.ingress.enabled -}}
{{- $fullName := include "CHART.fullname" . -}}
{{- $port := .Values.service.port -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $fullName }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  ingressClassName: {{ .Values.ingress.className }}
  rules:
    - host: {{ .Values.ingress.host | quote }}
      http:
        paths:
          {{- range .Values.ingress.paths }}
          - path: {{ . }}
            pathType: Prefix
            backend:
              service:
                name: {{ $fullName }}
                port:
                  number: {{ $port }}
          {{- end }}
{{- end }}
"#;

const HPA: &str = r#"{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "CHART.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .Values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
"#;

const PDB: &str = r#"{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  minAvailable: {{ .Values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "CHART.selectorLabels" . | nindent 6 }}
{{- end }}
"#;

const NETWORK_POLICY: &str = r#"{{- if .Values.networkPolicy.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "CHART.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - from:
        {{- range .Values.networkPolicy.allowFrom }}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ . }}
        {{- end }}
      ports:
        - port: {{ .Values.service.targetPort }}
          protocol: TCP
{{- end }}
"#;

const TEST_CONNECTION: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: "{{ include "CHART.fullname" . }}-test-connection"
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
  annotations:
    "helm.sh/hook": test
spec:
  containers:
    - name: wget
      image: busybox
      command: ['wget']
      args: ['{{ include "CHART.fullname" . }}:{{ .Values.service.port }}']
  restartPolicy: Never
"#;

const SUB_LABELS: &str = r#"{{- define "common.labels" -}}
app.kubernetes.io/part-of: {{ .Release.Name }}
app.kubernetes.io/component: common
{{- end }}
"#;

const SUB_CONFIGMAP: &str = r#"{{- if .Values.enabled }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-common
  labels:
    {{- include "common.labels" . | nindent 4 }}
data:
  {{- range $key, $value := .Values.data }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
{{- end }}
"#;
