package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v4/pkg/chart/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/downloader"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/helmpath"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/helmfire/helmfire/go-shim/internal/chartcache"
	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"
)

// chartPullParams asks for one remote chart version in the chart cache.
type chartPullParams struct {
	// Chart is "oci://host/path/chart" or "repo/chart" (a repository of
	// RepositoryConfig).
	Chart string `json:"chart"`
	// Version is an exact version, a semver constraint, or empty (the newest).
	Version          string         `json:"version,omitempty"`
	RepositoryConfig string         `json:"repository_config,omitempty"`
	CacheDir         string         `json:"cache_dir"`
	Registry         RegistryAccess `json:"registry"`
	// Offline resolves a version constraint against the cached versions
	// first and goes to the network only when none matches (--skip-refresh,
	// --skip-deps: an air-gapped run after `helmfire fetch`).
	Offline bool `json:"offline,omitempty"`
	// Locked are the versions of this chart a lock file records; the first
	// that satisfies Version is pulled (helmfile's ResolvedDependencies.Get).
	// LockFile names the file in messages.
	Locked   []string `json:"locked,omitempty"`
	LockFile string   `json:"lock_file,omitempty"`
	// UntarTo also unpacks the chart into this directory (`fetch`), as
	// `helm pull --untar -d` does: the chart lands in UntarTo/<name>.
	UntarTo string `json:"untar_to,omitempty"`
}

