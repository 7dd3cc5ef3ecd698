package remote

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseReadsHelmfilesForms(t *testing.T) {
	for _, c := range []struct{ ref, getter, dir, file string }{
		{"git::https://host/org/repo.git@charts/values.yaml?ref=v1", "git", "/org/repo.git", "charts/values.yaml"},
		{"git::ssh://git@host/org/repo.git@helmfile.yaml", "git", "/org/repo.git", "helmfile.yaml"},
		{"https://host/dir/values.yaml", "", "/dir", "values.yaml"},
		{"s3://bucket/dir/values.yaml", "", "/dir", "values.yaml"},
	} {
		s, err := Parse(c.ref)
		if err != nil {
			t.Fatalf("%s: %v", c.ref, err)
		}
		if s.Getter != c.getter || s.Dir != c.dir || s.File != c.file {
			t.Errorf("%s: got %+v", c.ref, s)
		}
	}
	for _, local := range []string{"repo/chart", "./values.yaml", "/abs/values.yaml", "oci://host/chart", "values.yaml"} {
		if _, err := Parse(local); err == nil {
			t.Errorf("%s parsed as remote", local)
		}
	}
	s, _ := Parse("git::https://user:hunter2@host/repo.git@f.yaml?ref=v1&sshkey=c2VjcmV0")
	if text := s.String(); strings.Contains(text, "hunter2") || strings.Contains(text, "c2VjcmV0") {
		t.Errorf("credentials shown: %s", text)
	}
}

// gitRepo makes a repository with values.yaml on main, tagged v1, then
// changed on main.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("init", "-q", "-b", "main")
	write("env/values.yaml", "version: one\n")
	run("add", ".")
	run("commit", "-q", "-m", "one")
	run("tag", "v1")
	write("env/values.yaml", "version: two\n")
	run("commit", "-q", "-am", "two")
	return dir
}

func fetch(t *testing.T, p FetchParams) (FetchResult, error) {
	t.Helper()
	res, err := Fetch(context.Background(), p)
	return res, err
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestAGitSourceIsFetchedOnceAtItsRef(t *testing.T) {
	repo := gitRepo(t)
	cache := t.TempDir()
	at := func(ref string) FetchParams {
		return FetchParams{Source: "git::file://" + repo + "@env/values.yaml?ref=" + ref, CacheDir: cache, Kind: "values", Run: 1}
	}
	res, err := fetch(t, at("v1"))
	if err != nil || !res.Fetched || read(t, res.Path) != "version: one\n" {
		t.Fatalf("v1: %+v %v", res, err)
	}
	res, err = fetch(t, at("main"))
	if err != nil || read(t, res.Path) != "version: two\n" {
		t.Fatalf("main: %+v %v", res, err)
	}
	again, err := fetch(t, at("v1"))
	if err != nil || again.Fetched || read(t, again.Path) != "version: one\n" {
		t.Fatalf("cached v1: %+v %v", again, err)
	}

	_, err = fetch(t, at("no-such-branch"))
	if err == nil || !strings.Contains(err.Error(), "cannot fetch git::file://") || !strings.Contains(err.Error(), "no-such-branch") {
		t.Fatalf("a missing ref: %v", err)
	}
	p := at("no-such-branch")
	p.IgnoreMissingGitBranch = true
	res, err = fetch(t, p)
	if err != nil || !res.Missing {
		t.Fatalf("a missing ref, ignored: %+v %v", res, err)
	}
}

func TestCacheFalseFetchesOncePerRun(t *testing.T) {
	var hits atomic.Int32
	body := "a: 1\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/dir/values.yaml" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	cache := t.TempDir()
	get := func(ref string, run uint64) (FetchResult, error) {
		return fetch(t, FetchParams{Source: ref, CacheDir: cache, Kind: "values", Run: run})
	}
	res, err := get(srv.URL+"/dir/values.yaml", 1)
	if err != nil || read(t, res.Path) != body {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := get(srv.URL+"/dir/values.yaml", 2); err != nil || hits.Load() != 1 {
		t.Fatalf("a cached file was fetched again: %d hits, %v", hits.Load(), err)
	}
	body = "a: 2\n"
	for _, run := range []uint64{3, 3} {
		res, err = get(srv.URL+"/dir/values.yaml?cache=false", run)
		if err != nil || read(t, res.Path) != body {
			t.Fatalf("cache=false: %+v %v", res, err)
		}
	}
	if hits.Load() != 2 {
		t.Errorf("cache=false within one run: %d hits, want 2", hits.Load())
	}
	_, err = get(srv.URL+"/dir/absent.yaml", 4)
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "/dir/absent.yaml") {
		t.Errorf("a missing file: %v", err)
	}
}

func TestAnS3ObjectIsFetchedThroughTheSDK(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bucket/dir/values.yaml" || r.Header.Get("Authorization") == "" {
			http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte("from: s3\n"))
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	res, err := fetch(t, FetchParams{Source: "s3://bucket/dir/values.yaml", CacheDir: t.TempDir(), Kind: "values", Run: 1})
	if err != nil || read(t, res.Path) != "from: s3\n" {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestRemoteSourcesCanBeDisabled(t *testing.T) {
	_, err := fetch(t, FetchParams{Source: "https://host/v.yaml", CacheDir: t.TempDir(), Kind: "values", DisableInsecure: true})
	if err == nil || !strings.Contains(err.Error(), "HELMFILE_DISABLE_INSECURE_FEATURES") {
		t.Errorf("%v", err)
	}
}
