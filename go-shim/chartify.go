package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// chartifyParams is a release with helmfile's ad-hoc `dependencies:`.
type chartifyParams struct {
	ReleaseName string `json:"release_name"`
	// Chart is an absolute local chart directory or .tgz archive.
	Chart string `json:"chart"`
	// Remote says Chart is the cached archive of a remote chart (helmfire
	// pulls remote charts into its cache first): chartify treats it as the
	// remote chart it pulled, whose own dependencies are already in charts/.
	Remote bool `json:"remote,omitempty"`
	// Dependencies are the release's `dependencies:` in order.
	Dependencies     []adhocDependency `json:"dependencies"`
	RepositoryConfig string            `json:"repository_config"`
	// WorkDir receives the wrapper chart in WorkDir/<release name>.
	WorkDir string `json:"work_dir"`
	// SkipRefresh runs the dependency update without refreshing the
	// repository indexes. chartify always refreshes (it runs
	// `helm dependency up` without --skip-refresh).
	SkipRefresh bool `json:"skip_refresh,omitempty"`
	// Registry is how OCI dependencies are reached.
	Registry RegistryAccess `json:"registry"`

	// --- strategicMergePatches (chartify_patches.go) ---
	// StrategicMergePatches are the release's `strategicMergePatches:`, each
	// a Kubernetes object merged by kustomize into the rendered object with
	// the same apiVersion, kind, name and namespace.
	StrategicMergePatches []map[string]any `json:"strategic_merge_patches,omitempty"`
	// Render is what the first render (chartify's `helm template
	// --output-dir`) needs when there are patches: release name, namespace,
	// values, --set flags, kube version, API versions and include_crds
	// (helmfile passes --include-crds to it unless told otherwise). Only
	// release_name (optional), namespace, values, overrides, kube_version,
	// api_versions, include_crds and repository_config are used.
	Render *templateParams `json:"render,omitempty"`
	// SkipDeps is chartify's SkipDeps: without ad-hoc dependencies, a local
	// chart's own dependencies are not updated before the render.
	SkipDeps bool `json:"skip_deps,omitempty"`
	// --- end strategicMergePatches ---
}

// adhocDependency is one entry of a release's `dependencies:`.
type adhocDependency struct {
	// Chart is "repo/chart", an absolute local chart path or "oci://host/path/chart".
	Chart   string `json:"chart"`
	Version string `json:"version,omitempty"`
	Alias   string `json:"alias,omitempty"`
}

type chartifyResult struct {
	// Chart is the wrapper chart to template.
	Chart string `json:"chart"`
	// Log is what the helm commands chartify runs print (helmfile shows it
	// only at debug level).
	Log string `json:"log"`
}

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

