package charts

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

func TestReposRefreshesIndexesAndWritesTheFile(t *testing.T) {
	shimtest.HelmEnv(t)
	url := shimtest.ServeCharts(t, filepath.Join(shimtest.Charts, "raw-0.1.0"))
	file := filepath.Join(t.TempDir(), "helmfire", "repositories.yaml")
	params := ReposParams{Repositories: []Repository{{Name: "myrepo", URL: url}}, RepositoryConfig: file}
	res, e := shimtest.Invoke(t, Repos, params)
	if e != nil {
		t.Fatal(e)
	}
	if strings.Join(res.Refreshed, ",") != "myrepo" {
		t.Errorf("refreshed: %v", res.Refreshed)
	}
	repos, err := loadUserRepositories(file)
	if err != nil || repos.Get("myrepo") == nil || repos.Get("myrepo").URL != url {
		t.Fatalf("repositories file: %+v, %v", repos, err)
	}
	// --skip-refresh keeps the index already in the cache.
	params.SkipRefresh = true
	if res, e = shimtest.Invoke(t, Repos, params); e != nil || len(res.Refreshed) != 0 {
		t.Errorf("skip refresh: %+v, %+v", res, e)
	}
}

// A repository URL may carry its credentials; no error shows them.
func TestReposErrorsHideURLCredentials(t *testing.T) {
	shimtest.HelmEnv(t)
	_, e := shimtest.Invoke(t, Repos, ReposParams{
		Repositories:     []Repository{{Name: "private", URL: "http://alice:s3cret@127.0.0.1:1/charts"}},
		RepositoryConfig: filepath.Join(t.TempDir(), "repositories.yaml"),
	})
	if e == nil || e.Kind != fault.KindRepository {
		t.Fatalf("want a repository error, got %+v", e)
	}
	if !strings.Contains(e.Message, `repository "private" at http://***@127.0.0.1:1/charts`) {
		t.Errorf("message: %s", e.Message)
	}
	for what, text := range map[string]string{"message": e.Message, "url": e.Details["url"]} {
		if strings.Contains(text, "s3cret") || strings.Contains(text, "alice") {
			t.Errorf("the %s shows the credentials: %s", what, text)
		}
	}
	if e.Details["url"] != "http://***@127.0.0.1:1/charts" || e.Details["repository"] != "private" {
		t.Errorf("details: %v", e.Details)
	}
}
