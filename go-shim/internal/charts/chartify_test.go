package charts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// chartNeedValues is the release's values of the chart_need case, as its
// input.yaml.gotmpl renders.
const chartNeedValues = `templates:
- |
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: {{ .Release.Name }}-1
    namespace: {{ .Release.Namespace }}
  data:
    foo: FOO
dep:
  templates:
  - |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {{ .Release.Name }}-2
      namespace: {{ .Release.Namespace }}
    data:
      bar: BAR
`

// splitExpected splits the expected helmfile output of a snapshot case into
// the log before "Templating release=..." and the manifests after it.
func splitExpected(t *testing.T, path string) (string, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	log, manifests, ok := strings.Cut(string(data), "Templating release=foo, chart=$WD/temp1/foo\n")
	if !ok {
		t.Fatalf("%s has no Templating line", path)
	}
	return log, manifests
}

func TestChartifyConformanceChartNeed(t *testing.T) {
	shimtest.HelmEnv(t)
	url := shimtest.ServeCharts(t, filepath.Join(shimtest.Charts, "raw-0.1.0"))
	repos := shimtest.WriteRepositories(t, "myrepo", url+"/")
	work := t.TempDir()

	res, err := shimtest.Invoke(t, Chartify, ChartifyParams{
		ReleaseName:      "foo",
		Chart:            filepath.Join(shimtest.Charts, "raw-0.1.0"),
		Dependencies:     []adhocDependency{{Chart: "myrepo/raw", Version: "0.1.0", Alias: "dep"}},
		RepositoryConfig: repos,
		WorkDir:          work,
	})
	if err != nil {
		t.Fatalf("chartify failed: %+v", err)
	}
	if res.Chart != filepath.Join(work, "foo") {
		t.Fatalf("wrapper chart at %s", res.Chart)
	}
	if !strings.Contains(res.Log, "Downloading raw from repo "+url+"/\n") {
		t.Fatalf("chartify log:\n%s", res.Log)
	}

	// helmfile then runs `helm dependency build` on the wrapper of a local chart.
	build, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: res.Chart, RepositoryConfig: repos})
	if err != nil {
		t.Fatalf("deps_build failed: %+v", err)
	}
	expectedLog, expectedManifests := splitExpected(t, filepath.Join(shimtest.ConformanceCase(t, "chart_need"), "output-helm4.yaml"))
	_, helmLog, _ := strings.Cut(expectedLog, "Building dependency release=foo, chart=$WD/temp1/foo\n")
	helmLog = strings.ReplaceAll(helmLog, "http://localhost:18080/", url+"/")
	if build.Log != helmLog {
		t.Fatalf("deps_build log:\n%s\nwant:\n%s", build.Log, helmLog)
	}

	out, err := shimtest.Invoke(t, render.Template, render.TemplateParams{
		ReleaseName:      "foo",
		Chart:            res.Chart,
		Values:           []render.ValueSource{{Inline: chartNeedValues, Origin: "input.yaml.gotmpl"}},
		RepositoryConfig: repos,
	})
	if err != nil {
		t.Fatalf("template failed: %+v", err)
	}
	// helmfile prints helm's stdout followed by a newline.
	if out.Stdout+"\n" != expectedManifests {
		t.Fatalf("manifests:\n%s\nwant:\n%s", out.Stdout, expectedManifests)
	}

	meta, loadErr := chartutil.LoadChartfile(filepath.Join(res.Chart, "Chart.yaml"))
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	if meta.Name != "raw" || len(meta.Dependencies) != 1 {
		t.Fatalf("wrapper Chart.yaml: %+v", meta)
	}
	d := meta.Dependencies[0]
	if d.Name != "raw" || d.Alias != "dep" || d.Condition != "dep.enabled" || d.Version != "0.1.0" || d.Repository != url+"/" {
		t.Fatalf("ad-hoc dependency: %+v", d)
	}
}

func TestChartifyRemoteChart(t *testing.T) {
	shimtest.HelmEnv(t)
	url := shimtest.ServeCharts(t, filepath.Join(shimtest.Charts, "raw-0.1.0"), filepath.Join(shimtest.Charts, "raw-0.0.1"))
	repos := shimtest.WriteRepositories(t, "myrepo", url)
	work := t.TempDir()
	if err := downloadIndex(Repository{Name: "myrepo", URL: url}, depsSettings(repos)); err != nil {
		t.Fatal(err)
	}

	pulled, err := shimtest.Invoke(t, Pull, PullParams{
		Chart: "myrepo/raw", Version: "0.1.0", RepositoryConfig: repos, CacheDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("pull failed: %+v", err)
	}
	res, err := shimtest.Invoke(t, Chartify, ChartifyParams{
		ReleaseName:      "foo",
		Chart:            pulled.Path,
		Remote:           true,
		Dependencies:     []adhocDependency{{Chart: "myrepo/raw", Version: "0.0.1", Alias: "dep"}},
		RepositoryConfig: repos,
		WorkDir:          work,
		SkipRefresh:      true,
	})
	if err != nil {
		t.Fatalf("chartify failed: %+v", err)
	}
	if res.Chart != filepath.Join(work, "foo", "raw") {
		t.Fatalf("wrapper chart at %s", res.Chart)
	}
	if _, statErr := os.Stat(filepath.Join(res.Chart, "charts", "raw-0.0.1.tgz")); statErr != nil {
		t.Fatal(statErr)
	}
	out, err := shimtest.Invoke(t, render.Template, render.TemplateParams{
		ReleaseName: "foo",
		Chart:       res.Chart,
		Values:      []render.ValueSource{{Inline: chartNeedValues}},
	})
	if err != nil {
		t.Fatalf("template failed: %+v", err)
	}
	for _, want := range []string{"# Source: raw/charts/dep/templates/resources.yaml", "name: foo-2", "name: foo-1"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, out.Stdout)
		}
	}
}

