package charts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// DepsBuildParams is `helm dependency build CHART [--skip-refresh]` for a
// local chart directory, as helmfile runs it for every local chart of the
// selected releases unless --skip-deps / skipDeps is set.
type DepsBuildParams struct {
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

// DepsBuildResult is what the build printed.
type DepsBuildResult struct {
	// Log is what `helm dependency build` prints on stdout ("Saving 1
	// charts", "Downloading raw from repo ...", ...), empty when nothing ran.
	Log string `json:"log"`
	// Updated tells whether a build ran.
	Updated bool `json:"updated"`
}

// BuildDeps is `helm dependency build` done in-process with helm's
// downloader.Manager, configured as helm's pkg/cmd/dependency_build.go
// configures it. Builds of one chart directory are serialized inside the
// process: helm's Manager stages downloads in charts/../tmpcharts-<pid>,
// which two concurrent builds of one chart would share.
func BuildDeps(ctx context.Context, p DepsBuildParams) (DepsBuildResult, error) {
	if p.Chart == "" || !filepath.IsAbs(p.Chart) {
		return DepsBuildResult{}, fault.Newf(fault.KindBadRequest, "deps_build needs the absolute path of a chart directory, got %q", p.Chart)
	}
	settings := depsSettings(p.RepositoryConfig)

	unlock, err := lockChartDir(ctx, p.Chart)
	if err != nil {
		return DepsBuildResult{}, err
	}
	defer unlock()

	declared, err := declaresDependencies(p.Chart)
	if err != nil {
		return DepsBuildResult{}, err
	}
	if !declared {
		// helm prints nothing for a chart without dependencies.
		return DepsBuildResult{}, nil
	}
	if p.IfMissing && dependenciesSatisfied(p.Chart) {
		slog.Debug("chart dependencies already satisfied", "chart", p.Chart)
		return DepsBuildResult{}, nil
	}
	if ctx.Err() != nil {
		return DepsBuildResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
	}
	log, err := manageDependencies(p.Chart, settings, p.Registry, p.SkipRefresh, false)
	if err != nil {
		return DepsBuildResult{}, err
	}
	return DepsBuildResult{Log: log, Updated: true}, nil
}

// depsSettings are helm's settings with the run's repositories file.
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
	slot, ok := v.(chan struct{})
	if !ok {
		return nil, fault.Newf(fault.KindInternal, "the lock of chart directory %s is a %T", key, v)
	}
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, fault.Classify(ctx.Err(), fault.KindCancelled)
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
		return false, fault.Newf(fault.KindChart, "chart %s does not exist", dir).With("chart", dir)
	case err != nil:
		return false, fault.Newf(fault.KindChart, "reading chart %s: %v", dir, err).With("chart", dir)
	case !info.IsDir():
		return false, fault.Newf(fault.KindChart, "chart %s is not a directory: only unpacked charts can have their dependencies built", dir).With("chart", dir)
	}
	meta, err := chartutil.LoadChartfile(chartfile)
	if errors.Is(err, fs.ErrNotExist) {
		return false, fault.Newf(fault.KindChart, "%s is not a chart: it has no Chart.yaml", dir).With("chart", dir)
	} else if err != nil {
		return false, fault.Newf(fault.KindChart, "loading chart %s: %v", dir, err).With("chart", dir)
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