// runChartify builds the wrapper chart helmfile's chartify builds for a
// release with ad-hoc dependencies and/or strategicMergePatches (chartify
// v0.28.2, Chartify; jsonPatches, transformers, forceNamespace and
// kustomize directories are not handled):
//
//  1. copy the local chart (or unpack the pulled remote one) into WorkDir/<release>;
//  2. add the dependencies to Chart.yaml, named after the chart, with the
//     repository URL from the repositories file and condition <alias|name>.enabled;
//     for a local chart they are appended to its own dependencies, for a
//     remote chart they replace them (its own are already in charts/);
//  3. `helm dependency update` the wrapper (with no ad-hoc dependencies: see below);
//  4. write every dependency (the chart's own and the ad-hoc ones) back to Chart.yaml;
//  5. with strategicMergePatches, render the wrapper and replace its
//     templates with the patched manifests (renderAndPatch, chartify_patches.go).
func runChartify(ctx context.Context, raw json.RawMessage) (any, error) {
	var p chartifyParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.ReleaseName == "" || p.ReleaseName != filepath.Base(p.ReleaseName) || p.ReleaseName == "." || p.ReleaseName == ".." {
		return nil, failf(KindBadRequest, "chartify needs a release name usable as a directory name, got %q", p.ReleaseName)
	}
	if p.WorkDir == "" || !filepath.IsAbs(p.WorkDir) {
		return nil, failf(KindBadRequest, "chartify needs an absolute work_dir, got %q", p.WorkDir)
	}
	// --- strategicMergePatches (chartify_patches.go) ---
	if len(p.Dependencies) == 0 && len(p.StrategicMergePatches) == 0 {
		return nil, failf(KindBadRequest, "chartify was called for release %s without dependencies or strategicMergePatches", p.ReleaseName)
	}
	if len(p.StrategicMergePatches) > 0 && p.Render == nil {
		return nil, failf(KindBadRequest, "chartify was called for release %s with strategicMergePatches but without render params", p.ReleaseName)
	}
	// --- end strategicMergePatches ---
	settings := depsSettings(p.RepositoryConfig)

	tempDir := filepath.Join(p.WorkDir, p.ReleaseName)
	if entries, err := os.ReadDir(tempDir); err == nil && len(entries) > 0 {
		return nil, failf(KindBadRequest, "the chartify directory %s is not empty", tempDir)
	}
	if err := os.MkdirAll(tempDir, 0o755); err != nil {
		return nil, failf(KindIO, "creating %s: %v", tempDir, err)
	}

	// chartify's isLocal: the chart path exists (and was not pulled).
	info, statErr := os.Stat(p.Chart)
	if statErr != nil {
		return nil, failf(KindChart, "release %s: chart %s does not exist", p.ReleaseName, p.Chart).withDetail("chart", p.Chart)
	}
	isLocal := !p.Remote
	var log strings.Builder
	var wrapper, origDir string
	switch {
	case isLocal && info.IsDir():
		if _, err := os.Stat(filepath.Join(p.Chart, "Chart.yaml")); err != nil {
			return nil, notSupportedYet(p, "a release whose chart is a directory of manifests or a kustomization")
		}
		if err := copyTree(p.Chart, tempDir); err != nil {
			return nil, failf(KindIO, "copying chart %s to %s: %v", p.Chart, tempDir, err).withDetail("chart", p.Chart)
		}
		wrapper, origDir = tempDir, p.Chart
	case filepath.Ext(p.Chart) == ".tgz" && !info.IsDir():
		if err := chartutil.ExpandFile(tempDir, p.Chart); err != nil {
			return nil, failf(KindChart, "extracting chart %s: %v", p.Chart, err).withDetail("chart", p.Chart)
		}
		dir, err := onlyChartIn(tempDir)
		if err != nil {
			return nil, failf(KindChart, "extracting chart %s: %v", p.Chart, err).withDetail("chart", p.Chart)
		}
		wrapper = dir
	default:
		return nil, notSupportedYet(p, "a release whose chart is a single file other than a .tgz chart archive")
	}

	// chartify creates templates/ when the chart has none.
	if err := os.MkdirAll(filepath.Join(wrapper, "templates"), 0o755); err != nil {
		return nil, failf(KindIO, "creating %s: %v", filepath.Join(wrapper, "templates"), err)
	}

	deps, err := resolveAdhocDependencies(p, settings)
	if err != nil {
		return nil, err
	}
	all, err := updateRequirements(!isLocal, wrapper, origDir, deps)
	if err != nil {
		return nil, failf(KindChart, "release %s: updating requirements: %v", p.ReleaseName, err).withDetail("chart", p.Chart)
	}

	unlock, err := lockChartDir(ctx, wrapper)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if ctx.Err() != nil {
		return nil, classify(ctx.Err(), KindCancelled)
	}
	// --- strategicMergePatches (chartify_patches.go) ---
	// Ad-hoc dependencies are always fetched (`helm dependency up`); without
	// them chartify still updates a local chart's own dependencies (`build`
	// when it has a lock file) unless SkipDeps, and leaves a remote chart's.
	if len(deps) > 0 || (isLocal && !p.SkipDeps && len(all) > 0) {
		update := len(deps) > 0 || !hasChartLockFile(wrapper)
		out, err := manageDependencies(wrapper, settings, p.Registry, p.SkipRefresh, update)
		log.WriteString(out)
		if err != nil {
			if se, ok := errors.AsType[*ShimError](err); ok {
				se.Message = fmt.Sprintf("release %s: %s", p.ReleaseName, se.Message)
				se.withDetail("chart", p.Chart)
			}
			return nil, err
		}
	}
	// --- end strategicMergePatches ---
	if _, err := updateRequirements(true, wrapper, "", all); err != nil {
		return nil, failf(KindChart, "release %s: replacing requirements: %v", p.ReleaseName, err).withDetail("chart", p.Chart)
	}
	// --- strategicMergePatches (chartify_patches.go) ---
	if len(p.StrategicMergePatches) > 0 {
		if err := renderAndPatch(ctx, p, wrapper); err != nil {
			return nil, err
		}
	}
	// --- end strategicMergePatches ---
	slog.Debug("chartified release", "release", p.ReleaseName, "chart", p.Chart, "wrapper", wrapper)
	return chartifyResult{Chart: wrapper, Log: log.String()}, nil
}

func notSupportedYet(p chartifyParams, what string) *ShimError {
	// --- strategicMergePatches: name what the release asks chartify for ---
	with := "dependencies:"
	switch {
	case len(p.Dependencies) == 0:
		with = "strategicMergePatches:"
	case len(p.StrategicMergePatches) > 0:
		with = "dependencies: and strategicMergePatches:"
	}
	return failf(KindChart, "release %s: chart %s: %s with %s is not supported by helmfire yet (helmfile turns it into a chart with chartify and kustomize)",
		p.ReleaseName, p.Chart, what, with).withDetail("chart", p.Chart)
}

// copyTree copies a chart directory, following symbolic links as helm's
// chart loader does; the copies are writable by their owner.
func copyTree(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, entry := range entries {
		from, to := filepath.Join(src, entry.Name()), filepath.Join(dst, entry.Name())
		info, err := os.Stat(from)
		if err != nil {
			return err
		}
		if info.IsDir() {
			if err := copyTree(from, to); err != nil {
				return err
			}
			continue
		}
		if !info.Mode().IsRegular() {
			continue
		}
		// Owner-writable: Chart.yaml is rewritten in the copy.
		if err := copyFile(from, to, info.Mode().Perm()|0o200); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// onlyChartIn returns the one chart directory under dir.
func onlyChartIn(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var charts []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "Chart.yaml")); err == nil {
			charts = append(charts, filepath.Join(dir, e.Name()))
		}
	}
	if len(charts) != 1 {
		return "", fmt.Errorf("expected one chart in %s, found %d", dir, len(charts))
	}
	return charts[0], nil
}

// resolveAdhocDependencies is chartify's ReadAdhocDependencies: a local path
// becomes file://PATH named after its directory, an oci:// reference is
// split into repository and name, and "repo/chart" takes the URL of repo
// from the repositories file (chartify reads `helm repo list`).
func resolveAdhocDependencies(p chartifyParams, settings *cli.EnvSettings) ([]chartifyDependency, error) {
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

func adhocError(p chartifyParams, d adhocDependency, repository, why string) *ShimError {
	e := failf(KindDependencies, "release %s: dependency %s: %s", p.ReleaseName, d.Chart, why).
		withDetail("chart", p.Chart).
		withDetail("dependency", d.Chart)
	if repository != "" {
		e.withDetail("repository", repository)
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
