package charts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// issue1229Values is the release's values of the case, as its
// input.yaml.gotmpl renders them.
const issue1229Values = `templates:
- |
  chartVersion: {{ .Chart.Version }}
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: foo
  data:
    foo: bar
`

// expectedPatchedManifests is what helmfile prints for the release in
// snapshot case dir, after its "Templating release=NAME, ..." line.
func expectedPatchedManifests(t *testing.T, dir, release string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "output.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "Templating release="+release+", ")
	if !ok {
		t.Fatalf("%s has no Templating line", dir)
	}
	_, manifests, _ := strings.Cut(rest, "\n")
	return manifests
}

// chartifyAndTemplate runs chartify, then templates the chart it built as
// helmfile does (the values no longer matter: the templates are manifests).
func chartifyAndTemplate(t *testing.T, p ChartifyParams) (string, string, *fault.Error) {
	t.Helper()
	res, err := shimtest.Invoke(t, Chartify, p)
	if err != nil {
		return "", "", err
	}
	out, err := shimtest.Invoke(t, render.Template, render.TemplateParams{
		ReleaseName: p.ReleaseName,
		Namespace:   p.Render.Namespace,
		Chart:       res.Chart,
		IncludeCRDs: true,
	})
	if err != nil {
		t.Fatalf("templating the chartified chart: %+v", err)
	}
	return res.Chart, out.Stdout, nil
}

func TestChartifyPatchConformanceIssue1229(t *testing.T) {
	shimtest.HelmEnv(t)
	want := expectedPatchedManifests(t, shimtest.ConformanceCase(t, "issue_1229_template_strategic_merge_with_lockfile"), "raw")
	chartDir := filepath.Join(shimtest.Charts, "raw-0.0.1")
	patch := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": "foo"},
		"data":       map[string]any{"foo": "baz"},
	}

	// helmfile pulls and untars the remote chart, so chartify sees a local
	// directory; helmfire may hand over its cached archive instead.
	loaded, loadErr := loader.LoadDir(chartDir)
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	archive, saveErr := chartutil.Save(loaded, t.TempDir())
	if saveErr != nil {
		t.Fatal(saveErr)
	}
	for name, src := range map[string]struct {
		chart  string
		remote bool
	}{"local": {chartDir, false}, "remote": {archive, true}} {
		t.Run(name, func(t *testing.T) {
			work := t.TempDir()
			chart, out, err := chartifyAndTemplate(t, ChartifyParams{
				ReleaseName:           "raw",
				Chart:                 src.chart,
				Remote:                src.remote,
				StrategicMergePatches: []map[string]any{patch},
				Render: &render.TemplateParams{
					Values:      []render.ValueSource{{Inline: issue1229Values, Origin: "input.yaml.gotmpl"}},
					IncludeCRDs: true,
				},
				WorkDir: work,
			})
			if err != nil {
				t.Fatalf("chartify failed: %+v", err)
			}
			// helmfire prints helm's stdout followed by a newline.
			if out+"\n" != want {
				t.Fatalf("manifests:\n%q\nwant:\n%q", out, want)
			}
			stub, readErr := os.ReadFile(filepath.Join(chart, "templates", "patched_resources.yaml"))
			if readErr != nil || string(stub) != `{{ .Files.Get "files/templates/patched_resources.yaml" }}` {
				t.Fatalf("templates/patched_resources.yaml: %q %v", stub, readErr)
			}
			if _, statErr := os.Stat(filepath.Join(chart, "templates", "resources.yaml")); statErr == nil {
				t.Error("the chart's own template is still there")
			}
		})
	}
	// The user's chart is left alone.
	if _, statErr := os.Stat(filepath.Join(chartDir, "files")); statErr == nil {
		t.Error("the original chart got a files/ directory")
	}
}

