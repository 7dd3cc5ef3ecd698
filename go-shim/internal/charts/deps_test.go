package charts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// parentChart writes a chart depending on raw from repoURL.
func parentChart(t *testing.T, repoURL string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "parent")
	shimtest.WriteFiles(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: raw\n  version: 0.1.0\n  repository: " + repoURL + "\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	})
	return dir
}

func TestDepsBuildDownloadsFromARepository(t *testing.T) {
	shimtest.HelmEnv(t)
	url := shimtest.ServeCharts(t, filepath.Join(shimtest.Charts, "raw-0.1.0"))
	repos := shimtest.WriteRepositories(t, "myrepo", url+"/")
	chart := parentChart(t, url+"/")

	res, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: chart, RepositoryConfig: repos})
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
	res, err = shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: chart, RepositoryConfig: repos, SkipRefresh: true})
	if err != nil {
		t.Fatalf("second deps_build failed: %+v", err)
	}
	if !res.Updated || strings.Contains(res.Log, "Hang tight") || !strings.Contains(res.Log, "Saving 1 charts\n") {
		t.Fatalf("updated=%v log:\n%s", res.Updated, res.Log)
	}

	// if_missing: charts/ is in line with the lock, nothing runs.
	res, err = shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: chart, RepositoryConfig: repos, IfMissing: true})
	if err != nil || res.Updated || res.Log != "" {
		t.Fatalf("if_missing with satisfied charts/: updated=%v log=%q err=%+v", res.Updated, res.Log, err)
	}
	if err := os.Remove(filepath.Join(chart, "charts/raw-0.1.0.tgz")); err != nil {
		t.Fatal(err)
	}
	res, err = shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: chart, RepositoryConfig: repos, IfMissing: true, SkipRefresh: true})
	if err != nil || !res.Updated {
		t.Fatalf("if_missing with missing charts/: updated=%v err=%+v", res.Updated, err)
	}
}

func TestDepsBuildWithoutDependenciesDoesNothing(t *testing.T) {
	shimtest.HelmEnv(t)
	chart, _ := filepath.Abs(filepath.Join(shimtest.Charts, "files"))
	res, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: chart})
	if err != nil || res.Updated || res.Log != "" {
		t.Fatalf("updated=%v log=%q err=%+v", res.Updated, res.Log, err)
	}
	if _, statErr := os.Stat(filepath.Join(chart, "charts")); statErr == nil {
		t.Fatal("charts/ was created for a chart without dependencies")
	}
}

func TestDepsBuildFileDependency(t *testing.T) {
	shimtest.HelmEnv(t)
	dir := t.TempDir()
	shimtest.WriteFiles(t, dir, map[string]string{
		"child/Chart.yaml":           "apiVersion: v2\nname: child\nversion: 0.3.0\n",
		"child/templates/cm.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n",
		"parent/Chart.yaml":          "apiVersion: v2\nname: parent\nversion: 1.0.0\ndependencies:\n- name: child\n  version: \">=0.1.0\"\n  repository: file://../child\n",
		"parent/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: parent\n",
		"parent/templates/NOTES.txt": "hi\n",
	})
	chart := filepath.Join(dir, "parent")
	res, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: chart, RepositoryConfig: filepath.Join(dir, "none.yaml")})
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
	shimtest.HelmEnv(t)
	url := shimtest.ServeCharts(t, filepath.Join(shimtest.Charts, "raw-0.1.0"))
	repos := shimtest.WriteRepositories(t, "myrepo", url)
	chart := parentChart(t, url)

	var wg sync.WaitGroup
	errs := make([]*fault.Error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: chart, RepositoryConfig: repos})
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
	shimtest.HelmEnv(t)
	url := shimtest.ServeCharts(t, filepath.Join(shimtest.Charts, "raw-0.1.0"))
	repos := shimtest.WriteRepositories(t, "myrepo", url)

	t.Run("unknown repository alias", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "c")
		shimtest.WriteFiles(t, dir, map[string]string{
			"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: raw\n  version: 0.1.0\n  repository: \"@nope\"\n",
		})
		_, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: dir, RepositoryConfig: repos})
		if err == nil || err.Kind != fault.KindDependencies || err.Details["chart"] != dir ||
			err.Details["dependency"] != "raw" || err.Details["repository"] != "@nope" ||
			!strings.Contains(err.Message, "no repository definition for @nope") {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("version missing from the repository", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "c")
		shimtest.WriteFiles(t, dir, map[string]string{
			"Chart.yaml":          "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: raw\n  version: 9.9.9\n  repository: " + url + "\n- name: other\n  version: 1.0.0\n  repository: file://../other\n",
			"../other/Chart.yaml": "apiVersion: v2\nname: other\nversion: 1.0.0\n",
		})
		_, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: dir, RepositoryConfig: repos})
		if err == nil || err.Kind != fault.KindDependencies || err.Details["dependency"] != "raw" || err.Details["repository"] != url {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("lock out of sync", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "c")
		shimtest.WriteFiles(t, dir, map[string]string{
			"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\ndependencies:\n- name: raw\n  version: 0.1.0\n  repository: " + url + "\n",
			"Chart.lock": "dependencies:\n- name: raw\n  repository: " + url + "\n  version: 0.0.1\ndigest: sha256:0000\ngenerated: \"2020-01-01T00:00:00Z\"\n",
		})
		_, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: dir, RepositoryConfig: repos, IfMissing: true})
		if err == nil || err.Kind != fault.KindDependencies || !strings.Contains(err.Message, "out of sync") {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("not a chart", func(t *testing.T) {
		_, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: t.TempDir()})
		if err == nil || err.Kind != fault.KindChart {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("relative path", func(t *testing.T) {
		_, err := shimtest.Invoke(t, BuildDeps, DepsBuildParams{Chart: "charts/x"})
		if err == nil || err.Kind != fault.KindBadRequest {
			t.Fatalf("got %+v", err)
		}
	})
	t.Run("unknown field", func(t *testing.T) {
		_, err := shimtest.Invoke(t, BuildDeps, map[string]any{"chart": "/x", "surprise": 1})
		if err == nil || err.Kind != fault.KindBadRequest {
			t.Fatalf("got %+v", err)
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
	if _, err := lockChartDir(ctx, dir+"/"); err == nil || fault.Classify(err, fault.KindInternal).Kind != fault.KindCancelled {
		t.Fatalf("got %v", err)
	}
}
