package remote

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
)

// gitOut runs the git command in dir and returns its trimmed output.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// checkedOut is the commit the cache entry holding path has checked out.
func checkedOut(t *testing.T, path string) string {
	t.Helper()
	repo, err := git.PlainOpenWithOptions(filepath.Dir(path), &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	return head.Hash().String()
}

// With no git command on PATH (the FROM scratch image), git:: sources are
// fetched by go-git and give what the git command gives: the ref (branch,
// tag, commit) checked out, shallow with depth, a missing ref said as git
// says it.
func TestWithoutTheGitCommandGitSourcesAreFetchedInProcess(t *testing.T) {
	repo := gitRepo(t)
	tagged := gitOut(t, repo, "rev-parse", "v1")
	tip := gitOut(t, repo, "rev-parse", "main")
	withGit, err := fetch(t, FetchParams{Source: "git::file://" + repo + "@env/values.yaml?ref=v1", CacheDir: t.TempDir(), Kind: "values", Run: 1})
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv("PATH", "")
	if _, err := exec.LookPath("git"); err == nil {
		t.Fatal("git is still found with PATH empty")
	}
	cache := t.TempDir()
	for _, c := range []struct{ query, values, commit string }{
		{"?ref=v1", "version: one\n", tagged},
		{"?ref=main", "version: two\n", tip},
		{"", "version: two\n", tip},
		{"?ref=" + tagged[:10], "version: one\n", tagged},
		{"?ref=v1&depth=1", "version: one\n", tagged},
		{"?ref=main&depth=1", "version: two\n", tip},
	} {
		res, err := fetch(t, FetchParams{Source: "git::file://" + repo + "@env/values.yaml" + c.query, CacheDir: cache, Kind: "values", Run: 1})
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got := read(t, res.Path); got != c.values {
			t.Errorf("%s: values %q, want %q", c.query, got, c.values)
		}
		if got := checkedOut(t, res.Path); got != c.commit {
			t.Errorf("%s: checked out %s, want %s", c.query, got, c.commit)
		}
	}
	res, err := fetch(t, FetchParams{Source: "git::file://" + repo + "@env/values.yaml?ref=v1", CacheDir: cache, Kind: "values", Run: 1})
	if err != nil || read(t, res.Path) != read(t, withGit.Path) {
		t.Fatalf("go-git and the git command disagree on v1: %v", err)
	}

	for _, query := range []string{"?ref=no-such-branch", "?ref=no-such-branch&depth=1"} {
		p := FetchParams{Source: "git::file://" + repo + "@env/values.yaml" + query, CacheDir: cache, Kind: "values", Run: 1}
		_, err := fetch(t, p)
		if err == nil || !strings.Contains(err.Error(), "cannot fetch git::file://") || !strings.Contains(err.Error(), `couldn't find remote ref "no-such-branch"`) {
			t.Fatalf("%s: %v", query, err)
		}
		p.IgnoreMissingGitBranch = true
		if res, err := fetch(t, p); err != nil || !res.Missing {
			t.Fatalf("%s, ignored: %+v %v", query, res, err)
		}
	}
}

// Submodules come along, as `git submodule update --init --recursive`
// brings them after go-getter's clone.
func TestWithoutTheGitCommandSubmodulesAreFetched(t *testing.T) {
	lib := gitRepo(t)
	repo := gitRepo(t)
	gitOut(t, repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", "file://"+lib, "lib")
	gitOut(t, repo, "commit", "-q", "-m", "lib")

	t.Setenv("PATH", "")
	res, err := fetch(t, FetchParams{Source: "git::file://" + repo + "@lib/env/values.yaml?ref=main", CacheDir: t.TempDir(), Kind: "values", Run: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, res.Path); got != "version: two\n" {
		t.Fatalf("the submodule's file: %q", got)
	}
}

func TestGitRequestTakesGoGettersParametersOffTheURL(t *testing.T) {
	s, err := Parse("git::ssh://deploy@host/org/repo.git@f.yaml?ref=v2&depth=3&sshkey=a2V5&cache=false&other=x")
	if err != nil {
		t.Fatal(err)
	}
	req, err := gitRequestOf(s)
	if err != nil {
		t.Fatal(err)
	}
	if req.repo != "ssh://deploy@host/org/repo.git?other=x" || req.ref != "v2" || req.depth != 3 || string(req.sshKey) != "key" || req.user != "deploy" {
		t.Fatalf("%+v", req)
	}
	bad, _ := Parse("git::ssh://host/repo.git@f.yaml?sshkey=not-base64!")
	if _, err := gitRequestOf(bad); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Fatalf("a key that is not base64: %v", err)
	}
}

// Over HTTP (git's smart protocol, served by `git http-backend` on
// loopback), with credentials in the URL and a shallow clone of a branch
// and of a tag, as `git clone --depth 1 --branch REF` makes them.
func TestWithoutTheGitCommandAnHTTPSourceIsClonedShallowWithItsCredentials(t *testing.T) {
	repo := gitRepo(t)
	tagged := gitOut(t, repo, "rev-parse", "v1")
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: gitPath, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + filepath.Dir(repo), "GIT_HTTP_EXPORT_ALL=1", "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_GLOBAL=/dev/null"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, password, ok := r.BasicAuth(); !ok || user != "reader" || password != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	defer srv.Close()
	base := strings.Replace(srv.URL, "http://", "http://reader:s3cret@", 1) + "/" + filepath.Base(repo)

	t.Setenv("PATH", "")
	cache := t.TempDir()
	for _, c := range []struct{ query, values string }{
		{"?ref=v1&depth=1", "version: one\n"},
		{"?ref=main&depth=1", "version: two\n"},
	} {
		res, err := fetch(t, FetchParams{Source: "git::" + base + "@env/values.yaml" + c.query, CacheDir: cache, Kind: "values", Run: 1})
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got := read(t, res.Path); got != c.values {
			t.Errorf("%s: values %q, want %q", c.query, got, c.values)
		}
		if c.query == "?ref=v1&depth=1" && checkedOut(t, res.Path) != tagged {
			t.Errorf("%s: not the tagged commit", c.query)
		}
		shallow, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(res.Path)), ".git", "shallow"))
		if err != nil || len(strings.Fields(string(shallow))) != 1 {
			t.Errorf("%s: not a clone of depth 1: %q %v", c.query, shallow, err)
		}
	}
	_, err = fetch(t, FetchParams{Source: "git::" + srv.URL + "/" + filepath.Base(repo) + "@env/values.yaml?ref=v1", CacheDir: cache, Kind: "values", Run: 1})
	if err == nil || !strings.Contains(err.Error(), "authentication required") {
		t.Fatalf("without credentials: %v", err)
	}
}

