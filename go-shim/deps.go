package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/downloader"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/registry"

	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"
)

// depsBuildParams is `helm dependency build CHART [--skip-refresh]` for a
// local chart directory, as helmfile runs it for every local chart of the
// selected releases unless --skip-deps / skipDeps is set.
type depsBuildParams struct {
	// Chart is the absolute path of the chart directory.
	Chart string `json:"chart"`
	// RepositoryConfig is the repositories file written by the repos method;
	// empty means helm's own.
	RepositoryConfig string `json:"repository_config"`
	// SkipRefresh is `--skip-refresh`: the repository indexes already in the
	// cache are used as they are.
	SkipRefresh bool `json:"skip_refresh,omitempty"`
	// IfMissing skips the build when charts/ already satisfies Chart.yaml
	// (and Chart.lock, when there is one). helm and helmfile always rebuild;
	// this is helmfire's opt-in shortcut and changes the printed log.
	IfMissing bool `json:"if_missing,omitempty"`
	// Registry is how OCI dependencies are reached.
	Registry RegistryAccess `json:"registry"`
}

type depsBuildResult struct {
	// Log is what `helm dependency build` prints on stdout ("Saving 1
	// charts", "Downloading raw from repo ...", ...), empty when nothing ran.
	Log string `json:"log"`
	// Updated tells whether a build ran.
	Updated bool `json:"updated"`
}

// runDepsBuild is `helm dependency build` done in-process with helm's
// downloader.Manager, configured as helm's pkg/cmd/dependency_build.go
// configures it. Builds of one chart directory are serialized inside the
// process: helm's Manager stages downloads in charts/../tmpcharts-<pid>,
// which two concurrent builds of one chart would share.
func runDepsBuild(ctx context.Context, raw json.RawMessage) (any, error) {
	var p depsBuildParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.Chart == "" || !filepath.IsAbs(p.Chart) {
		return nil, failf(KindBadRequest, "deps_build needs the absolute path of a chart directory, got %q", p.Chart)
	}
	settings := depsSettings(p.RepositoryConfig)

	unlock, err := lockChartDir(ctx, p.Chart)
	if err != nil {
		return nil, err
	}
	defer unlock()

	declared, err := declaresDependencies(p.Chart)
	if err != nil {
		return nil, err
	}
	if !declared {
		// helm prints nothing for a chart without dependencies.
		return depsBuildResult{}, nil
	}
	if p.IfMissing && dependenciesSatisfied(p.Chart) {
		slog.Debug("chart dependencies already satisfied", "chart", p.Chart)
		return depsBuildResult{}, nil
	}
	if ctx.Err() != nil {
		return nil, classify(ctx.Err(), KindCancelled)
	}
	log, err := manageDependencies(p.Chart, settings, p.Registry, p.SkipRefresh, false)
	if err != nil {
		return nil, err
	}
	return depsBuildResult{Log: log, Updated: true}, nil
}

func depsSettings(repositoryConfig string) *cli.EnvSettings {
	settings := cli.New()
	if repositoryConfig != "" {
		settings.RepositoryConfig = repositoryConfig
	}
	return settings
}

// chartDirLocks holds one single-slot channel per chart directory; a channel
// rather than a mutex so that a waiting call can still be cancelled.
var chartDirLocks sync.Map

func lockChartDir(ctx context.Context, dir string) (func(), error) {
	key := filepath.Clean(dir)
	if real, err := filepath.EvalSymlinks(key); err == nil {
		key = real
	}
	v, _ := chartDirLocks.LoadOrStore(key, make(chan struct{}, 1))
	slot := v.(chan struct{})
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, classify(ctx.Err(), KindCancelled)
	}
}

