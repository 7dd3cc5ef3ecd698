package charts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/render"
)

// This file and kustomize.go are chartify's handling of a release's
// strategicMergePatches (github.com/helmfile/chartify v0.28.2:
// ReplaceWithRendered, Patch and RewriteChartToPreventDoubleRendering,
// called from Chartify after the dependency update). chartify runs the
// `kustomize` binary; helmfire runs the same kustomize in-process
// (sigs.k8s.io/kustomize/api/krusty, already linked into the shim by
// k8s.io/cli-runtime), so matching, strategic merge semantics, resource
// order and output format are kustomize's own.

// chartifyContentDirs is chartify's ContentDirs.
var chartifyContentDirs = []string{"templates", "charts", "crds"}

// chartifyRenderDir is where chartify has `helm template --output-dir` write.
const chartifyRenderDir = "helmx.1.rendered"

// patchInput is one file the first render wrote, relative to the chart
// (templates/x.yaml, charts/SUB/templates/y.yaml, crds/z.yaml).
type patchInput struct {
	rel  string
	data []byte
}

// renderAndPatch turns the wrapper chart in chartDir into chartify's
// patched chart:
//
//  1. render it as `helm template --output-dir` would, with the release's
//     values (the chart's values.yaml passed first with -f, as chartify
//     does), hooks and tests included (chartify passes no --skip-tests), CRDs
//     when Render.IncludeCRDs;
//  2. drop templates/, charts/ and crds/, the dependencies of Chart.yaml and
//     the lock files: the subcharts are rendered into the manifests;
//  3. build a kustomization whose resources are the rendered files and whose
//     `patches:` are the strategic merge patches, one file each, and run it;
//  4. split kustomize's output: CustomResourceDefinitions go to
//     crds/patched_crds.yaml (templates/crds/patched_crds.yaml when the chart
//     rendered CRDs from templates/crds/), everything else (hooks included:
//     they keep their annotations, so helm still treats them as hooks) to
//     templates/patched_resources.yaml;
//  5. move templates/ to files/templates/ and leave in each template
//     `{{ .Files.Get "files/templates/..." }}`, so the second render prints
//     the manifests as they are, `{{` included.
//
// A chart that renders nothing is left without templates and the patches
// are not applied (chartify issue #206).
func renderAndPatch(ctx context.Context, p ChartifyParams, chartDir string) error {
	inputs, crdsFromTemplates, err := renderForPatching(ctx, p, chartDir)
	if err != nil {
		return err
	}
	if err := clearRenderedChart(chartDir, inputs); err != nil {
		return fault.Newf(fault.KindIO, "release %s: replacing the chart's templates with the rendered manifests: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	if p.ForceNamespace != "" {
		for i := range inputs {
			data, err := setNamespace(inputs[i].data, p.ForceNamespace)
			if err != nil {
				return fault.Newf(fault.KindRender, "release %s: forceNamespace: %s: %v", p.ReleaseName, inputs[i].rel, err).With("chart", p.Chart)
			}
			inputs[i].data = data
		}
	}
	if len(inputs) == 0 || !p.needsKustomize() {
		// Nothing to patch: the rendered files are the chart (chartify
		// issue #206 when nothing rendered).
		if err := writeRendered(chartDir, inputs); err != nil {
			return fault.Newf(fault.KindIO, "release %s: writing the rendered chart: %v", p.ReleaseName, err).With("chart", p.Chart)
		}
		return nil
	}
	patched, err := kustomizePatches(p, inputs)
	if err != nil {
		return err
	}
	resources, crds, err := splitPatchedManifests(patched)
	if err != nil {
		return fault.Newf(fault.KindRender, "release %s: reading kustomize's output: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	if err := writePatchedChart(chartDir, resources, crds, crdsFromTemplates); err != nil {
		return fault.Newf(fault.KindIO, "release %s: writing the patched chart: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	slog.Debug("patched release", "release", p.ReleaseName, "chart", p.Chart,
		"resources", len(resources), "crds", len(crds))
	return nil
}

// writeRendered puts the rendered files back where the render read their
// templates from (templates/, charts/SUB/templates/, crds/), then keeps
// helm from rendering them again.
func writeRendered(chartDir string, inputs []patchInput) error {
	for _, in := range inputs {
		file := filepath.Join(chartDir, filepath.FromSlash(in.rel))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, in.data, 0o644); err != nil {
			return err
		}
	}
	return preventDoubleRendering(chartDir)
}

// renderForPatching is chartify's ReplaceWithRendered up to reading what
// `helm template --output-dir` wrote.
func renderForPatching(ctx context.Context, p ChartifyParams, chartDir string) ([]patchInput, bool, error) {
	if r := p.Render.ReleaseName; r != "" && r != p.ReleaseName {
		return nil, false, fault.Newf(fault.KindBadRequest, "chartify for release %s got render params for release %s", p.ReleaseName, r)
	}
	outDir := filepath.Join(chartDir, chartifyRenderDir)
	// Only what chartify passes to its `helm template`: anything else of
	// render.TemplateParams (post-renderer, show-only, ...) is for the
	// final render.
	rp := render.TemplateParams{
		ReleaseName:      p.ReleaseName,
		Namespace:        p.Render.Namespace,
		Chart:            chartDir,
		Values:           p.Render.Values,
		Overrides:        p.Render.Overrides,
		KubeVersion:      p.Render.KubeVersion,
		APIVersions:      p.Render.APIVersions,
		IncludeCRDs:      p.Render.IncludeCRDs,
		RepositoryConfig: p.Render.RepositoryConfig,
		OutputDir:        outDir,
	}
	if _, err := os.Stat(filepath.Join(chartDir, "values.yaml")); err == nil {
		rp.Values = append([]render.ValueSource{{File: filepath.Join(chartDir, "values.yaml")}}, rp.Values...)
	}
	if err := os.Mkdir(outDir, 0o755); err != nil {
		return nil, false, fault.Newf(fault.KindIO, "creating %s: %v", outDir, err)
	}
	defer os.RemoveAll(outDir)

	if _, err := render.Template(ctx, rp); err != nil {
		if se, ok := errors.AsType[*fault.Error](err); ok {
			se.Message = fmt.Sprintf("release %s: rendering the chart to apply strategicMergePatches: %s", p.ReleaseName, se.Message)
			se.With("chart", p.Chart)
			return nil, false, se
		}
		return nil, false, err
	}

	entries, err := os.ReadDir(outDir)
	if err != nil {
		return nil, false, fault.Newf(fault.KindIO, "reading %s: %v", outDir, err)
	}
	if len(entries) == 0 {
		return nil, false, nil
	}
	if len(entries) != 1 || !entries[0].IsDir() {
		return nil, false, fault.Newf(fault.KindInternal, "release %s: expected one chart directory in %s", p.ReleaseName, outDir)
	}
	chartOut := filepath.Join(outDir, entries[0].Name())
	var inputs []patchInput
	crdsFromTemplates := false
	err = filepath.WalkDir(chartOut, func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(chartOut, file)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/crds/") {
			crdsFromTemplates = true
		}
		inputs = append(inputs, patchInput{rel: rel, data: data})
		return nil
	})
	if err != nil {
		return nil, false, fault.Newf(fault.KindIO, "reading the rendered chart in %s: %v", chartOut, err)
	}
	return inputs, crdsFromTemplates, nil
}

