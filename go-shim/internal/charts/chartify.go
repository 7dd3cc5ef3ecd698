package charts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/render"
)

// ChartifyParams is a release with helmfile's ad-hoc `dependencies:`
// and/or `strategicMergePatches:`.
type ChartifyParams struct {
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

	// StrategicMergePatches are the release's `strategicMergePatches:`, each
	// a Kubernetes object merged by kustomize into the rendered object with
	// the same apiVersion, kind, name and namespace (renderAndPatch,
	// patches.go).
	StrategicMergePatches []map[string]any `json:"strategic_merge_patches,omitempty"`
	// JSONPatches are the release's `jsonPatches:`: each a kustomize target
	// and the JSON patch operations applied to it, before the strategic
	// merge patches.
	JSONPatches []jsonPatch `json:"json_patches,omitempty"`
	// Transformers are the release's `transformers:`, kustomize transformer
	// configurations applied after the patches.
	Transformers []transformerConfig `json:"transformers,omitempty"`
	// ForceNamespace is `forceNamespace:`: every rendered object that names
	// no namespace gets this one (chartify's SetNamespace).
	ForceNamespace string `json:"force_namespace,omitempty"`
	// TemplateData is the release's template data (JSON), for the
	// `.gotmpl` files of a chart that is a directory of manifests.
	TemplateData json.RawMessage `json:"template_data,omitempty"`
	// Render is what the first render (chartify's `helm template
	// --output-dir`) needs when there are patches: release name, namespace,
	// values, --set flags, kube version, API versions and include_crds
	// (helmfile passes --include-crds to it unless told otherwise). Only
	// release_name (optional), namespace, values, overrides, kube_version,
	// api_versions, include_crds and repository_config are used.
	Render *render.TemplateParams `json:"render,omitempty"`
	// SkipDeps is chartify's SkipDeps: without ad-hoc dependencies, a local
	// chart's own dependencies are not updated before the render.
	SkipDeps bool `json:"skip_deps,omitempty"`
}

// jsonPatch is one entry of `jsonPatches:` as chartify reads it.
type jsonPatch struct {
	// Target selects the objects: group, version, kind, name, namespace,
	// labelSelector, annotationSelector.
	Target map[string]string `json:"target,omitempty"`
	// Patch is the list of JSON patch operations.
	Patch []any `json:"patch,omitempty"`
}

// transformerConfig is one entry of `transformers:`: its YAML text (one
// or more documents, or a list) and the directory a `path:` in it is
// relative to.
type transformerConfig struct {
	Text string `json:"text"`
	Dir  string `json:"dir,omitempty"`
}

// needsRender tells that the chart is rendered and rewritten: patches,
// transformers or a forced namespace (chartify returns the copied chart as
// it is otherwise).
func (p *ChartifyParams) needsRender() bool {
	_, generated := generatedChart(p.Chart)
	return p.needsKustomize() || p.ForceNamespace != "" || (generated && !p.Remote)
}

// needsKustomize tells that kustomize runs over the rendered manifests.
func (p *ChartifyParams) needsKustomize() bool {
	return len(p.StrategicMergePatches) > 0 || len(p.JSONPatches) > 0 || len(p.Transformers) > 0
}

// adhocDependency is one entry of a release's `dependencies:`.
type adhocDependency struct {
	// Chart is "repo/chart", an absolute local chart path or "oci://host/path/chart".
	Chart   string `json:"chart"`
	Version string `json:"version,omitempty"`
	Alias   string `json:"alias,omitempty"`
}

// ChartifyResult is the wrapper chart.
type ChartifyResult struct {
	// Chart is the wrapper chart to template.
	Chart string `json:"chart"`
	// Log is what the helm commands chartify runs print (helmfile shows it
	// only at debug level).
	Log string `json:"log"`
}

