package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// This file is chartify's handling of a release's strategicMergePatches
// (github.com/helmfile/chartify v0.28.2: ReplaceWithRendered, Patch and
// RewriteChartToPreventDoubleRendering, called from Chartify after the
// dependency update). chartify runs the `kustomize` binary; helmfire runs
// the same kustomize in-process (sigs.k8s.io/kustomize/api/krusty, already
// linked into the shim by k8s.io/cli-runtime), so matching, strategic merge
// semantics, resource order and output format are kustomize's own.

// chartifyContentDirs is chartify's ContentDirs.
var chartifyContentDirs = []string{"templates", "charts", "crds"}

// chartifyRenderDir is where chartify has `helm template --output-dir` write.
const chartifyRenderDir = "helmx.1.rendered"

// kustomizeMu serializes kustomize runs: kustomize keeps its OpenAPI schema
// in package globals.
var kustomizeMu sync.Mutex

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
func renderAndPatch(ctx context.Context, p chartifyParams, chartDir string) error {
	inputs, crdsFromTemplates, err := renderForPatching(ctx, p, chartDir)
	if err != nil {
		return err
	}
	if err := clearRenderedChart(chartDir, inputs); err != nil {
		return failf(KindIO, "release %s: replacing the chart's templates with the rendered manifests: %v", p.ReleaseName, err).withDetail("chart", p.Chart)
	}
	if len(inputs) == 0 {
		slog.Debug("chart rendered no resources, strategicMergePatches not applied", "release", p.ReleaseName, "chart", p.Chart)
		return nil
	}
	patched, err := kustomizePatches(p, inputs)
	if err != nil {
		return err
	}
	resources, crds, err := splitPatchedManifests(patched)
	if err != nil {
		return failf(KindRender, "release %s: reading kustomize's output: %v", p.ReleaseName, err).withDetail("chart", p.Chart)
	}
	if err := writePatchedChart(chartDir, resources, crds, crdsFromTemplates); err != nil {
		return failf(KindIO, "release %s: writing the patched chart: %v", p.ReleaseName, err).withDetail("chart", p.Chart)
	}
	slog.Debug("patched release", "release", p.ReleaseName, "chart", p.Chart,
		"patches", len(p.StrategicMergePatches), "resources", len(resources), "crds", len(crds))
	return nil
}

