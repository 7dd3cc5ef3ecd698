package charts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
// rendered files are the resources; the JSON patches (each with its
// target) and then the strategic merge patches are files listed under
// `patches:`; the transformers are files listed under `transformers:`
// (kustomize's builtin ones: helmfire runs no plugin programs); and
// kustomize sorts its output in its legacy order.
func kustomizePatches(p ChartifyParams, inputs []patchInput) ([]byte, error) {
	const root = "/chartify"
	fsys := filesys.MakeFsInMemory()
	write := func(rel string, data []byte) error {
		if err := fsys.WriteFile(path.Join(root, rel), data); err != nil {
			return fault.Newf(fault.KindInternal, "preparing kustomize: %v", err)
		}
		return nil
	}
	resources := make([]string, 0, len(inputs))
	for _, in := range inputs {
		if err := write(in.rel, in.data); err != nil {
			return nil, err
		}
		resources = append(resources, in.rel)
	}
	slices.Sort(resources)
	patches := []map[string]any{}
	for i, patch := range p.JSONPatches {
		if len(patch.Patch) == 0 {
			return nil, fault.Newf(fault.KindValues, "release %s: jsonPatches[%d] has no `patch:` operations", p.ReleaseName, i)
		}
		data, err := sigsyaml.Marshal(patch.Patch)
		if err != nil {
			return nil, fault.Newf(fault.KindValues, "release %s: jsonPatches[%d]: %v", p.ReleaseName, i, err)
		}
		rel := fmt.Sprintf("jsonpatches/patch.%d.yaml", i)
		if err := write(rel, data); err != nil {
			return nil, err
		}
		entry := map[string]any{"path": rel}
		if len(patch.Target) > 0 {
			entry["target"] = patch.Target
		}
		patches = append(patches, entry)
	}
	for i, patch := range p.StrategicMergePatches {
		data, err := sigsyaml.Marshal(patch)
		if err != nil {
			return nil, fault.Newf(fault.KindValues, "release %s: strategicMergePatches[%d]: %v", p.ReleaseName, i, err)
		}
		rel := fmt.Sprintf("strategicmergepatches/patch.%d.yaml", i)
		if err := write(rel, data); err != nil {
			return nil, err
		}
		patches = append(patches, map[string]any{"path": rel})
	}
	transformers := []string{}
	copied := 0
	for i, t := range p.Transformers {
		text, files, err := localizeTransformerFiles([]byte(t.Text), t.Dir, &copied)
		if err != nil {
			return nil, fault.Newf(fault.KindValues, "release %s: transformers[%d]: %v", p.ReleaseName, i, err)
		}
		for rel, data := range files {
			if err := write(rel, data); err != nil {
				return nil, err
			}
		}
		rel := fmt.Sprintf("transformers/transformer.%d.yaml", i)
		if err := write(rel, text); err != nil {
			return nil, err
		}
		transformers = append(transformers, rel)
	}
	spec := map[string]any{"resources": resources}
	if len(patches) > 0 {
		spec["patches"] = patches
	}
	if len(transformers) > 0 {
		spec["transformers"] = transformers
	}
	kustomization, err := sigsyaml.Marshal(spec)
	if err != nil {
		return nil, fault.Newf(fault.KindInternal, "writing kustomization.yaml: %v", err)
	}
	if err := write("kustomization.yaml", kustomization); err != nil {
		return nil, err
	}
	slog.Debug("kustomizing release", "release", p.ReleaseName, "kustomization", string(kustomization))

	// `kustomize build` without --reorder: the legacy sort order.
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	m, err := krusty.MakeKustomizer(opts).Run(fsys, root)
	if err != nil {
		return nil, fault.Newf(fault.KindRender, "release %s: applying its patches and transformers with kustomize: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fault.Newf(fault.KindRender, "release %s: kustomize output: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	return out, nil
}

// localizeTransformerFiles is chartify's resolveTransformerFileRefs: a
// top-level `path:` of a transformer (one document, a list, or several
// documents) naming an existing file, relative to dir, is copied into the
// kustomization as transformer-patch-files/patchfile.N.yaml and the path
// rewritten, so kustomize finds it inside its root. Text that does not
// parse is left for kustomize to report.
func localizeTransformerFiles(text []byte, dir string, counter *int) ([]byte, map[string][]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var docs []any
	for {
		var doc any
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return text, nil, nil
		}
		docs = append(docs, doc)
	}
	var maps []map[string]any
	for _, doc := range docs {
		switch v := doc.(type) {
		case map[string]any:
			maps = append(maps, v)
		case []any:
			for _, item := range v {
				if m, ok := item.(map[string]any); ok {
					maps = append(maps, m)
				}
			}
		}
	}
	files := map[string][]byte{}
	for _, m := range maps {
		ref, ok := m["path"].(string)
		if !ok || ref == "" {
			continue
		}
		file := ref
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, ref)
		}
		info, err := os.Stat(file)
		if err != nil || info.IsDir() {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s, which a transformer names: %w", file, err)
		}
		rel := fmt.Sprintf("transformer-patch-files/patchfile.%d.yaml", *counter)
		*counter++
		files[rel] = data
		m["path"] = rel
	}
	if len(files) == 0 {
		return text, nil, nil
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	for _, doc := range docs {
		if err := enc.Encode(doc); err != nil {
			return nil, nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), files, nil
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
// keeps helm from rendering them again.
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
	return preventDoubleRendering(chartDir)
}

// preventDoubleRendering is chartify's RewriteChartToPreventDoubleRendering:
// the files under templates/ and charts/ move under files/, each replaced by
// a template that prints it as it is (`{{` included); charts/ then moves
// under templates/charts/ so no subchart is rendered again. crds/ stays:
// helm does not template CRDs.
func preventDoubleRendering(chartDir string) error {
	filesDir := filepath.Join(chartDir, "files")
	for _, d := range []string{"templates", "charts"} {
		src := filepath.Join(chartDir, d)
		if _, err := os.Lstat(src); err != nil {
			continue
		}
		if err := os.MkdirAll(filesDir, 0o755); err != nil {
			return err
		}
		moved := filepath.Join(filesDir, d)
		if err := os.RemoveAll(moved); err != nil {
			return err
		}
		if err := os.Rename(src, moved); err != nil {
			return err
		}
		err := filepath.WalkDir(moved, func(file string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
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
		if err != nil {
			return err
		}
		if d == "charts" {
			templates := filepath.Join(chartDir, "templates")
			if err := os.MkdirAll(templates, 0o755); err != nil {
				return err
			}
			if err := os.Rename(filepath.Join(chartDir, "charts"), filepath.Join(templates, "charts")); err != nil {
				return err
			}
		}
	}
	return nil
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