func TestChartifyLocalDependenciesAndRelativeFileDependencies(t *testing.T) {
	shimtest.HelmEnv(t)
	dir := t.TempDir()
	shimtest.WriteFiles(t, dir, map[string]string{
		"app/Chart.yaml":         "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: lib\n  version: 0.1.0\n  repository: file://../lib\n",
		"app/templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
		"lib/Chart.yaml":         "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
		"lib/templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lib\n",
		"side/Chart.yaml":        "apiVersion: v2\nname: side\nversion: 2.0.0\n",
		"side/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: side-{{ .Values.suffix }}\n",
		"side/values.yaml":       "suffix: default\n",
	})
	work := t.TempDir()
	res, err := shimtest.Invoke(t, Chartify, ChartifyParams{
		ReleaseName:      "rel",
		Chart:            filepath.Join(dir, "app"),
		Dependencies:     []adhocDependency{{Chart: filepath.Join(dir, "side"), Version: "2.0.0"}},
		RepositoryConfig: filepath.Join(dir, "none.yaml"),
		WorkDir:          work,
	})
	if err != nil {
		t.Fatalf("chartify failed: %+v", err)
	}
	out, err := shimtest.Invoke(t, render.Template, render.TemplateParams{
		ReleaseName: "rel",
		Chart:       res.Chart,
		Values:      []render.ValueSource{{Inline: `{"side": {"suffix": "set"}}`}},
	})
	if err != nil {
		t.Fatalf("template failed: %+v", err)
	}
	for _, want := range []string{"# Source: app/charts/lib/templates/cm.yaml", "# Source: app/charts/side/templates/cm.yaml", "name: side-set"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, out.Stdout)
		}
	}
	// The user's chart is left alone.
	if _, statErr := os.Stat(filepath.Join(dir, "app", "charts")); statErr == nil {
		t.Error("the original chart got a charts/ directory")
	}
	// The condition helmfile adds turns the dependency off.
	out, err = shimtest.Invoke(t, render.Template, render.TemplateParams{
		ReleaseName: "rel",
		Chart:       res.Chart,
		Values:      []render.ValueSource{{Inline: `{"side": {"enabled": false}}`}},
	})
	if err != nil || strings.Contains(out.Stdout, "side-") {
		t.Fatalf("side.enabled=false: err=%+v\n%s", err, out.Stdout)
	}
}

func TestChartifyErrors(t *testing.T) {
	shimtest.HelmEnv(t)
	url := shimtest.ServeCharts(t, filepath.Join(shimtest.Charts, "raw-0.1.0"))
	repos := shimtest.WriteRepositories(t, "myrepo", url)
	raw := filepath.Join(shimtest.Charts, "raw-0.1.0")

	cases := map[string]struct {
		params  ChartifyParams
		kind    fault.Kind
		details map[string]string
		text    string
	}{
		"unknown repository": {
			params:  ChartifyParams{ReleaseName: "foo", Chart: raw, Dependencies: []adhocDependency{{Chart: "other/raw"}}, RepositoryConfig: repos},
			kind:    fault.KindDependencies,
			details: map[string]string{"chart": raw, "dependency": "other/raw", "repository": "other"},
			text:    `no repository named "other"`,
		},
		"missing version": {
			params:  ChartifyParams{ReleaseName: "foo", Chart: raw, Dependencies: []adhocDependency{{Chart: "myrepo/raw", Version: "9.9.9", Alias: "dep"}}, RepositoryConfig: repos},
			kind:    fault.KindDependencies,
			details: map[string]string{"chart": raw, "dependency": "raw", "repository": url},
			text:    "release foo",
		},
		"not a reference": {
			params: ChartifyParams{ReleaseName: "foo", Chart: raw, Dependencies: []adhocDependency{{Chart: "justaname"}}, RepositoryConfig: repos},
			kind:   fault.KindDependencies,
		},
		"unknown chart repository": {
			params: ChartifyParams{ReleaseName: "foo", Chart: "nope/raw", Dependencies: []adhocDependency{{Chart: "myrepo/raw"}}, RepositoryConfig: repos},
			kind:   fault.KindChart,
		},
		"no dependencies": {
			params: ChartifyParams{ReleaseName: "foo", Chart: raw, RepositoryConfig: repos},
			kind:   fault.KindBadRequest,
		},
		"bad release name": {
			params: ChartifyParams{ReleaseName: "../x", Chart: raw, Dependencies: []adhocDependency{{Chart: "myrepo/raw"}}},
			kind:   fault.KindBadRequest,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.params.WorkDir = t.TempDir()
			_, err := shimtest.Invoke(t, Chartify, tc.params)
			if err == nil || err.Kind != tc.kind || !strings.Contains(err.Message, tc.text) {
				t.Fatalf("want %s containing %q, got %+v", tc.kind, tc.text, err)
			}
			for k, v := range tc.details {
				if err.Details[k] != v {
					t.Errorf("details[%s] = %q, want %q (%+v)", k, err.Details[k], v, err.Details)
				}
			}
		})
	}
}