func TestChartifyPatchDeploymentContainersMergeByName(t *testing.T) {
	shimtest.HelmEnv(t)
	dir := t.TempDir()
	shimtest.WriteFiles(t, dir, map[string]string{
		"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"app/templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: web:{{ .Values.tag }}
        ports:
        - containerPort: 80
      - name: sidecar
        image: sidecar:1
        args: ["--a"]
`,
		"app/values.yaml": "tag: \"1\"\n",
	})
	_, out, err := chartifyAndTemplate(t, ChartifyParams{
		ReleaseName: "rel",
		Chart:       filepath.Join(dir, "app"),
		StrategicMergePatches: []map[string]any{{
			"apiVersion": "apps/v1",
			"kind":       "Deployment",
			"metadata":   map[string]any{"name": "rel", "namespace": "prod"},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "sidecar", "image": "sidecar:2"}},
			}}},
		}},
		Render: &render.TemplateParams{
			Namespace: "prod",
			Values:    []render.ValueSource{{Inline: `{"tag": "2"}`}},
		},
		WorkDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("chartify failed: %+v", err)
	}
	// Only the named container changes, its other fields kept. kustomize
	// moves a patched element of a list to its front
	// (kubernetes-sigs/kustomize#5904), and so does helmfile.
	want := `---
# Source: app/templates/patched_resources.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rel
  namespace: prod
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - args:
        - --a
        image: sidecar:2
        name: sidecar
      - image: web:2
        name: web
        ports:
        - containerPort: 80
`
	if out != want {
		t.Fatalf("manifests:\n%s\nwant:\n%s", out, want)
	}
}

func TestChartifyPatchUnknownKindAndLiteralTemplates(t *testing.T) {
	shimtest.HelmEnv(t)
	dir := t.TempDir()
	shimtest.WriteFiles(t, dir, map[string]string{
		"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"app/crds/widgets.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions: []
`,
		"app/templates/widget.yaml": `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  size: 1
  color: red
  nested:
    keep: yes
    drop: me
  tags: [a, b]
`,
		"app/templates/rule.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: rule
data:
  expr: '{{ "{{" }} $labels.instance {{ "}}" }}'
`,
		"app/templates/hook.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: hook
  annotations:
    helm.sh/hook: pre-install
data:
  a: b
`,
	})
	chart, out, err := chartifyAndTemplate(t, ChartifyParams{
		ReleaseName: "rel",
		Chart:       filepath.Join(dir, "app"),
		StrategicMergePatches: []map[string]any{
			{
				"apiVersion": "example.com/v1",
				"kind":       "Widget",
				"metadata":   map[string]any{"name": "w"},
				"spec": map[string]any{
					"size":   2,
					"nested": map[string]any{"drop": nil, "added": "x"},
					"tags":   []any{"c"},
				},
			},
			{
				"apiVersion": "v1",
				"kind":       "ConfigMap",
				"metadata":   map[string]any{"name": "hook", "annotations": map[string]any{"helm.sh/hook": "pre-install"}},
				"data":       map[string]any{"a": "patched"},
			},
		},
		Render:  &render.TemplateParams{IncludeCRDs: true},
		WorkDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("chartify failed: %+v", err)
	}
	// An unknown kind merges as kustomize merges it without a schema: maps
	// recursively, null deletes, a list of scalars is replaced.
	for _, want := range []string{
		"kind: Widget\nmetadata:\n  name: w\nspec:\n  color: red\n  nested:\n    added: x\n    keep: \"yes\"\n  size: 2\n  tags:\n  - c\n",
		// The rendered `{{` is printed as it is by the second render.
		"data:\n  expr: '{{ $labels.instance }}'\n",
		// The CRD is kept apart, in crds/.
		"# Source: app/crds/patched_crds.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n",
		// The hook stays a hook: helm prints it after the manifests.
		"---\n# Source: app/templates/patched_resources.yaml\napiVersion: v1\ndata:\n  a: patched\nkind: ConfigMap\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install\n  name: hook\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks\n%s\nin:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(strings.TrimRight(out, "\n"), "name: hook") {
		t.Errorf("the hook is not last:\n%s", out)
	}
	if _, statErr := os.Stat(filepath.Join(chart, "crds", "patched_crds.yaml")); statErr != nil {
		t.Error(statErr)
	}
}

func TestChartifyPatchWithDependencies(t *testing.T) {
	shimtest.HelmEnv(t)
	url := shimtest.ServeCharts(t, filepath.Join(shimtest.Charts, "raw-0.1.0"))
	repos := shimtest.WriteRepositories(t, "myrepo", url+"/")
	_, out, err := chartifyAndTemplate(t, ChartifyParams{
		ReleaseName:      "foo",
		Chart:            filepath.Join(shimtest.Charts, "raw-0.1.0"),
		Dependencies:     []adhocDependency{{Chart: "myrepo/raw", Version: "0.1.0", Alias: "dep"}},
		RepositoryConfig: repos,
		WorkDir:          t.TempDir(),
		StrategicMergePatches: []map[string]any{{
			"apiVersion": "v1",
			"kind":       "ConfigMap",
			"metadata":   map[string]any{"name": "foo-2", "namespace": "default"},
			"data":       map[string]any{"bar": "PATCHED"},
		}},
		Render: &render.TemplateParams{Values: []render.ValueSource{{Inline: chartNeedValues}}},
	})
	if err != nil {
		t.Fatalf("chartify failed: %+v", err)
	}
	// patched_resources.yaml ends every document with "\n---\n" and helm 4
	// keeps the newline before the separator: a blank line after each
	// document but the last.
	want := `---
# Source: raw/templates/patched_resources.yaml
apiVersion: v1
data:
  foo: FOO
kind: ConfigMap
metadata:
  name: foo-1
  namespace: default

---
# Source: raw/templates/patched_resources.yaml
apiVersion: v1
data:
  bar: PATCHED
kind: ConfigMap
metadata:
  name: foo-2
  namespace: default
`
	if out != want {
		t.Fatalf("manifests:\n%s\nwant:\n%s", out, want)
	}
}

func TestChartifyPatchErrors(t *testing.T) {
	shimtest.HelmEnv(t)
	raw := filepath.Join(shimtest.Charts, "raw-0.0.1")
	values := []render.ValueSource{{Inline: issue1229Values}}
	nowhere := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": "nowhere"},
		"data":       map[string]any{"foo": "baz"},
	}
	cases := map[string]struct {
		params ChartifyParams
		kind   fault.Kind
		texts  []string
	}{
		"patch matching nothing": {
			params: ChartifyParams{ReleaseName: "raw", Chart: raw, StrategicMergePatches: []map[string]any{nowhere}, Render: &render.TemplateParams{Values: values}},
			kind:   fault.KindRender,
			texts:  []string{"release raw", "no resource matches strategic merge patch", "ConfigMap", "nowhere"},
		},
		"no render params": {
			params: ChartifyParams{ReleaseName: "raw", Chart: raw, StrategicMergePatches: []map[string]any{nowhere}},
			kind:   fault.KindBadRequest,
			texts:  []string{"render params"},
		},
		"render failure": {
			params: ChartifyParams{ReleaseName: "raw", Chart: raw, StrategicMergePatches: []map[string]any{nowhere},
				Render: &render.TemplateParams{Values: []render.ValueSource{{Inline: "templates: ['{{ fail \"boom\" }}']"}}}},
			kind:  fault.KindRender,
			texts: []string{"release raw: rendering the chart to apply strategicMergePatches", "boom"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.params.WorkDir = t.TempDir()
			_, err := shimtest.Invoke(t, Chartify, tc.params)
			if err == nil || err.Kind != tc.kind {
				t.Fatalf("want %s, got %+v", tc.kind, err)
			}
			t.Logf("%s: %s", err.Kind, err.Message)
			for _, text := range tc.texts {
				if !strings.Contains(err.Message, text) {
					t.Errorf("message lacks %q: %s", text, err.Message)
				}
			}
		})
	}
}

