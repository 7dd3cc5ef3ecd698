package charts

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v4/pkg/helmpath"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/helmfire/helmfire/go-shim/internal/chartcache"
	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// lockedVersion is the first locked version that satisfies the release's
// constraint; none means the lock file is out of date with the state.
func lockedVersion(src chartSource, p PullParams) (string, error) {
	c, err := constraintOf(p.Version)
	if err != nil {
		return "", fault.Newf(fault.KindChart, "chart %s: version %q is not a version or a semver constraint: %v", src.ref, p.Version, err).
			With("chart", src.ref)
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
	return "", fault.Newf(fault.KindChart, "the lock file %s is out of date: chart %s needs a version matching %q, and the lock file has %s; run `helmfire deps` to update it",
		p.LockFile, src.name, wanted, has).With("chart", src.ref).With("file", p.LockFile)
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
func resolveOCIVersion(src chartSource, p PullParams, out *syncbuf.Buffer) (string, error) {
	if exact, ok := exactVersion(p.Version); ok {
		return exact, nil
	}
	client, err := p.Registry.client(out, registryHostOf(src.ref))
	if err != nil {
		return "", repoFailf(fault.KindRepository, "registry client for %s: %v", src.ref, err).With("chart", src.ref)
	}
	tags, err := client.Tags(strings.TrimPrefix(src.ref, "oci://"))
	if err != nil {
		return "", repoFailf(fault.KindRepository, "listing the versions of %s: %s", src.ref, p.Registry.describeError(src.ref, err)).
			With("chart", src.ref)
	}
	tag, err := registry.GetTagMatchingVersionOrConstraint(tags, p.Version)
	if err != nil {
		return "", noSuchVersion(src, p.Version, tags)
	}
	return tag, nil
}

// resolveRepoVersion finds a version in the repository's index (refreshed by
// the repos method, or helm's cached copy).
func resolveRepoVersion(src chartSource, p PullParams) (version, digest, url string, err error) {
	settings := depsSettings(p.RepositoryConfig)
	indexPath := filepath.Join(settings.RepositoryCache, helmpath.CacheIndexFile(src.entry.Name))
	index, err := repo.LoadIndexFile(indexPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", "", "", fault.Newf(fault.KindRepository, "chart %s: the index of repository %q has not been downloaded; run without --skip-deps/--skip-refresh once, or `helmfire repos`",
				src.ref, src.entry.Name).With("chart", src.ref).With("repository", src.entry.Name)
		}
		return "", "", "", fault.Newf(fault.KindRepository, "chart %s: reading the index of repository %q: %v", src.ref, src.entry.Name, err).
			With("chart", src.ref)
	}
	cv, err := index.Get(src.name, p.Version)
	if err != nil {
		var available []string
		for _, v := range index.Entries[src.name] {
			available = append(available, v.Version)
		}
		if len(available) == 0 {
			return "", "", "", repoFailf(fault.KindChart, "chart %q is not in repository %q (%s)", src.name, src.entry.Name, src.entry.URL).
				With("chart", src.ref).With("repository", src.entry.Name)
		}
		return "", "", "", noSuchVersion(src, p.Version, available)
	}
	if len(cv.URLs) == 0 {
		return "", "", "", fault.Newf(fault.KindChart, "chart %s version %s has no download URL in repository %q", src.name, cv.Version, src.entry.Name).
			With("chart", src.ref)
	}
	url, err = repo.ResolveReferenceURL(src.entry.URL, cv.URLs[0])
	if err != nil {
		return "", "", "", repoFailf(fault.KindChart, "chart %s version %s: bad URL %q in repository %q: %v", src.name, cv.Version, cv.URLs[0], src.entry.Name, err).
			With("chart", src.ref)
	}
	digest = cv.Digest
	if digest != "" && !strings.HasPrefix(digest, "sha256:") {
		digest = "sha256:" + digest
	}
	return cv.Version, digest, url, nil
}