// With the git command, `depth` and a ref clone that ref shallow (`git
// clone --depth N --branch REF`): a tag or a branch other than the default
// is there, with depth commits only. (helmfile fails on these.)
func TestWithTheGitCommandADepthClonesTheRefShallow(t *testing.T) {
	repo := gitRepo(t)
	gitOut(t, repo, "branch", "old", "v1")
	cache := t.TempDir()
	for _, c := range []struct{ ref, values string }{{"v1", "version: one\n"}, {"old", "version: one\n"}, {"main", "version: two\n"}} {
		res, err := fetch(t, FetchParams{Source: "git::file://" + repo + "@env/values.yaml?depth=1&ref=" + c.ref, CacheDir: cache, Kind: "values", Run: 1})
		if err != nil {
			t.Fatalf("%s: %v", c.ref, err)
		}
		if got := read(t, res.Path); got != c.values {
			t.Errorf("%s: values %q, want %q", c.ref, got, c.values)
		}
		if commits := gitOut(t, filepath.Dir(filepath.Dir(res.Path)), "rev-list", "--count", "HEAD"); commits != "1" {
			t.Errorf("%s: %s commits, want 1 (depth=1)", c.ref, commits)
		}
	}
	p := FetchParams{Source: "git::file://" + repo + "@env/values.yaml?depth=1&ref=no-such-branch", CacheDir: cache, Kind: "values", Run: 1}
	if _, err := fetch(t, p); err == nil || !strings.Contains(err.Error(), "no-such-branch") {
		t.Fatalf("a missing ref: %v", err)
	}
	p.IgnoreMissingGitBranch = true
	if res, err := fetch(t, p); err != nil || !res.Missing {
		t.Fatalf("a missing ref, ignored: %+v %v", res, err)
	}
}
