package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

const conformanceCharts = "/work/shared/conformance/helmfile-snapshot/charts"

// helmTestEnv points helm's cache, config and data at private directories.
func helmTestEnv(t *testing.T) {
	t.Helper()
	base := t.TempDir()
	t.Setenv("HELM_CACHE_HOME", filepath.Join(base, "cache"))
	t.Setenv("HELM_CONFIG_HOME", filepath.Join(base, "config"))
	t.Setenv("HELM_DATA_HOME", filepath.Join(base, "data"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(base, "docker"))
}

// serveCharts packages chart directories into an HTTP chart repository and
// returns its URL.
func serveCharts(t *testing.T, dirs ...string) string {
	t.Helper()
	docroot := t.TempDir()
	for _, dir := range dirs {
		c, err := loader.LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chartutil.Save(c, docroot); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(docroot)))
	t.Cleanup(srv.Close)
	index, err := repo.IndexDirectory(docroot, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := index.WriteFile(filepath.Join(docroot, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL
}

// writeRepositories writes a repositories file with the given name/URL pairs.
func writeRepositories(t *testing.T, pairs ...string) string {
	t.Helper()
	f := repo.NewFile()
	for i := 0; i+1 < len(pairs); i += 2 {
		f.Update(&repo.Entry{Name: pairs[i], URL: pairs[i+1]})
	}
	path := filepath.Join(t.TempDir(), "repositories.yaml")
	if err := f.WriteFile(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// invoke runs a method as dispatch does and decodes its result.
func invoke[T any](t *testing.T, run method, params any) (T, *ShimError) {
	t.Helper()
	var out T
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	res, runErr := run(context.Background(), raw)
	if runErr != nil {
		return out, classify(runErr, KindInternal)
	}
	encoded, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(encoded, &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// parentChart writes a chart depending on raw from repoURL.
func parentChart(t *testing.T, repoURL string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "parent")
	writeFiles(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: raw\n  version: 0.1.0\n  repository: " + repoURL + "\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	})
	return dir
}

func TestDepsBuildDownloadsFromARepository(t *testing.T) {
	helmTestEnv(t)
	url := serveCharts(t, filepath.Join(conformanceCharts, "raw-0.1.0"))
	repos := writeRepositories(t, "myrepo", url+"/")
	chart := parentChart(t, url+"/")

	res, err := invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: chart, RepositoryConfig: repos})
	if err != nil {
		t.Fatalf("deps_build failed: %+v", err)
	}
	want := "Hang tight while we grab the latest from your chart repositories...\n" +
		"...Successfully got an update from the \"myrepo\" chart repository\n" +
		"Update Complete. ⎈Happy Helming!⎈\n" +
		"Saving 1 charts\n" +
		"Downloading raw from repo " + url + "/\n" +
		"Deleting outdated charts\n"
	if !res.Updated || res.Log != want {
		t.Fatalf("updated=%v log:\n%s\nwant:\n%s", res.Updated, res.Log, want)
	}
	for _, f := range []string{"charts/raw-0.1.0.tgz", "Chart.lock"} {
		if _, err := os.Stat(filepath.Join(chart, f)); err != nil {
			t.Errorf("%s was not written: %v", f, err)
		}
	}

	// With the lock written, a second build follows it; --skip-refresh
	// uses the cached index.
	res, err = invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: chart, RepositoryConfig: repos, SkipRefresh: true})
	if err != nil {
		t.Fatalf("second deps_build failed: %+v", err)
	}
	if !res.Updated || strings.Contains(res.Log, "Hang tight") || !strings.Contains(res.Log, "Saving 1 charts\n") {
		t.Fatalf("updated=%v log:\n%s", res.Updated, res.Log)
	}

	// if_missing: charts/ is in line with the lock, nothing runs.
	res, err = invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: chart, RepositoryConfig: repos, IfMissing: true})
	if err != nil || res.Updated || res.Log != "" {
		t.Fatalf("if_missing with satisfied charts/: updated=%v log=%q err=%+v", res.Updated, res.Log, err)
	}
	if err := os.Remove(filepath.Join(chart, "charts/raw-0.1.0.tgz")); err != nil {
		t.Fatal(err)
	}
	res, err = invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: chart, RepositoryConfig: repos, IfMissing: true, SkipRefresh: true})
	if err != nil || !res.Updated {
		t.Fatalf("if_missing with missing charts/: updated=%v err=%+v", res.Updated, err)
	}
}

func TestDepsBuildWithoutDependenciesDoesNothing(t *testing.T) {
	helmTestEnv(t)
	chart, _ := filepath.Abs(filepath.Join(fixtures, "files"))
	res, err := invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: chart})
	if err != nil || res.Updated || res.Log != "" {
		t.Fatalf("updated=%v log=%q err=%+v", res.Updated, res.Log, err)
	}
	if _, statErr := os.Stat(filepath.Join(chart, "charts")); statErr == nil {
		t.Fatal("charts/ was created for a chart without dependencies")
	}
}