// declaresDependencies tells whether helm's Manager has anything to do: a
// dependency in Chart.yaml or requirements.yaml, or a lock file (which
// helm checks against Chart.yaml even when the list is empty).
func declaresDependencies(dir string) (bool, error) {
	chartfile := filepath.Join(dir, "Chart.yaml")
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, failf(KindChart, "chart %s does not exist", dir).withDetail("chart", dir)
	case err != nil:
		return false, failf(KindChart, "reading chart %s: %v", dir, err).withDetail("chart", dir)
	case !info.IsDir():
		return false, failf(KindChart, "chart %s is not a directory: only unpacked charts can have their dependencies built", dir).withDetail("chart", dir)
	}
	meta, err := chartutil.LoadChartfile(chartfile)
	if errors.Is(err, fs.ErrNotExist) {
		return false, failf(KindChart, "%s is not a chart: it has no Chart.yaml", dir).withDetail("chart", dir)
	} else if err != nil {
		return false, failf(KindChart, "loading chart %s: %v", dir, err).withDetail("chart", dir)
	}
	if len(meta.Dependencies) > 0 {
		return true, nil
	}
	for _, name := range []string{"requirements.yaml", "Chart.lock", "requirements.lock"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true, nil
		}
	}
	return false, nil
}

// dependenciesSatisfied tells whether charts/ already holds what a build
// would put there: one subchart per dependency, at the locked version when
// the lock is in sync, else within the version constraint. Anything doubtful
// answers false so that helm decides.
func dependenciesSatisfied(dir string) bool {
	c, err := loader.LoadDir(dir)
	if err != nil {
		return false
	}
	req := c.Metadata.Dependencies
	locked := map[string]string{}
	if c.Lock != nil {
		for _, d := range req {
			// helm rewrites aliased repositories before hashing.
			if strings.HasPrefix(d.Repository, "@") || strings.HasPrefix(d.Repository, "alias:") {
				return false
			}
		}
		if sum, err := hashDependencies(req, c.Lock.Dependencies); err != nil || sum != c.Lock.Digest {
			return false
		}
		for _, d := range c.Lock.Dependencies {
			locked[d.Name] = d.Version
		}
	}
	subcharts := map[string][]*chart.Chart{}
	for _, sub := range c.Dependencies() {
		subcharts[sub.Name()] = append(subcharts[sub.Name()], sub)
	}
	for _, d := range req {
		found := subcharts[d.Name]
		if len(found) != 1 {
			return false
		}
		have := found[0].Metadata.Version
		if want, ok := locked[d.Name]; ok {
			if want != have {
				return false
			}
			continue
		}
		constraint, err := semver.NewConstraint(d.Version)
		if err != nil {
			return false
		}
		v, err := semver.NewVersion(have)
		if err != nil || !constraint.Check(v) {
			return false
		}
	}
	return true
}

// hashDependencies is helm's internal resolver.HashReq.
func hashDependencies(req, lock []*chart.Dependency) (string, error) {
	data, err := json.Marshal([2][]*chart.Dependency{req, lock})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// manageDependencies runs helm's `dependency build` (update=false) or
// `dependency update` (update=true) on a chart directory and returns what
// helm prints. The caller holds the directory's lock.
func manageDependencies(dir string, settings *cli.EnvSettings, access RegistryAccess, skipRefresh, update bool) (string, error) {
	out := &syncbuf.Buffer{}
	man, err := newDependencyManager(dir, settings, access, out, skipRefresh)
	if err != nil {
		return "", err
	}
	slog.Debug("building chart dependencies", "chart", dir, "update", update, "skip_refresh", skipRefresh)
	if update {
		err = man.Update()
	} else {
		err = man.Build()
	}
	log := out.String()
	if err != nil {
		return log, dependencyError(dir, err, log)
	}
	return log, nil
}

func newDependencyManager(dir string, settings *cli.EnvSettings, access RegistryAccess, out io.Writer, skipRefresh bool) (*downloader.Manager, error) {
	epoch, err := sourceDateEpoch()
	if err != nil {
		return nil, failf(KindBadRequest, "%v", err)
	}
	// As helm's CLI creates it; it prints "Pulled:" and "Digest:" for OCI
	// dependencies, and the Manager dereferences it for any OCI dependency.
	registryClient, err := access.client(out, ociHostsOf(dir)...)
	if err != nil {
		return nil, failf(KindDependencies, "missing registry client: %v", err).withDetail("chart", dir)
	}
	return &downloader.Manager{
		Out:              out,
		ChartPath:        dir,
		SkipUpdate:       skipRefresh,
		Getters:          getter.All(settings),
		RegistryClient:   registryClient,
		RepositoryConfig: settings.RepositoryConfig,
		RepositoryCache:  settings.RepositoryCache,
		ContentCache:     settings.ContentCache,
		Debug:            settings.Debug,
		SourceDateEpoch:  epoch,
	}, nil
}

// sourceDateEpoch is helm's sourceDateEpochFromEnv (pkg/cmd).
func sourceDateEpoch() (*time.Time, error) {
	s, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || s == "" {
		return nil, nil
	}
	epoch, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid SOURCE_DATE_EPOCH: %w", err)
	}
	if epoch < 0 {
		return nil, errors.New("invalid SOURCE_DATE_EPOCH: must not be negative")
	}
	t := time.Unix(epoch, 0).UTC()
	return &t, nil
}

