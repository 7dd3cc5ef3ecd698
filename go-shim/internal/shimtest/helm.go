package shimtest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// HelmEnv points helm's cache, config and data at private directories.
func HelmEnv(t testing.TB) {
	t.Helper()
	base := t.TempDir()
	t.Setenv("HELM_CACHE_HOME", filepath.Join(base, "cache"))
	t.Setenv("HELM_CONFIG_HOME", filepath.Join(base, "config"))
	t.Setenv("HELM_DATA_HOME", filepath.Join(base, "data"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(base, "docker"))
}

// ServeCharts packages chart directories into an HTTP chart repository and
// returns its URL.
func ServeCharts(t testing.TB, dirs ...string) string {
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

// WriteRepositories writes a repositories file with the given name/URL pairs.
func WriteRepositories(t testing.TB, pairs ...string) string {
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

// WriteFiles writes files (by path relative to dir) with their content.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
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

// WriteChart writes a chart named name (its Chart.yaml made here) with
// files, in a directory of its own, and returns the directory.
func WriteChart(t testing.TB, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	all := map[string]string{"Chart.yaml": "apiVersion: v2\nname: " + name + "\nversion: 0.1.0\n"}
	for path, body := range files {
		all[path] = body
	}
	WriteFiles(t, dir, all)
	return dir
}
