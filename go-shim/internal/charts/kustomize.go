package charts

import (
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

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// kustomizeMu serializes kustomize runs: kustomize keeps its OpenAPI schema
// in package globals.
var kustomizeMu sync.Mutex

// kustomizePatches is chartify's Patch up to `kustomize build`: the
// rendered files are the resources, each patch is a file listed under
// `patches:`, and kustomize sorts its output in its legacy order.
func kustomizePatches(p ChartifyParams, inputs []patchInput) ([]byte, error) {
	const root = "/chartify"
	fsys := filesys.MakeFsInMemory()
	resources := make([]string, 0, len(inputs))
	for _, in := range inputs {
		if err := fsys.WriteFile(path.Join(root, in.rel), in.data); err != nil {
			return nil, fault.Newf(fault.KindInternal, "preparing kustomize: %v", err)
		}
		resources = append(resources, in.rel)
	}
	slices.Sort(resources)
	patches := make([]map[string]string, 0, len(p.StrategicMergePatches))
	for i, patch := range p.StrategicMergePatches {
		data, err := sigsyaml.Marshal(patch)
		if err != nil {
			return nil, fault.Newf(fault.KindValues, "release %s: strategicMergePatches[%d]: %v", p.ReleaseName, i, err)
		}
		rel := fmt.Sprintf("strategicmergepatches/patch.%d.yaml", i)
		if err := fsys.WriteFile(path.Join(root, rel), data); err != nil {
			return nil, fault.Newf(fault.KindInternal, "preparing kustomize: %v", err)
		}
		patches = append(patches, map[string]string{"path": rel})
	}
	kustomization, err := sigsyaml.Marshal(map[string]any{"resources": resources, "patches": patches})
	if err != nil {
		return nil, fault.Newf(fault.KindInternal, "writing kustomization.yaml: %v", err)
	}
	if err := fsys.WriteFile(path.Join(root, "kustomization.yaml"), kustomization); err != nil {
		return nil, fault.Newf(fault.KindInternal, "preparing kustomize: %v", err)
	}
	slog.Debug("kustomizing release", "release", p.ReleaseName, "kustomization", string(kustomization))

	// `kustomize build` without --reorder: the legacy sort order.
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	m, err := krusty.MakeKustomizer(opts).Run(fsys, root)
	if err != nil {
		return nil, fault.Newf(fault.KindRender, "release %s: applying strategicMergePatches with kustomize: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fault.Newf(fault.KindRender, "release %s: kustomize output: %v", p.ReleaseName, err).With("chart", p.Chart)
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