// dependencyError turns a Manager error into a KindDependencies error naming
// the chart and, when it can be told, the dependency and its repository.
func dependencyError(dir string, err error, log string) *ShimError {
	if se, ok := errors.AsType[*ShimError](err); ok {
		return se
	}
	e := &ShimError{Kind: KindDependencies}
	e.withDetail("chart", dir)
	if log != "" {
		e.withDetail("log", log)
	}
	if missing, ok := errors.AsType[downloader.ErrRepoNotFound](err); ok {
		e.Message = fmt.Sprintf("building the dependencies of chart %s: %v; define the repository in the state's repositories: (or add it with 'helm repo add')",
			dir, missing)
		e.withDetail("repository", strings.Join(missing.Repos, ", "))
		return e
	}
	if dep := blamedDependency(dir, err); dep != nil {
		e.withDetail("dependency", dep.Name)
		if dep.Repository != "" {
			e.withDetail("repository", dep.Repository)
		}
		e.Message = fmt.Sprintf("building the dependencies of chart %s: dependency %s %s from %s: %v",
			dir, dep.Name, dep.Version, repositoryOrCharts(dep.Repository), err)
		return e
	}
	e.Message = fmt.Sprintf("building the dependencies of chart %s: %v", dir, err)
	return e
}

func repositoryOrCharts(repository string) string {
	if repository == "" {
		return "its charts/ directory"
	}
	return repository
}

var wordRe = regexp.MustCompile(`[A-Za-z0-9_.-]+`)

// blamedDependency finds the one dependency an error is about: the only
// dependency, or the only one whose name or repository the message names.
// helm's messages are not uniform, so this answers nil when in doubt.
func blamedDependency(dir string, err error) *chart.Dependency {
	meta, loadErr := chartutil.LoadChartfile(filepath.Join(dir, "Chart.yaml"))
	if loadErr != nil || len(meta.Dependencies) == 0 {
		return nil
	}
	if len(meta.Dependencies) == 1 {
		return meta.Dependencies[0]
	}
	msg := err.Error()
	words := map[string]bool{}
	for _, w := range wordRe.FindAllString(msg, -1) {
		words[w] = true
	}
	var blamed *chart.Dependency
	for _, d := range meta.Dependencies {
		if words[d.Name] || (d.Repository != "" && strings.Contains(msg, strings.TrimSuffix(d.Repository, "/"))) {
			if blamed != nil && blamed.Name != d.Name {
				return nil
			}
			blamed = d
		}
	}
	return blamed
}

// ociHostsOf lists the registry hosts of a chart's OCI dependencies, so the
// registry client speaks plain HTTP to them when their repository says so.
func ociHostsOf(dir string) []string {
	meta, err := chartutil.LoadChartfile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil
	}
	var hosts []string
	for _, d := range meta.Dependencies {
		if registry.IsOCI(d.Repository) {
			hosts = append(hosts, registryHostOf(d.Repository))
		}
	}
	return hosts
}