// renderForPatching is chartify's ReplaceWithRendered up to reading what
// `helm template --output-dir` wrote.
func renderForPatching(ctx context.Context, p chartifyParams, chartDir string) ([]patchInput, bool, error) {
	if r := p.Render.ReleaseName; r != "" && r != p.ReleaseName {
		return nil, false, failf(KindBadRequest, "chartify for release %s got render params for release %s", p.ReleaseName, r)
	}
	outDir := filepath.Join(chartDir, chartifyRenderDir)
	// Only what chartify passes to its `helm template`: anything else of
	// templateParams (post-renderer, show-only, ...) is for the final render.
	rp := templateParams{
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
		rp.Values = append([]ValueSource{{File: filepath.Join(chartDir, "values.yaml")}}, rp.Values...)
	}
	if err := os.Mkdir(outDir, 0o755); err != nil {
		return nil, false, failf(KindIO, "creating %s: %v", outDir, err)
	}
	defer os.RemoveAll(outDir)

	raw, err := json.Marshal(rp)
	if err != nil {
		return nil, false, failf(KindInternal, "encoding render params: %v", err)
	}
	if _, err := runTemplate(ctx, raw); err != nil {
		if se, ok := errors.AsType[*ShimError](err); ok {
			se.Message = fmt.Sprintf("release %s: rendering the chart to apply strategicMergePatches: %s", p.ReleaseName, se.Message)
			se.withDetail("chart", p.Chart)
			return nil, false, se
		}
		return nil, false, err
	}

	entries, err := os.ReadDir(outDir)
	if err != nil {
		return nil, false, failf(KindIO, "reading %s: %v", outDir, err)
	}
	if len(entries) == 0 {
		return nil, false, nil
	}
	if len(entries) != 1 || !entries[0].IsDir() {
		return nil, false, failf(KindInternal, "release %s: expected one chart directory in %s", p.ReleaseName, outDir)
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
		return nil, false, failf(KindIO, "reading the rendered chart in %s: %v", chartOut, err)
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

// kustomizePatches is chartify's Patch up to `kustomize build`: the
// rendered files are the resources, each patch is a file listed under
// `patches:`, and kustomize sorts its output in its legacy order.
func kustomizePatches(p chartifyParams, inputs []patchInput) ([]byte, error) {
	const root = "/chartify"
	fsys := filesys.MakeFsInMemory()
	resources := make([]string, 0, len(inputs))
	for _, in := range inputs {
		if err := fsys.WriteFile(path.Join(root, in.rel), in.data); err != nil {
			return nil, failf(KindInternal, "preparing kustomize: %v", err)
		}
		resources = append(resources, in.rel)
	}
	slices.Sort(resources)
	patches := make([]map[string]string, 0, len(p.StrategicMergePatches))
	for i, patch := range p.StrategicMergePatches {
		data, err := sigsyaml.Marshal(patch)
		if err != nil {
			return nil, failf(KindValues, "release %s: strategicMergePatches[%d]: %v", p.ReleaseName, i, err)
		}
		rel := fmt.Sprintf("strategicmergepatches/patch.%d.yaml", i)
		if err := fsys.WriteFile(path.Join(root, rel), data); err != nil {
			return nil, failf(KindInternal, "preparing kustomize: %v", err)
		}
		patches = append(patches, map[string]string{"path": rel})
	}
	kustomization, err := sigsyaml.Marshal(map[string]any{"resources": resources, "patches": patches})
	if err != nil {
		return nil, failf(KindInternal, "writing kustomization.yaml: %v", err)
	}
	if err := fsys.WriteFile(path.Join(root, "kustomization.yaml"), kustomization); err != nil {
		return nil, failf(KindInternal, "preparing kustomize: %v", err)
	}
	slog.Debug("kustomizing release", "release", p.ReleaseName, "kustomization", string(kustomization))

	// `kustomize build` without --reorder: the legacy sort order.
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	m, err := krusty.MakeKustomizer(opts).Run(fsys, root)
	if err != nil {
		return nil, failf(KindRender, "release %s: applying strategicMergePatches with kustomize: %v", p.ReleaseName, err).withDetail("chart", p.Chart)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, failf(KindRender, "release %s: kustomize output: %v", p.ReleaseName, err).withDetail("chart", p.Chart)
	}
	return out, nil
}

// splitPatchedManifests is chartify's split of all.patched.yaml: documents
// separated by "\n---\n", each kept with its final newline, the
// CustomResourceDefinitions apart.
func splitPatchedManifests(out []byte) (resources, crds []string, err error) {
	text := string(out)
	if text == "" {
		return nil, nil, nil
	}
	parts := strings.Split(text, "\n---\n")
	for i, doc := range parts {
		if i < len(parts)-1 {
			doc += "\n"
		} else if doc == "" {
			continue
		}
		var head struct {
			Kind string `yaml:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			return nil, nil, fmt.Errorf("parsing yaml doc from %q: %w", doc, err)
		}
		if head.Kind == "CustomResourceDefinition" {
			crds = append(crds, doc)
		} else {
			resources = append(resources, doc)
		}
	}
	return resources, crds, nil
}

// writePatchedChart writes chartify's patched_crds.yaml and
// patched_resources.yaml (each document followed by "---\n"), then
// RewriteChartToPreventDoubleRendering: every file under templates/ moves
// to files/templates/ and is replaced by a template that prints it as is.
func writePatchedChart(chartDir string, resources, crds []string, crdsFromTemplates bool) error {
	join := func(docs []string) []byte {
		var b strings.Builder
		for _, d := range docs {
			b.WriteString(d)
			b.WriteString("---\n")
		}
		return []byte(b.String())
	}
	if len(crds) > 0 {
		dir := filepath.Join(chartDir, "crds")
		if crdsFromTemplates {
			dir = filepath.Join(chartDir, "templates", "crds")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "patched_crds.yaml"), join(crds), 0o644); err != nil {
			return err
		}
	}
	if len(resources) > 0 {
		dir := filepath.Join(chartDir, "templates")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "patched_resources.yaml"), join(resources), 0o644); err != nil {
			return err
		}
	}

	templates := filepath.Join(chartDir, "templates")
	if _, err := os.Lstat(templates); err != nil {
		return nil
	}
	filesDir := filepath.Join(chartDir, "files")
	if err := os.MkdirAll(filesDir, 0o755); err != nil {
		return err
	}
	moved := filepath.Join(filesDir, "templates")
	if err := os.RemoveAll(moved); err != nil {
		return err
	}
	if err := os.Rename(templates, moved); err != nil {
		return err
	}
	return filepath.WalkDir(moved, func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(filesDir, file)
		if err != nil {
			return err
		}
		stub := filepath.Join(chartDir, rel)
		if err := os.MkdirAll(filepath.Dir(stub), 0o755); err != nil {
			return err
		}
		content := fmt.Sprintf(`{{ .Files.Get "files/%s" }}`, filepath.ToSlash(rel))
		return os.WriteFile(stub, []byte(content), 0o644)
	})
}

// hasChartLockFile is chartify's hasChartLock: `helm dependency build` is
// used instead of `update` when the chart has a lock file.
func hasChartLockFile(chartDir string) bool {
	for _, name := range []string{"Chart.lock", "requirements.lock"} {
		if _, err := os.Stat(filepath.Join(chartDir, name)); err == nil {
			return true
		}
	}
	return false
}