// Chartify builds the wrapper chart helmfile's chartify builds for a
// release with ad-hoc dependencies and/or strategicMergePatches (chartify
// v0.28.2, Chartify; jsonPatches, transformers, forceNamespace and
// kustomize directories are not handled):
//
//  1. copy the local chart (or unpack the pulled remote one) into WorkDir/<release>;
//  2. add the dependencies to Chart.yaml, named after the chart, with the
//     repository URL from the repositories file and condition <alias|name>.enabled;
//     for a local chart they are appended to its own dependencies, for a
//     remote chart they replace them (its own are already in charts/);
//  3. `helm dependency update` the wrapper (see updateDependencies for
//     when it runs and how);
//  4. write every dependency (the chart's own and the ad-hoc ones) back to Chart.yaml;
//  5. with strategicMergePatches, render the wrapper and replace its
//     templates with the patched manifests (renderAndPatch, patches.go).
func Chartify(ctx context.Context, p ChartifyParams) (ChartifyResult, error) {
	if err := p.validate(); err != nil {
		return ChartifyResult{}, err
	}
	settings := depsSettings(p.RepositoryConfig)

	wrapper, origDir, err := p.copyChart()
	if err != nil {
		return ChartifyResult{}, err
	}
	deps, err := resolveAdhocDependencies(p, settings)
	if err != nil {
		return ChartifyResult{}, err
	}
	all, err := updateRequirements(p.Remote, wrapper, origDir, deps)
	if err != nil {
		return ChartifyResult{}, fault.Newf(fault.KindChart, "release %s: updating requirements: %v", p.ReleaseName, err).With("chart", p.Chart)
	}

	unlock, err := lockChartDir(ctx, wrapper)
	if err != nil {
		return ChartifyResult{}, err
	}
	defer unlock()
	if ctx.Err() != nil {
		return ChartifyResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
	}
	log, err := p.updateDependencies(wrapper, settings, deps, all)
	if err != nil {
		return ChartifyResult{}, err
	}
	if _, err := updateRequirements(true, wrapper, "", all); err != nil {
		return ChartifyResult{}, fault.Newf(fault.KindChart, "release %s: replacing requirements: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	if p.needsRender() {
		if err := renderAndPatch(ctx, p, wrapper); err != nil {
			return ChartifyResult{}, err
		}
	}
	slog.Debug("chartified release", "release", p.ReleaseName, "chart", p.Chart, "wrapper", wrapper)
	return ChartifyResult{Chart: wrapper, Log: log}, nil
}

// validate refuses requests chartify has nothing to do for, or no safe
// place to do it in.
func (p *ChartifyParams) validate() error {
	if p.ReleaseName == "" || p.ReleaseName != filepath.Base(p.ReleaseName) || p.ReleaseName == "." || p.ReleaseName == ".." {
		return fault.Newf(fault.KindBadRequest, "chartify needs a release name usable as a directory name, got %q", p.ReleaseName)
	}
	if p.WorkDir == "" || !filepath.IsAbs(p.WorkDir) {
		return fault.Newf(fault.KindBadRequest, "chartify needs an absolute work_dir, got %q", p.WorkDir)
	}
	if len(p.Dependencies) == 0 && !p.needsRender() {
		return fault.Newf(fault.KindBadRequest, "chartify was called for release %s with nothing to do", p.ReleaseName)
	}
	if p.needsRender() && p.Render == nil {
		return fault.Newf(fault.KindBadRequest, "chartify was called for release %s with patches but without render params", p.ReleaseName)
	}
	return nil
}

// copyChart is step 1: the chart copied (a local directory) or unpacked (an
// archive) into WorkDir/<release>. wrapper is the chart directory to work
// on; origDir is the copied local chart's directory, "" for an archive.
func (p *ChartifyParams) copyChart() (wrapper, origDir string, err error) {
	tempDir := filepath.Join(p.WorkDir, p.ReleaseName)
	if entries, err := os.ReadDir(tempDir); err == nil && len(entries) > 0 {
		return "", "", fault.Newf(fault.KindBadRequest, "the chartify directory %s is not empty", tempDir)
	}
	if err := os.MkdirAll(tempDir, 0o755); err != nil {
		return "", "", fault.Newf(fault.KindIO, "creating %s: %v", tempDir, err)
	}

	// chartify's isLocal: the chart path exists (and was not pulled).
	info, statErr := os.Stat(p.Chart)
	if statErr != nil {
		return "", "", fault.Newf(fault.KindChart, "release %s: chart %s does not exist", p.ReleaseName, p.Chart).With("chart", p.Chart)
	}
	switch {
	case !p.Remote && info.IsDir():
		if _, err := os.Stat(filepath.Join(p.Chart, "Chart.yaml")); err != nil {
			if err := generateChart(p, tempDir); err != nil {
				return "", "", err
			}
			return tempDir, "", nil
		}
		if err := copyTree(p.Chart, tempDir); err != nil {
			return "", "", fault.Newf(fault.KindIO, "copying chart %s to %s: %v", p.Chart, tempDir, err).With("chart", p.Chart)
		}
		wrapper, origDir = tempDir, p.Chart
	case filepath.Ext(p.Chart) == ".tgz" && !info.IsDir():
		if err := chartutil.ExpandFile(tempDir, p.Chart); err != nil {
			return "", "", fault.Newf(fault.KindChart, "extracting chart %s: %v", p.Chart, err).With("chart", p.Chart)
		}
		dir, err := onlyChartIn(tempDir)
		if err != nil {
			return "", "", fault.Newf(fault.KindChart, "extracting chart %s: %v", p.Chart, err).With("chart", p.Chart)
		}
		wrapper = dir
	default:
		return "", "", notSupportedYet(p, "a release whose chart is a single file other than a .tgz chart archive")
	}

	// chartify creates templates/ when the chart has none.
	if err := os.MkdirAll(filepath.Join(wrapper, "templates"), 0o755); err != nil {
		return "", "", fault.Newf(fault.KindIO, "creating %s: %v", filepath.Join(wrapper, "templates"), err)
	}
	return wrapper, origDir, nil
}

// updateDependencies is step 3, and returns what helm printed. Ad-hoc
// dependencies are always fetched (`helm dependency up`); without them
// (a release with strategicMergePatches only) chartify still updates a
// local chart's own dependencies, with `build` when it has a lock file,
// unless SkipDeps, and leaves a remote chart's as they are.
func (p *ChartifyParams) updateDependencies(wrapper string, settings *cli.EnvSettings, deps, all []chartifyDependency) (string, error) {
	if len(deps) == 0 && (p.Remote || p.SkipDeps || len(all) == 0) {
		return "", nil
	}
	update := len(deps) > 0 || !hasChartLockFile(wrapper)
	out, err := manageDependencies(wrapper, settings, p.Registry, p.SkipRefresh, update)
	if err != nil {
		if se, ok := errors.AsType[*fault.Error](err); ok {
			se.Message = fmt.Sprintf("release %s: %s", p.ReleaseName, se.Message)
			se.With("chart", p.Chart)
		}
		return out, err
	}
	return out, nil
}

// notSupportedYet names what the release asks chartify for and what
// helmfire cannot do with it.
func notSupportedYet(p *ChartifyParams, what string) *fault.Error {
	var asked []string
	if len(p.Dependencies) > 0 {
		asked = append(asked, "dependencies:")
	}
	if p.needsRender() {
		asked = append(asked, "patches or forceNamespace")
	}
	return fault.Newf(fault.KindChart, "release %s: chart %s: %s with %s is not supported by helmfire yet (helmfile turns it into a chart with chartify and kustomize)",
		p.ReleaseName, p.Chart, what, strings.Join(asked, " and ")).With("chart", p.Chart)
}