// chartPullResult is a chart version in the cache.
type chartPullResult struct {
	// Path is the cached archive (read-only: never modify it).
	Path    string `json:"path"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
	// Source is the OCI repository or chart repository URL plus chart name.
	Source string `json:"source"`
	// Repository is the repository part of Source, as a lock file records
	// it ("oci://host/path" or the repository URL).
	Repository string `json:"repository"`
	// Cached tells that nothing was downloaded.
	Cached bool `json:"cached"`
	// Log is what helm prints when it pulls (Pulling/Pulled/Digest).
	Log string `json:"log"`
}

// runChartPull resolves a remote chart's version and makes sure the cache
// holds it: from the cache when it is there, else downloaded once (across
// goroutines and processes), verified and stored atomically.
func runChartPull(ctx context.Context, raw json.RawMessage) (any, error) {
	var p chartPullParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	store, err := chartcache.Open(p.CacheDir)
	if err != nil {
		return nil, failf(KindIO, "%v", err)
	}
	src, err := chartSourceOf(p)
	if err != nil {
		return nil, err
	}
	res, err := pullIntoCache(ctx, store, src, p)
	if err != nil || p.UntarTo == "" {
		return res, err
	}
	if err := os.MkdirAll(p.UntarTo, 0o755); err != nil {
		return nil, failf(KindIO, "creating %s: %v", p.UntarTo, err)
	}
	if err := chartutil.ExpandFile(p.UntarTo, res.Path); err != nil {
		return nil, failf(KindIO, "unpacking chart %s %s into %s: %v", res.Name, res.Version, p.UntarTo, err)
	}
	return res, nil
}

// chartSource is where a remote chart comes from.
type chartSource struct {
	ref  string // as written
	name string // the chart's name
	// repository is "oci://host/path" or a chart repository URL.
	repository string
	oci        bool
	entry      *repo.Entry // the chart repository, for an HTTP source
}

func (s chartSource) id() string {
	return strings.TrimSuffix(s.repository, "/") + "/" + s.name
}

func chartSourceOf(p chartPullParams) (chartSource, error) {
	if registry.IsOCI(p.Chart) {
		trimmed := strings.TrimSuffix(p.Chart, "/")
		last := trimmed[strings.LastIndex(trimmed, "/")+1:]
		if strings.ContainsAny(last, ":@") || strings.Contains(trimmed, "@") {
			// A tag or digest in the reference: helm's own syntax.
			return chartSource{}, failf(KindChart, "chart %s: give the version in the release's `version:`, not in the OCI reference", p.Chart).
				withDetail("chart", p.Chart)
		}
		name := trimmed[strings.LastIndex(trimmed, "/")+1:]
		return chartSource{ref: p.Chart, name: name, repository: strings.TrimSuffix(trimmed, "/"+name), oci: true}, nil
	}
	repoName, chartName, ok := strings.Cut(p.Chart, "/")
	if !ok || repoName == "" || chartName == "" || strings.Contains(chartName, "/") {
		return chartSource{}, failf(KindChart, "chart %s is neither a local path, an oci:// reference nor REPOSITORY/CHART", p.Chart).
			withDetail("chart", p.Chart)
	}
	repos, err := loadUserRepositories(depsSettings(p.RepositoryConfig).RepositoryConfig)
	if err != nil {
		return chartSource{}, err
	}
	entry := repos.Get(repoName)
	if entry == nil {
		return chartSource{}, (&ShimError{
			Kind: KindChart,
			Message: fmt.Sprintf("chart %s: repository %q is defined neither in the state's repositories nor in helm's repositories file",
				p.Chart, repoName),
		}).withDetail("chart", p.Chart).withDetail("repository", repoName)
	}
	return chartSource{ref: p.Chart, name: chartName, repository: entry.URL, entry: entry}, nil
}

func pullIntoCache(ctx context.Context, store *chartcache.Store, src chartSource, p chartPullParams) (chartPullResult, error) {
	if p.LockFile != "" {
		locked, err := lockedVersion(src, p)
		if err != nil {
			return chartPullResult{}, err
		}
		p.Version = locked
	}
	if exact, ok := exactVersion(p.Version); ok {
		if e, hit := store.Get(chartcache.Ref{Source: src.id(), Version: exact}); hit {
			return cachedResult(src, e), nil
		}
	}
	if p.Offline {
		if e, ok := newestCached(store, src, p.Version); ok {
			return cachedResult(src, e), nil
		}
	}
	out := &syncbuf.Buffer{}
	var version, digest, url string
	var err error
	if src.oci {
		version, err = resolveOCIVersion(src, p, out)
	} else {
		version, digest, url, err = resolveRepoVersion(src, p)
	}
	if err != nil {
		return chartPullResult{}, err
	}
	ref := chartcache.Ref{Source: src.id(), Version: version}
	if e, hit := store.Get(ref); hit {
		return cachedResult(src, e), nil
	}

	// One download per reference, across goroutines and processes: flock
	// locks conflict between separately opened files, in one process too,
	// and the wait honours ctx.
	unlock, err := store.Lock(ctx, ref)
	if err != nil {
		if ctx.Err() != nil {
			return chartPullResult{}, classify(ctx.Err(), KindCancelled)
		}
		return chartPullResult{}, failf(KindIO, "%v", err)
	}
	defer unlock()
	if e, hit := store.Get(ref); hit {
		return cachedResult(src, e), nil
	}
	if ctx.Err() != nil {
		return chartPullResult{}, classify(ctx.Err(), KindCancelled)
	}

	var data []byte
	if src.oci {
		data, digest, err = pullOCI(src, version, p, out)
	} else {
		data, err = downloadFromRepository(src, version, url, p, out)
	}
	if err != nil {
		return chartPullResult{}, err
	}
	if _, err := loader.LoadArchive(bytes.NewReader(data)); err != nil {
		return chartPullResult{}, failf(KindChart, "the archive of chart %s version %s from %s is corrupt (%v); nothing was cached",
			src.name, version, src.repository, err).withDetail("chart", src.ref)
	}
	e, err := store.Put(ref, src.name, data, digest)
	if err != nil {
		return chartPullResult{}, failf(KindChart, "chart %s version %s from %s: %v; nothing was cached",
			src.name, version, src.repository, err).withDetail("chart", src.ref)
	}
	res := cachedResult(src, e)
	res.Cached = false
	res.Log = out.String()
	return res, nil
}

// lockedVersion is the first locked version that satisfies the release's
// constraint; none means the lock file is out of date with the state.
func lockedVersion(src chartSource, p chartPullParams) (string, error) {
	c, err := constraintOf(p.Version)
	if err != nil {
		return "", failf(KindChart, "chart %s: version %q is not a version or a semver constraint: %v", src.ref, p.Version, err).
			withDetail("chart", src.ref)
	}
	for _, l := range p.Locked {
		if v, err := semver.NewVersion(l); err == nil && c.Check(v) {
			return l, nil
		}
	}
	wanted := p.Version
	if wanted == "" {
		wanted = "*"
	}
	has := "no version of it"
	if len(p.Locked) > 0 {
		has = "only " + strings.Join(p.Locked, ", ")
	}
	return "", (&ShimError{
		Kind: KindChart,
		Message: fmt.Sprintf("the lock file %s is out of date: chart %s needs a version matching %q, and the lock file has %s; run `helmfire deps` to update it",
			p.LockFile, src.name, wanted, has),
	}).withDetail("chart", src.ref).withDetail("file", p.LockFile)
}

func cachedResult(src chartSource, e chartcache.Entry) chartPullResult {
	return chartPullResult{
		Path: e.Path, Name: e.Name, Version: e.Version, Digest: e.Digest,
		Source: e.Source, Repository: src.repository, Cached: true,
	}
}

// exactVersion tells whether a version names exactly one version (not a
// constraint, not empty).
func exactVersion(v string) (string, bool) {
	if v == "" {
		return "", false
	}
	parsed, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v"))
	if err != nil {
		return "", false
	}
	if strings.HasPrefix(v, "v") {
		return v, true
	}
	return parsed.Original(), true
}

func constraintOf(version string) (*semver.Constraints, error) {
	if version == "" {
		version = "*"
	}
	return semver.NewConstraint(version)
}

func newestCached(store *chartcache.Store, src chartSource, version string) (chartcache.Entry, bool) {
	c, err := constraintOf(version)
	if err != nil {
		return chartcache.Entry{}, false
	}
	var best chartcache.Entry
	var bestV *semver.Version
	for _, e := range store.Versions(src.id()) {
		v, err := semver.NewVersion(e.Version)
		if err != nil || !c.Check(v) {
			continue
		}
		if bestV == nil || v.GreaterThan(bestV) {
			best, bestV = e, v
		}
	}
	return best, bestV != nil
}

// resolveOCIVersion is the tag to pull: the version itself when it is exact
// (helm does not list tags then), else the newest tag matching it.
func resolveOCIVersion(src chartSource, p chartPullParams, out *syncbuf.Buffer) (string, error) {
	if exact, ok := exactVersion(p.Version); ok {
		return exact, nil
	}
	client, err := p.Registry.client(out, registryHostOf(src.ref))
	if err != nil {
		return "", failf(KindRepository, "registry client for %s: %v", src.ref, err).withDetail("chart", src.ref)
	}
	tags, err := client.Tags(strings.TrimPrefix(src.ref, "oci://"))
	if err != nil {
		return "", failf(KindRepository, "listing the versions of %s: %s", src.ref, p.Registry.describeError(src.ref, err)).
			withDetail("chart", src.ref)
	}
	tag, err := registry.GetTagMatchingVersionOrConstraint(tags, p.Version)
	if err != nil {
		return "", noSuchVersion(src, p.Version, tags)
	}
	return tag, nil
}

func pullOCI(src chartSource, version string, p chartPullParams, out *syncbuf.Buffer) ([]byte, string, error) {
	client, err := p.Registry.client(out, registryHostOf(src.ref))
	if err != nil {
		return nil, "", failf(KindRepository, "registry client for %s: %v", src.ref, err).withDetail("chart", src.ref)
	}
	// helm's tags use "_" for semver's "+".
	ref := strings.TrimPrefix(src.ref, "oci://") + ":" + strings.ReplaceAll(version, "+", "_")
	fmt.Fprintf(out, "Pulling %s\n", ref)
	result, err := client.Pull(ref, registry.PullOptWithChart(true))
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			if tags, tagsErr := client.Tags(strings.TrimPrefix(src.ref, "oci://")); tagsErr == nil {
				return nil, "", noSuchVersion(src, version, tags)
			}
		}
		return nil, "", failf(KindRepository, "pulling %s: %s", ref, p.Registry.describeError(src.ref, err)).withDetail("chart", src.ref)
	}
	return result.Chart.Data, result.Chart.Digest, nil
}

// resolveRepoVersion finds a version in the repository's index (refreshed by
// the repos method, or helm's cached copy).
func resolveRepoVersion(src chartSource, p chartPullParams) (version, digest, url string, err error) {
	settings := depsSettings(p.RepositoryConfig)
	indexPath := filepath.Join(settings.RepositoryCache, helmpath.CacheIndexFile(src.entry.Name))
	index, err := repo.LoadIndexFile(indexPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", "", "", failf(KindRepository, "chart %s: the index of repository %q has not been downloaded; run without --skip-deps/--skip-refresh once, or `helmfire repos`",
				src.ref, src.entry.Name).withDetail("chart", src.ref).withDetail("repository", src.entry.Name)
		}
		return "", "", "", failf(KindRepository, "chart %s: reading the index of repository %q: %v", src.ref, src.entry.Name, err).
			withDetail("chart", src.ref)
	}
	cv, err := index.Get(src.name, p.Version)
	if err != nil {
		var available []string
		for _, v := range index.Entries[src.name] {
			available = append(available, v.Version)
		}
		if len(available) == 0 {
			return "", "", "", failf(KindChart, "chart %q is not in repository %q (%s)", src.name, src.entry.Name, src.entry.URL).
				withDetail("chart", src.ref).withDetail("repository", src.entry.Name)
		}
		return "", "", "", noSuchVersion(src, p.Version, available)
	}
	if len(cv.URLs) == 0 {
		return "", "", "", failf(KindChart, "chart %s version %s has no download URL in repository %q", src.name, cv.Version, src.entry.Name).
			withDetail("chart", src.ref)
	}
	url, err = repo.ResolveReferenceURL(src.entry.URL, cv.URLs[0])
	if err != nil {
		return "", "", "", failf(KindChart, "chart %s version %s: bad URL %q in repository %q: %v", src.name, cv.Version, cv.URLs[0], src.entry.Name, err).
			withDetail("chart", src.ref)
	}
	digest = cv.Digest
	if digest != "" && !strings.HasPrefix(digest, "sha256:") {
		digest = "sha256:" + digest
	}
	return cv.Version, digest, url, nil
}

// downloadFromRepository downloads an archive with the repository's
// credentials and TLS settings, as helm's downloader would.
func downloadFromRepository(src chartSource, version, url string, p chartPullParams, out *syncbuf.Buffer) ([]byte, error) {
	settings := depsSettings(p.RepositoryConfig)
	tmp, err := os.MkdirTemp("", "helmfire-pull-")
	if err != nil {
		return nil, failf(KindIO, "creating a temp directory: %v", err)
	}
	defer os.RemoveAll(tmp)
	d := downloader.ChartDownloader{
		Out:              out,
		Verify:           downloader.VerifyNever,
		Getters:          getter.All(settings),
		RepositoryConfig: settings.RepositoryConfig,
		RepositoryCache:  settings.RepositoryCache,
		ContentCache:     tmp,
		Options:          []getter.Option{getter.WithAcceptHeader("application/gzip,application/octet-stream")},
	}
	path, _, err := d.DownloadTo(src.ref, version, tmp)
	if err != nil {
		return nil, failf(KindRepository, "downloading chart %s version %s from %s: %v", src.name, version, url, err).
			withDetail("chart", src.ref).withDetail("repository", src.entry.Name)
	}
	fmt.Fprintf(out, "Downloaded %s version %s from %s\n", src.name, version, url)
	return os.ReadFile(path)
}

// noSuchVersion names the versions closest to the one asked for.
func noSuchVersion(src chartSource, version string, available []string) *ShimError {
	closest := closestVersions(version, available, 5)
	what := "no version"
	if version != "" {
		what = fmt.Sprintf("no version matching %q", version)
	}
	msg := fmt.Sprintf("chart %s: %s in %s", src.name, what, src.repository)
	if len(closest) > 0 {
		msg += fmt.Sprintf("; the closest available: %s", strings.Join(closest, ", "))
	} else {
		msg += "; it has no versions"
	}
	return (&ShimError{Kind: KindChart, Message: msg}).withDetail("chart", src.ref)
}

// closestVersions orders available versions by distance to the asked one
// (major, then minor, then patch), newest first on a tie; for a constraint
// or an unparsable version, the newest.
func closestVersions(version string, available []string, n int) []string {
	type candidate struct {
		raw string
		v   *semver.Version
	}
	var cands []candidate
	for _, a := range available {
		if v, err := semver.NewVersion(strings.ReplaceAll(a, "_", "+")); err == nil {
			cands = append(cands, candidate{a, v})
		}
	}
	want, err := semver.NewVersion(version)
	dist := func(v *semver.Version) [3]uint64 {
		if err != nil {
			return [3]uint64{}
		}
		d := func(a, b uint64) uint64 {
			if a > b {
				return a - b
			}
			return b - a
		}
		return [3]uint64{d(v.Major(), want.Major()), d(v.Minor(), want.Minor()), d(v.Patch(), want.Patch())}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		di, dj := dist(cands[i].v), dist(cands[j].v)
		if di != dj {
			for k := range di {
				if di[k] != dj[k] {
					return di[k] < dj[k]
				}
			}
		}
		return cands[i].v.GreaterThan(cands[j].v)
	})
	var out []string
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].raw)
	}
	return out
}
