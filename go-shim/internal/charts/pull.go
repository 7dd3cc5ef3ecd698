package charts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"helm.sh/helm/v4/pkg/chart/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/helmfire/helmfire/go-shim/internal/chartcache"
	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// PullParams asks for one remote chart version in the chart cache.
type PullParams struct {
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
	ChartOptions
}

// ChartOptions are a release's chart settings (helmfile's `devel`,
// `verify`, `keyring`, `insecureSkipTLSVerify`, `plainHttp`).
type ChartOptions struct {
	// Devel lets an empty Version take development versions (helm's
	// `--devel`: the constraint ">0.0.0-0").
	Devel bool `json:"devel,omitempty"`
	// Verify requires the chart's provenance file to verify against Keyring
	// (empty: helm's default keyring).
	Verify  bool   `json:"verify,omitempty"`
	Keyring string `json:"keyring,omitempty"`
	// InsecureSkipTLSVerify and PlainHTTP apply to this chart's source.
	InsecureSkipTLSVerify bool `json:"insecure_skip_tls_verify,omitempty"`
	PlainHTTP             bool `json:"plain_http,omitempty"`
}

// PullResult is a chart version in the cache.
type PullResult struct {
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

// Pull resolves a remote chart's version and makes sure the cache holds
// it: from the cache when it is there, else downloaded once (across
// goroutines and processes), verified and stored atomically.
func Pull(ctx context.Context, p PullParams) (PullResult, error) {
	if p.Version == "" && p.Devel {
		p.Version = ">0.0.0-0"
	}
	store, err := chartcache.Open(p.CacheDir)
	if err != nil {
		return PullResult{}, fault.Newf(fault.KindIO, "%v", err)
	}
	src, err := chartSourceOf(p)
	if err != nil {
		return PullResult{}, err
	}
	if src.oci {
		p.Registry = p.Registry.withChartOptions(registryHostOf(src.ref), p.ChartOptions)
	}
	res, err := pullIntoCache(ctx, store, src, p)
	if err == nil && p.Verify {
		err = verifyProvenance(ctx, store, src, res, p)
	}
	if err != nil || p.UntarTo == "" {
		return res, err
	}
	if err := os.MkdirAll(p.UntarTo, 0o755); err != nil {
		return PullResult{}, fault.Newf(fault.KindIO, "creating %s: %v", p.UntarTo, err)
	}
	if err := chartutil.ExpandFile(p.UntarTo, res.Path); err != nil {
		return PullResult{}, fault.Newf(fault.KindIO, "unpacking chart %s %s into %s: %v", res.Name, res.Version, p.UntarTo, err)
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

func chartSourceOf(p PullParams) (chartSource, error) {
	if registry.IsOCI(p.Chart) {
		trimmed := strings.TrimSuffix(p.Chart, "/")
		last := trimmed[strings.LastIndex(trimmed, "/")+1:]
		if strings.ContainsAny(last, ":@") || strings.Contains(trimmed, "@") {
			// A tag or digest in the reference: helm's own syntax.
			return chartSource{}, fault.Newf(fault.KindChart, "chart %s: give the version in the release's `version:`, not in the OCI reference", p.Chart).
				With("chart", p.Chart)
		}
		name := trimmed[strings.LastIndex(trimmed, "/")+1:]
		return chartSource{ref: p.Chart, name: name, repository: strings.TrimSuffix(trimmed, "/"+name), oci: true}, nil
	}
	repoName, chartName, ok := strings.Cut(p.Chart, "/")
	if !ok || repoName == "" || chartName == "" || strings.Contains(chartName, "/") {
		return chartSource{}, fault.Newf(fault.KindChart, "chart %s is neither a local path, an oci:// reference nor REPOSITORY/CHART", p.Chart).
			With("chart", p.Chart)
	}
	repos, err := loadUserRepositories(depsSettings(p.RepositoryConfig).RepositoryConfig)
	if err != nil {
		return chartSource{}, err
	}
	entry := repos.Get(repoName)
	if entry == nil {
		return chartSource{}, fault.Newf(fault.KindChart, "chart %s: repository %q is defined neither in the state's repositories nor in helm's repositories file",
			p.Chart, repoName).With("chart", p.Chart).With("repository", repoName)
	}
	return chartSource{ref: p.Chart, name: chartName, repository: entry.URL, entry: entry}, nil
}

func pullIntoCache(ctx context.Context, store *chartcache.Store, src chartSource, p PullParams) (PullResult, error) {
	if p.LockFile != "" {
		locked, err := lockedVersion(src, p)
		if err != nil {
			return PullResult{}, err
		}
		p.Version = locked
	}
	out := &syncbuf.Buffer{}
	// A damaged cache entry is dropped by the lookup and fetched again
	// below; the user is told, and a failed re-fetch says what it replaced.
	var damaged error
	explain := func(err error) error {
		if damaged == nil {
			return err
		}
		return fault.Newf(fault.KindChart, "%v, and fetching it again failed: %v", damaged, err).With("chart", src.ref)
	}
	lookup := func(ref chartcache.Ref) (chartcache.Entry, bool) {
		e, hit, dropped := store.Lookup(ref)
		if dropped != nil {
			damaged = dropped
			fmt.Fprintf(out, "%v; fetching it again\n", dropped)
		}
		return e, hit
	}
	if exact, ok := exactVersion(p.Version); ok {
		if e, hit := lookup(chartcache.Ref{Source: src.id(), Version: exact}); hit {
			return cachedResult(src, e), nil
		}
	}
	if p.Offline {
		if e, ok := newestCached(store, src, p.Version); ok {
			return cachedResult(src, e), nil
		}
	}
	var version, digest, url string
	var err error
	if src.oci {
		version, err = resolveOCIVersion(src, p, out)
	} else {
		version, digest, url, err = resolveRepoVersion(src, p)
	}
	if err != nil {
		return PullResult{}, explain(err)
	}
	ref := chartcache.Ref{Source: src.id(), Version: version}
	if e, hit := lookup(ref); hit {
		return cachedResult(src, e), nil
	}

	// One download per reference, across goroutines and processes: flock
	// locks conflict between separately opened files, in one process too,
	// and the wait honours ctx.
	unlock, err := store.Lock(ctx, ref)
	if err != nil {
		if ctx.Err() != nil {
			return PullResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
		}
		return PullResult{}, fault.Newf(fault.KindIO, "%v", err)
	}
	defer unlock()
	if e, hit := lookup(ref); hit {
		return cachedResult(src, e), nil
	}
	if ctx.Err() != nil {
		return PullResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
	}

	var data []byte
	if src.oci {
		data, digest, err = pullOCI(src, version, p, out)
	} else {
		data, err = downloadFromRepository(src, version, url, p, out)
	}
	if err != nil {
		return PullResult{}, explain(err)
	}
	if _, err := loader.LoadArchive(bytes.NewReader(data)); err != nil {
		return PullResult{}, repoFailf(fault.KindChart, "the archive of chart %s version %s from %s is corrupt (%v); nothing was cached",
			src.name, version, src.repository, err).With("chart", src.ref)
	}
	e, err := store.Put(ref, src.name, data, digest)
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || strings.Contains(err.Error(), "no space left on device") {
			hint = fmt.Sprintf("; free space there, or point HELMFIRE_CACHE_HOME at a disk with room (%s now)", p.CacheDir)
		}
		return PullResult{}, repoFailf(fault.KindChart, "chart %s version %s from %s: %v; nothing was cached%s",
			src.name, version, src.repository, err, hint).With("chart", src.ref)
	}
	res := cachedResult(src, e)
	res.Cached = false
	res.Log = out.String()
	return res, nil
}

// cachedResult is the answer for a chart version the cache holds.
func cachedResult(src chartSource, e chartcache.Entry) PullResult {
	return PullResult{
		Path: e.Path, Name: e.Name, Version: e.Version, Digest: e.Digest,
		Source: e.Source, Repository: src.repository, Cached: true,
	}
}