// clearRenderedChart removes what the render replaced: the content
// directories (and their leftovers under files/), Chart.yaml's dependencies
// and the lock files. Without inputs (nothing rendered) the content
// directories go all the same.
func clearRenderedChart(chartDir string, inputs []patchInput) error {
	for _, d := range chartifyContentDirs {
		if err := os.RemoveAll(filepath.Join(chartDir, d)); err != nil {
			return err
		}
		rendered := slices.ContainsFunc(inputs, func(in patchInput) bool { return strings.HasPrefix(in.rel, d+"/") })
		if rendered {
			if err := os.RemoveAll(filepath.Join(chartDir, "files", d)); err != nil {
				return err
			}
		}
	}
	chartYaml := filepath.Join(chartDir, "Chart.yaml")
	data, err := os.ReadFile(chartYaml)
	if err != nil {
		return err
	}
	var meta chartifyChartMeta
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return fmt.Errorf("%s: %w", chartYaml, err)
	}
	meta.Dependencies = nil
	if data, err = yaml.Marshal(&meta); err != nil {
		return fmt.Errorf("marshaling-back Chart.yaml: %w", err)
	}
	if err := os.WriteFile(chartYaml, data, 0o644); err != nil {
		return err
	}
	for _, name := range []string{"requirements.yaml", "requirements.lock", "Chart.lock"} {
		if err := os.Remove(filepath.Join(chartDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