func TestChartifyPatchEmptyRender(t *testing.T) {
	shimtest.HelmEnv(t)
	_, out, err := chartifyAndTemplate(t, ChartifyParams{
		ReleaseName: "raw",
		Chart:       filepath.Join(shimtest.Charts, "raw-0.0.1"),
		StrategicMergePatches: []map[string]any{{
			"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "foo"},
		}},
		Render:  &render.TemplateParams{},
		WorkDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("chartify failed: %+v", err)
	}
	if strings.TrimSpace(out) != "" {
		t.Fatalf("output of a chart rendering nothing:\n%s", out)
	}
}

func TestChartifyPatchLocalChartOwnDependencies(t *testing.T) {
	shimtest.HelmEnv(t)
	dir := t.TempDir()
	shimtest.WriteFiles(t, dir, map[string]string{
		"app/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: lib\n  version: 0.1.0\n  repository: file://../lib\n",
		"app/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
		"lib/Chart.yaml":        "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
		"lib/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lib\ndata:\n  a: b\n",
	})
	params := ChartifyParams{
		ReleaseName: "rel",
		Chart:       filepath.Join(dir, "app"),
		StrategicMergePatches: []map[string]any{{
			"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "lib"}, "data": map[string]any{"a": "c"},
		}},
		Render:           &render.TemplateParams{},
		RepositoryConfig: filepath.Join(dir, "none.yaml"),
		WorkDir:          t.TempDir(),
	}
	// Without ad-hoc dependencies chartify still updates a local chart's own.
	chart, out, err := chartifyAndTemplate(t, params)
	if err != nil {
		t.Fatalf("chartify failed: %+v", err)
	}
	if !strings.Contains(out, "data:\n  a: c\nkind: ConfigMap\nmetadata:\n  name: lib\n") || !strings.Contains(out, "name: app") {
		t.Fatalf("output:\n%s", out)
	}
	meta, loadErr := chartutil.LoadChartfile(filepath.Join(chart, "Chart.yaml"))
	if loadErr != nil || len(meta.Dependencies) != 0 {
		t.Fatalf("the patched chart keeps its dependencies: %+v %v", meta, loadErr)
	}
	if _, statErr := os.Stat(filepath.Join(chart, "charts")); statErr == nil {
		t.Error("the patched chart keeps charts/")
	}

	// SkipDeps leaves them alone: helm finds them missing.
	params.SkipDeps = true
	params.WorkDir = t.TempDir()
	_, err = shimtest.Invoke(t, Chartify, params)
	if err == nil || err.Kind != fault.KindDependencies {
		t.Fatalf("want a dependencies error, got %+v", err)
	}
}
