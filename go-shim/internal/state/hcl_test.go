package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

func writeHCL(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHCLValuesEvaluatesFilesTogether(t *testing.T) {
	dir := t.TempDir()
	writeHCL(t, dir, "values1.hcl", "locals {\n  n = \"values1.hcl\"\n}\nvalues {\n  a = local.n\n  c = \"${hv.a}-${hv.b}\"\n  e = 1\n  m = { x = 1 }\n}\n")
	abs := writeHCL(t, dir, "values2.hcl", "locals {\n  n = \"values2.hcl\"\n}\nvalues {\n  a = local.n\n  b = \"b2\"\n  m = { y = \"2\" }\n}\n")
	res, err := shimtest.Invoke(t, HCLValues, map[string]any{
		"files":    []string{"values1.hcl", abs},
		"base_dir": dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "a: values2.hcl\nb: b2\nc: values2.hcl-b2\ne: 1.0\nm:\n  x: 1.0\n  \"y\": \"2\"\n"
	if got := res.ValuesYAML; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestHCLValuesErrors(t *testing.T) {
	dir := t.TempDir()
	writeHCL(t, dir, "ok.hcl", "values {\n  a = 1\n}\n")
	writeHCL(t, dir, "bad.hcl", "values {\n  b = hv.a +\n}\n")
	writeHCL(t, dir, "undefined.hcl", "values {\n  b = hv.nope\n}\n")
	writeHCL(t, dir, "cycle.hcl", "values {\n  x = hv.y\n  y = hv.x\n}\n")
	cases := map[string]struct {
		params map[string]any
		kind   fault.Kind
		msg    string
		file   string
	}{
		"syntax": {
			params: map[string]any{"files": []string{"ok.hcl", "bad.hcl"}, "base_dir": dir},
			kind:   fault.KindValues,
			msg:    "bad.hcl:2:13: Invalid expression",
			file:   "bad.hcl",
		},
		"unknown reference": {
			params: map[string]any{"files": []string{"ok.hcl", "undefined.hcl"}, "base_dir": dir},
			kind:   fault.KindValues,
			msg:    `undefined.hcl:2:7: variables "b" depend(s) on undefined vars "nope"`,
			file:   "undefined.hcl",
		},
		"cycle": {
			params: map[string]any{"files": []string{"cycle.hcl"}, "base_dir": dir},
			kind:   fault.KindValues,
			msg:    "cycle.hcl:2:3: cycle detected between values: x -> y -> x",
			file:   "cycle.hcl",
		},
		"missing file": {
			params: map[string]any{"files": []string{"nope.hcl"}, "base_dir": dir},
			kind:   fault.KindValues,
			msg:    "nope.hcl: could not read file",
			file:   "nope.hcl",
		},
		"unknown param": {
			params: map[string]any{"files": []string{"ok.hcl"}, "dir": dir},
			kind:   fault.KindBadRequest,
			msg:    "invalid params",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := shimtest.Invoke(t, HCLValues, tc.params)
			se := err
			if se == nil {
				t.Fatal("want an error")
			}
			if se.Kind != tc.kind || !strings.HasPrefix(se.Message, tc.msg) || se.Details["file"] != tc.file {
				t.Errorf("got %s %q %v", se.Kind, se.Message, se.Details)
			}
		})
	}
}

func TestHCLValuesIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := shimtest.InvokeContext(t, ctx, HCLValues, map[string]any{"files": []string{"a.hcl"}})
	if err == nil || err.Kind != fault.KindCancelled {
		t.Errorf("got %v", err)
	}
}
