package charts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// chartifyDependency is chartify's Dependency: the fields it keeps when it
// rewrites Chart.yaml (others, such as tags or enabled, are dropped, as
// chartify drops them).
type chartifyDependency struct {
	Name         string `yaml:"name,omitempty"`
	Repository   string `yaml:"repository,omitempty"`
	Condition    string `yaml:"condition,omitempty"`
	Alias        string `yaml:"alias,omitempty"`
	Version      string `yaml:"version,omitempty"`
	ImportValues []any  `yaml:"import-values,omitempty"`
}

// resolveAdhocDependencies is chartify's ReadAdhocDependencies: a local path
// becomes file://PATH named after its directory, an oci:// reference is
// split into repository and name, and "repo/chart" takes the URL of repo
// from the repositories file (chartify reads `helm repo list`).
func resolveAdhocDependencies(p ChartifyParams, settings *cli.EnvSettings) ([]chartifyDependency, error) {
	var repos *repo.File
	deps := make([]chartifyDependency, 0, len(p.Dependencies))
	for _, d := range p.Dependencies {
		var name, repoURL string
		if _, err := os.Stat(d.Chart); err == nil {
			abs, err := filepath.Abs(d.Chart)
			if err != nil {
				return nil, adhocError(p, d, "", fmt.Sprintf("resolving its path: %v", err))
			}
			name = filepath.Base(abs)
			repoURL = "file://" + abs
		} else if registry.IsOCI(d.Chart) {
			name = filepath.Base(d.Chart)
			repoURL = strings.TrimSuffix(d.Chart, "/"+name)
		} else {
			parts := strings.Split(d.Chart, "/")
			if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
				return nil, adhocError(p, d, "", "it is neither an existing local chart, an oci:// reference nor REPO/CHART")
			}
			repoName := parts[0]
			name = parts[1]
			if repos == nil {
				f, err := repo.LoadFile(settings.RepositoryConfig)
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return nil, adhocError(p, d, repoName, fmt.Sprintf("reading the repositories file %s: %v", settings.RepositoryConfig, err))
				}
				if f == nil {
					f = repo.NewFile()
				}
				repos = f
			}
			entry := repos.Get(repoName)
			if entry == nil || entry.URL == "" {
				return nil, adhocError(p, d, repoName,
					fmt.Sprintf("no repository named %q is defined in the state's repositories: or in helm's repositories file", repoName))
			}
			repoURL = entry.URL
		}
		condName := d.Alias
		if condName == "" {
			condName = name
		}
		deps = append(deps, chartifyDependency{
			Name:       name,
			Repository: repoURL,
			Condition:  condName + ".enabled",
			Alias:      d.Alias,
			Version:    d.Version,
		})
	}
	return deps, nil
}

func adhocError(p ChartifyParams, d adhocDependency, repository, why string) *fault.Error {
	e := fault.Newf(fault.KindDependencies, "release %s: dependency %s: %s", p.ReleaseName, d.Chart, why).
		With("chart", p.Chart).
		With("dependency", d.Chart)
	if repository != "" {
		e.With("repository", repository)
	}
	return e
}

// chartifyChartMeta is chartify's view of Chart.yaml: the dependencies with
// the fields it knows, everything else kept as is.
type chartifyChartMeta struct {
	Dependencies []chartifyDependency `yaml:"dependencies,omitempty"`
	Data         map[string]any       `yaml:",inline"`
}

// updateRequirements is chartify's UpdateRequirements for helm 3/4 charts:
// it merges requirements.yaml into Chart.yaml, sets Chart.yaml's
// dependencies to deps (replace) or to its own + requirements.yaml's + deps,
// removes requirements.yaml and returns its own + requirements.yaml's + deps.
// With origDir set (a copied local chart), relative file:// repositories of
// the chart's own dependencies are made absolute against origDir, as
// helmfile's rewriteChartDependencies does before chartify runs.
func updateRequirements(replace bool, chartDir, origDir string, deps []chartifyDependency) ([]chartifyDependency, error) {
	var reqs struct {
		Dependencies []chartifyDependency `yaml:"dependencies,omitempty"`
	}
	reqPath := filepath.Join(chartDir, "requirements.yaml")
	if data, err := os.ReadFile(reqPath); err == nil {
		if err := yaml.Unmarshal(data, &reqs); err != nil {
			return nil, fmt.Errorf("%s: %w", reqPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	var meta chartifyChartMeta
	chartYaml := filepath.Join(chartDir, "Chart.yaml")
	if data, err := os.ReadFile(chartYaml); err == nil {
		if err := yaml.Unmarshal(data, &meta); err != nil {
			return nil, fmt.Errorf("%s: %w", chartYaml, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	var all []chartifyDependency
	all = append(all, meta.Dependencies...)
	all = append(all, reqs.Dependencies...)
	if origDir != "" {
		for i := range all {
			rel, ok := strings.CutPrefix(all[i].Repository, "file://")
			if ok && !filepath.IsAbs(rel) {
				abs, err := filepath.Abs(filepath.Join(origDir, rel))
				if err != nil {
					return nil, err
				}
				all[i].Repository = "file://" + abs
			}
		}
	}
	all = append(all, deps...)
	if replace {
		meta.Dependencies = deps
	} else {
		meta.Dependencies = all
	}
	data, err := yaml.Marshal(&meta)
	if err != nil {
		return nil, fmt.Errorf("marshaling-back Chart.yaml: %w", err)
	}
	if err := os.WriteFile(chartYaml, data, 0o644); err != nil {
		return nil, err
	}
	if _, err := os.Stat(reqPath); err == nil {
		if err := os.Remove(reqPath); err != nil {
			return nil, err
		}
	}
	return all, nil
}
