package charts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// twoConfigMaps renders foo-1 and foo-2 from the raw chart, one of them in
// a namespace of its own.
const twoConfigMaps = `templates:
- |
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: foo-1
    annotations:
      keep: "yes"
  data:
    foo: FOO
- |
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: foo-2
    namespace: elsewhere
  data:
    bar: BAR
`

func rawRelease(t *testing.T) ChartifyParams {
	t.Helper()
	shimtest.HelmEnv(t)
	return ChartifyParams{
		ReleaseName: "foo",
		Chart:       filepath.Join(shimtest.Charts, "raw-0.1.0"),
		WorkDir:     t.TempDir(),
		Render:      &render.TemplateParams{Values: []render.ValueSource{{Inline: twoConfigMaps}}},
	}
}

func TestJSONPatchesApplyToTheirTargetBeforeStrategicMergePatches(t *testing.T) {
	p := rawRelease(t)
	p.JSONPatches = []jsonPatch{{
		Target: map[string]string{"version": "v1", "kind": "ConfigMap", "name": "foo-1"},
		Patch: []any{
			map[string]any{"op": "remove", "path": "/metadata/annotations/keep"},
			map[string]any{"op": "add", "path": "/data/added", "value": "by-json-patch"},
		},
	}}
	p.StrategicMergePatches = []map[string]any{{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "foo-1"},
		"data":     map[string]any{"added": "by-strategic-merge"},
	}}
	_, out, err := chartifyAndTemplate(t, p)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	if !strings.Contains(out, "added: by-strategic-merge") || strings.Contains(out, "keep:") {
		t.Fatalf("the JSON patch then the strategic merge patch:\n%s", out)
	}
	if !strings.Contains(out, "bar: BAR") {
		t.Fatalf("the other object is kept:\n%s", out)
	}
}

func TestTransformersRunAfterThePatchesWithTheirFiles(t *testing.T) {
	p := rawRelease(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "patch.yaml"), []byte("- op: add\n  path: /data/fromfile\n  value: copied\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Transformers = []transformerConfig{
		{Text: "apiVersion: builtin\nkind: AnnotationsTransformer\nmetadata:\n  name: notes\nannotations:\n  team: platform\nfieldSpecs:\n- path: metadata/annotations\n  create: true\n"},
		{Text: "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: from-file\npath: patch.yaml\ntarget:\n  name: foo-2\n", Dir: dir},
	}
	_, out, err := chartifyAndTemplate(t, p)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	if strings.Count(out, "team: platform") != 2 || !strings.Contains(out, "fromfile: copied") {
		t.Fatalf("transformers:\n%s", out)
	}
}

func TestForceNamespaceFillsOnlyWhatIsMissing(t *testing.T) {
	p := rawRelease(t)
	p.ForceNamespace = "forced"
	_, out, err := chartifyAndTemplate(t, p)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	// chartify keeps the first render's `# Source:` line inside each file,
	// so the final render shows it twice; namespace goes last in metadata.
	want := "metadata:\n  name: foo-1\n  annotations:\n    keep: \"yes\"\n  namespace: forced\n"
	if !strings.Contains(out, want) || !strings.Contains(out, "namespace: elsewhere") || strings.Count(out, "# Source: raw/templates/resources.yaml") != 4 {
		t.Fatalf("forceNamespace:\n%s", out)
	}
	data, err2 := setNamespace([]byte("kind: Namespace\nmetadata:\n  name: x\n---\nplain: text\n"), "ns")
	if err2 != nil || string(data) != "kind: Namespace\nmetadata:\n  name: x\n  namespace: ns\n---\nplain: text\n" {
		t.Fatalf("setNamespace: %q %v", data, err2)
	}
}