func TestDepsBuildFileDependency(t *testing.T) {
	helmTestEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"child/Chart.yaml":           "apiVersion: v2\nname: child\nversion: 0.3.0\n",
		"child/templates/cm.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n",
		"parent/Chart.yaml":          "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: child\n  version: \">=0.1.0\"\n  repository: file://../child\n",
		"parent/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\n",
		"parent/templates/NOTES.txt": "hi\n",
	})
	chart := filepath.Join(dir, "parent")
	res, err := invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: chart, RepositoryConfig: filepath.Join(dir, "none.yaml")})
	if err != nil {
		t.Fatalf("deps_build failed: %+v", err)
	}
	if res.Log != "Saving 1 charts\nDeleting outdated charts\n" {
		t.Fatalf("log:\n%s", res.Log)
	}
	if _, err := os.Stat(filepath.Join(chart, "charts/child-0.3.0.tgz")); err != nil {
		t.Fatal(err)
	}
}

func TestDepsBuildIsSafeForConcurrentBuildsOfOneChart(t *testing.T) {
	helmTestEnv(t)
	url := serveCharts(t, filepath.Join(conformanceCharts, "raw-0.1.0"))
	repos := writeRepositories(t, "myrepo", url)
	chart := parentChart(t, url)

	var wg sync.WaitGroup
	errs := make([]*ShimError, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: chart, RepositoryConfig: repos})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("build %d: %+v", i, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(chart, "charts"))
	if len(entries) != 1 || entries[0].Name() != "raw-0.1.0.tgz" {
		t.Fatalf("charts/ holds %v", entries)
	}
	if left, _ := filepath.Glob(filepath.Join(chart, "tmpcharts-*")); len(left) > 0 {
		t.Fatalf("staging directories left behind: %v", left)
	}
}

func TestDepsBuildErrors(t *testing.T) {
	helmTestEnv(t)
	url := serveCharts(t, filepath.Join(conformanceCharts, "raw-0.1.0"))
	repos := writeRepositories(t, "myrepo", url)

	t.Run("unknown repository alias", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "c")
		writeFiles(t, dir, map[string]string{
			"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: raw\n  version: 0.1.0\n  repository: \"@nope\"\n",
		})
		_, err := invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: dir, RepositoryConfig: repos})
		if err == nil || err.Kind != KindDependencies || err.Details["chart"] != dir ||
			err.Details["dependency"] != "raw" || err.Details["repository"] != "@nope" ||
			!strings.Contains(err.Message, "no repository definition for @nope") {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("version missing from the repository", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "c")
		writeFiles(t, dir, map[string]string{
			"Chart.yaml":          "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: raw\n  version: 9.9.9\n  repository: " + url + "\n- name: other\n  version: 1.0.0\n  repository: file://../other\n",
			"../other/Chart.yaml": "apiVersion: v2\nname: other\nversion: 1.0.0\n",
		})
		_, err := invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: dir, RepositoryConfig: repos})
		if err == nil || err.Kind != KindDependencies || err.Details["dependency"] != "raw" || err.Details["repository"] != url {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("lock out of sync", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "c")
		writeFiles(t, dir, map[string]string{
			"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: raw\n  version: 0.1.0\n  repository: " + url + "\n",
			"Chart.lock": "dependencies:\n- name: raw\n  repository: " + url + "\n  version: 0.0.1\ndigest: sha256:0000\ngenerated: \"2020-01-01T00:00:00Z\"\n",
		})
		_, err := invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: dir, RepositoryConfig: repos, IfMissing: true})
		if err == nil || err.Kind != KindDependencies || !strings.Contains(err.Message, "out of sync") {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("not a chart", func(t *testing.T) {
		_, err := invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: t.TempDir()})
		if err == nil || err.Kind != KindChart {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("relative path", func(t *testing.T) {
		_, err := invoke[depsBuildResult](t, runDepsBuild, depsBuildParams{Chart: "charts/x"})
		if err == nil || err.Kind != KindBadRequest {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("unknown field", func(t *testing.T) {
		_, err := runDepsBuild(context.Background(), json.RawMessage(`{"chart":"/x","surprise":1}`))
		if se := classify(err, KindInternal); se.Kind != KindBadRequest {
			t.Fatalf("got %+v", se)
		}
	})
}

func TestDepsBuildWaitingForTheChartLockCanBeCancelled(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockChartDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lockChartDir(ctx, dir+"/"); err == nil || classify(err, KindInternal).Kind != KindCancelled {
		t.Fatalf("got %v", err)
	}
}
