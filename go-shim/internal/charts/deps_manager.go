package charts

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/downloader"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/registry"

	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/redact"
)

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
		return log, redacted(dependencyError(dir, err, log))
	}
	return log, nil
}

func newDependencyManager(dir string, settings *cli.EnvSettings, access RegistryAccess, out io.Writer, skipRefresh bool) (*downloader.Manager, error) {
	epoch, err := sourceDateEpoch()
	if err != nil {
		return nil, fault.Newf(fault.KindBadRequest, "%v", err)
	}
	// As helm's CLI creates it; it prints "Pulled:" and "Digest:" for OCI
	// dependencies, and the Manager dereferences it for any OCI dependency.
	registryClient, err := access.client(out, ociHostsOf(dir)...)
	if err != nil {
		return nil, fault.Newf(fault.KindDependencies, "missing registry client: %v", err).With("chart", dir)
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

// dependencyError turns a Manager error into a fault.KindDependencies error naming
// the chart and, when it can be told, the dependency and its repository.
func dependencyError(dir string, err error, log string) *fault.Error {
	if se, ok := errors.AsType[*fault.Error](err); ok {
		return se
	}
	e := &fault.Error{Kind: fault.KindDependencies}
	e.With("chart", dir)
	if log != "" {
		e.With("log", redact.Text(log))
	}
	if missing, ok := errors.AsType[downloader.ErrRepoNotFound](err); ok {
		e.Message = fmt.Sprintf("building the dependencies of chart %s: %v; define the repository in the state's repositories: (or add it with 'helm repo add')",
			dir, missing)
		e.With("repository", strings.Join(missing.Repos, ", "))
		return e
	}
	if dep := blamedDependency(dir, err); dep != nil {
		e.With("dependency", dep.Name)
		if dep.Repository != "" {
			e.With("repository", dep.Repository)
		}
		e.Message = fmt.Sprintf("building the dependencies of chart %s: dependency %s %s from %s: %v",
			dir, dep.Name, dep.Version, repositoryOrCharts(dep.Repository), err)
		return e
	}
	e.Message = fmt.Sprintf("building the dependencies of chart %s: %v", dir, err)
	return e
}

// redacted hides the credentials of any repository URL the message of e
// quotes (helm's errors quote the URLs of dependencies).
func redacted(e *fault.Error) *fault.Error {
	e.Message = redact.Text(e.Message)
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
