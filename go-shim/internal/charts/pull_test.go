package charts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// pullRepo is a chart repository served over HTTP that counts the requests
// for each path, so that a test can tell whether a pull went to the network.
type pullRepo struct {
	srv     *httptest.Server
	url     string
	repos   string // a repositories file naming it "myrepo"
	docroot string // what it serves

	mu   sync.Mutex
	hits map[string]int
}

func (r *pullRepo) hitsOf(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

func (r *pullRepo) totalHits() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, h := range r.hits {
		n += h
	}
	return n
}

// garbage is served as a chart archive that is not one.
const garbage = "this is not a gzipped tarball"

// servePullRepo serves raw 0.1.0 and 0.0.1 as "myrepo" (helm's copy of its
// index already downloaded, as `helmfire repos` leaves it), plus archives
// that must not get into the cache:
//   - broken 1.0.0: garbage, announced with its true digest;
//   - broken 2.0.0: garbage, announced without a digest;
//   - mislabeled 0.1.0: raw's valid archive, announced with another digest.
func servePullRepo(t *testing.T) *pullRepo {
	t.Helper()
	shimtest.HelmEnv(t)
	docroot := t.TempDir()
	for _, v := range []string{"raw-0.1.0", "raw-0.0.1"} {
		c, err := loader.LoadDir(filepath.Join(shimtest.Charts, v))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chartutil.Save(c, docroot); err != nil {
			t.Fatal(err)
		}
		if v == "raw-0.1.0" {
			// A development version, only for `devel`.
			c.Metadata.Version = "0.2.0-rc.1"
			if _, err := chartutil.Save(c, docroot); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(docroot, "garbage.tgz"), []byte(garbage), 0o644); err != nil {
		t.Fatal(err)
	}

	r := &pullRepo{hits: map[string]int{}, docroot: docroot}
	files := http.FileServer(http.Dir(docroot))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.hits[req.URL.Path]++
		r.mu.Unlock()
		files.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.url = r.srv.URL

	index, err := repo.IndexDirectory(docroot, r.url)
	if err != nil {
		t.Fatal(err)
	}
	garbageSum := sha256.Sum256([]byte(garbage))
	for _, e := range []struct{ name, version, file, digest string }{
		{"broken", "1.0.0", "garbage.tgz", hex.EncodeToString(garbageSum[:])},
		{"broken", "2.0.0", "garbage.tgz", ""},
		{"mislabeled", "0.1.0", "raw-0.1.0.tgz", hex.EncodeToString(garbageSum[:])},
	} {
		md := &chart.Metadata{APIVersion: chart.APIVersionV2, Name: e.name, Version: e.version}
		if err := index.MustAdd(md, e.file, r.url, e.digest); err != nil {
			t.Fatal(err)
		}
	}
	if err := index.WriteFile(filepath.Join(docroot, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}

	r.repos = shimtest.WriteRepositories(t, "myrepo", r.url)
	if err := downloadIndex(Repository{Name: "myrepo", URL: r.url}, depsSettings(r.repos)); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *pullRepo) pull(t *testing.T, cacheDir, chartRef, version string, offline bool) (PullResult, *fault.Error) {
	t.Helper()
	return r.pullWith(t, PullParams{Chart: chartRef, Version: version, CacheDir: cacheDir, Offline: offline})
}

// pullWith pulls from this repository with any parameters.
func (r *pullRepo) pullWith(t *testing.T, p PullParams) (PullResult, *fault.Error) {
	t.Helper()
	p.RepositoryConfig = r.repos
	return shimtest.Invoke(t, Pull, p)
}

// blobs lists the archives in a chart cache.
func blobs(t *testing.T, cacheDir string) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(cacheDir, "blobs", "sha256", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func fileDigest(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestChartPullDownloadsOnceThenServesTheCache(t *testing.T) {
	r := servePullRepo(t)
	cache := t.TempDir()

	first, err := r.pull(t, cache, "myrepo/raw", "0.1.0", false)
	if err != nil {
		t.Fatalf("pull failed: %+v", err)
	}
	if first.Cached || first.Version != "0.1.0" || first.Name != "raw" || first.Repository != r.url || first.Source != r.url+"/raw" {
		t.Errorf("first pull: %+v", first)
	}
	if !strings.HasPrefix(first.Path, cache+string(filepath.Separator)) {
		t.Errorf("archive at %s, outside the cache %s", first.Path, cache)
	}
	if got := fileDigest(t, first.Path); first.Digest != got {
		t.Errorf("digest %s, but the archive's is %s", first.Digest, got)
	}
	if !strings.Contains(first.Log, r.url+"/raw-0.1.0.tgz") {
		t.Errorf("log: %q", first.Log)
	}
	if n := r.hitsOf("/raw-0.1.0.tgz"); n != 1 {
		t.Errorf("the archive was downloaded %d times", n)
	}

	before := r.totalHits()
	second, err := r.pull(t, cache, "myrepo/raw", "0.1.0", false)
	if err != nil {
		t.Fatalf("second pull failed: %+v", err)
	}
	if !second.Cached || second.Path != first.Path || second.Digest != first.Digest || second.Log != "" {
		t.Errorf("second pull: %+v, first: %+v", second, first)
	}
	if after := r.totalHits(); after != before {
		t.Errorf("the second pull made %d requests", after-before)
	}
}

func TestChartPullResolvesVersions(t *testing.T) {
	r := servePullRepo(t)
	cases := []struct{ version, want string }{
		{"~0.0", "0.0.1"},
		{"", "0.1.0"},
		{"*", "0.1.0"},
		{">0.0.1", "0.1.0"},
		{"0.0.1", "0.0.1"},
	}
	for _, c := range cases {
		res, err := r.pull(t, t.TempDir(), "myrepo/raw", c.version, false)
		if err != nil {
			t.Errorf("version %q: %+v", c.version, err)
			continue
		}
		if res.Version != c.want || res.Cached {
			t.Errorf("version %q: got %s (cached %v), want %s", c.version, res.Version, res.Cached, c.want)
		}
	}
}

func TestChartPullErrors(t *testing.T) {
	r := servePullRepo(t)
	cases := []struct {
		name, chart, version string
		kind                 fault.Kind
		// any one of them in the message
		texts []string
	}{
		{"missing version names the closest", "myrepo/raw", "9.9.9", fault.KindChart, []string{"0.1.0, 0.0.1", "0.0.1, 0.1.0"}},
		{"unknown repository", "nope/raw", "", fault.KindChart, []string{`repository "nope"`}},
		{"unknown chart", "myrepo/nothing", "", fault.KindChart, []string{`chart "nothing" is not in repository "myrepo"`}},
		{"not a reference", "justaname", "", fault.KindChart, []string{"REPOSITORY/CHART"}},
		{"garbage with its digest", "myrepo/broken", "1.0.0", fault.KindChart, []string{"corrupt"}},
		{"garbage without a digest", "myrepo/broken", "2.0.0", fault.KindChart, []string{"corrupt"}},
		{"archive with another digest", "myrepo/mislabeled", "0.1.0", fault.KindChart, []string{"nothing was cached"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cache := t.TempDir()
			_, err := r.pull(t, cache, c.chart, c.version, false)
			if err == nil {
				t.Fatal("pull succeeded")
			}
			if err.Kind != c.kind {
				t.Errorf("kind %s, want %s: %s", err.Kind, c.kind, err.Message)
			}
			matched := false
			for _, text := range c.texts {
				matched = matched || strings.Contains(err.Message, text)
			}
			if !matched {
				t.Errorf("message %q has none of %q", err.Message, c.texts)
			}
			// A failed pull leaves nothing behind.
			if b := blobs(t, cache); len(b) != 0 {
				t.Errorf("the cache holds %v", b)
			}
		})
	}
}

func TestChartPullOfflineResolvesFromTheCache(t *testing.T) {
	r := servePullRepo(t)
	cache := t.TempDir()
	// Only 0.0.1 is cached, while the index offers 0.1.0 too.
	pulled, err := r.pull(t, cache, "myrepo/raw", "0.0.1", false)
	if err != nil {
		t.Fatalf("pull failed: %+v", err)
	}
	r.srv.Close()

	res, err := r.pull(t, cache, "myrepo/raw", "*", true)
	if err != nil {
		t.Fatalf("offline pull failed: %+v", err)
	}
	if res.Version != "0.0.1" || !res.Cached || res.Path != pulled.Path {
		t.Errorf("offline pull: %+v", res)
	}
	// Online, the same constraint means 0.1.0, which the stopped server
	// cannot deliver.
	if res, err := r.pull(t, cache, "myrepo/raw", "*", false); err == nil {
		t.Errorf("online pull with the server stopped succeeded: %+v", res)
	} else if err.Kind != fault.KindRepository {
		t.Errorf("online pull with the server stopped: %+v", err)
	}
}

func TestChartPullConcurrentPullsDownloadOnce(t *testing.T) {
	r := servePullRepo(t)
	cache := t.TempDir()
	params := PullParams{Chart: "myrepo/raw", Version: "0.0.1", RepositoryConfig: r.repos, CacheDir: cache}

	const pullers = 8
	results := make([]PullResult, pullers)
	errs := make([]error, pullers)
	var wg sync.WaitGroup
	for i := range pullers {
		wg.Go(func() {
			results[i], errs[i] = Pull(context.Background(), params)
		})
	}
	wg.Wait()

	downloads := 0
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("puller %d: %v", i, errs[i])
		}
		if res.Path != results[0].Path || res.Version != "0.0.1" {
			t.Errorf("puller %d: %+v, puller 0: %+v", i, res, results[0])
		}
		if !res.Cached {
			downloads++
		}
	}
	if downloads != 1 {
		t.Errorf("%d pulls say they downloaded", downloads)
	}
	if n := r.hitsOf("/raw-0.0.1.tgz"); n != 1 {
		t.Errorf("the archive was downloaded %d times", n)
	}
	if b := blobs(t, cache); len(b) != 1 {
		t.Errorf("the cache holds %v", b)
	}
}

func TestLockResolve(t *testing.T) {
	r := servePullRepo(t)
	resolve := func(t *testing.T, second string) LockResolveResult {
		t.Helper()
		res, err := shimtest.Invoke(t, ResolveLock, LockResolveParams{
			RepositoryConfig: r.repos,
			Dependencies: []lockDependency{
				{Chart: "myrepo/raw", Name: "raw", Repository: r.url, Version: "*"},
				{Chart: "myrepo/raw", Name: "raw", Repository: r.url, Version: second, Alias: "old"},
			},
		})
		if err != nil {
			t.Fatalf("lock_resolve failed: %+v", err)
		}
		return res
	}

	res := resolve(t, "0.0.1")
	if len(res.Resolved) != 2 || res.Resolved[0].Version != "0.1.0" || res.Resolved[1].Version != "0.0.1" {
		t.Fatalf("resolved %+v", res.Resolved)
	}
	for _, d := range res.Resolved {
		if d.Name != "raw" || d.Repository != r.url {
			t.Errorf("resolved %+v", d)
		}
	}
	if !strings.HasPrefix(res.Digest, "sha256:") || len(res.Digest) != len("sha256:")+64 {
		t.Errorf("digest %q", res.Digest)
	}
	// The digest is a function of the requirements and the resolution: the
	// same input gives the same digest, another constraint (resolving to the
	// same version) another one.
	if again := resolve(t, "0.0.1"); again.Digest != res.Digest {
		t.Errorf("digest changed between identical calls: %s, %s", res.Digest, again.Digest)
	}
	changed := resolve(t, "~0.0")
	if changed.Resolved[1].Version != "0.0.1" {
		t.Fatalf("~0.0 resolved to %s", changed.Resolved[1].Version)
	}
	if changed.Digest == res.Digest {
		t.Error("the digest did not change with the constraint")
	}

	// An unsatisfiable constraint fails as chart_pull does.
	_, err := shimtest.Invoke(t, ResolveLock, LockResolveParams{
		RepositoryConfig: r.repos,
		Dependencies:     []lockDependency{{Chart: "myrepo/raw", Name: "raw", Repository: r.url, Version: "9.9.9"}},
	})
	if err == nil || err.Kind != fault.KindChart || !strings.Contains(err.Message, "0.1.0") {
		t.Errorf("unsatisfiable constraint: %+v", err)
	}
}

func TestCacheInfoAndCleanup(t *testing.T) {
	r := servePullRepo(t)
	cache := t.TempDir()
	var size int64
	for _, v := range []string{"0.1.0", "0.0.1"} {
		res, err := r.pull(t, cache, "myrepo/raw", v, false)
		if err != nil {
			t.Fatalf("pull %s: %+v", v, err)
		}
		info, statErr := os.Stat(res.Path)
		if statErr != nil {
			t.Fatal(statErr)
		}
		size += info.Size()
	}

	info, err := shimtest.Invoke(t, CacheInfo, CacheParams{CacheDir: cache})
	if err != nil {
		t.Fatalf("cache_info: %+v", err)
	}
	if info.Root != cache || info.Charts != 2 || info.Archives != 2 || info.Bytes != size || info.Orphans != 0 || info.TempFiles != 0 {
		t.Errorf("cache_info: %+v", info.Usage)
	}
	if len(info.Entries) != 2 || info.Entries[0].Version != "0.0.1" || info.Entries[1].Version != "0.1.0" {
		t.Errorf("entries: %+v", info.Entries)
	}

	// Both charts are younger than an hour: nothing to remove.
	kept, err := shimtest.Invoke(t, CleanupCache, CacheParams{CacheDir: cache, OlderThanSeconds: 3600})
	if err != nil || kept.RemovedArchives != 0 || len(blobs(t, cache)) != 2 {
		t.Fatalf("cleanup of charts older than an hour: %+v, %+v", kept, err)
	}
	cleaned, err := shimtest.Invoke(t, CleanupCache, CacheParams{CacheDir: cache})
	if err != nil {
		t.Fatalf("cache_cleanup: %+v", err)
	}
	if cleaned.RemovedArchives != 2 || cleaned.RemovedBytes != size {
		t.Errorf("cache_cleanup: %+v, want 2 archives, %d bytes", cleaned, size)
	}
	if b := blobs(t, cache); len(b) != 0 {
		t.Errorf("the cache still holds %v", b)
	}
	info, err = shimtest.Invoke(t, CacheInfo, CacheParams{CacheDir: cache})
	if err != nil || info.Charts != 0 || info.Archives != 0 || len(info.Entries) != 0 {
		t.Errorf("cache_info after cleanup: %+v, %+v", info, err)
	}

	// A relative cache directory is refused.
	if _, err := shimtest.Invoke(t, CacheInfo, CacheParams{CacheDir: "relative"}); err == nil || err.Kind != fault.KindIO {
		t.Errorf("relative cache directory: %+v", err)
	}
}
