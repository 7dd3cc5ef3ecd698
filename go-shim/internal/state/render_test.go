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

func TestRenderRendersWithDataAndHelpers(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "_h.tpl"), []byte(`{{ define "h" }}h-{{ . }}{{ end }}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("file"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := shimtest.Invoke(t, Render, map[string]any{
		"name":     filepath.Join(dir, "helmfile.yaml.gotmpl"),
		"text":     `{{ .Environment.Name }} {{ add .Values.n 1 }} {{ include "h" .Values.n }} {{ readFile "f.txt" }}`,
		"data":     map[string]any{"Environment": map[string]any{"Name": "prod"}, "Values": map[string]any{"n": 41}},
		"base_dir": dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Text; got != "prod 42 h-41 file" {
		t.Errorf("got %q", got)
	}
}

func TestRenderErrors(t *testing.T) {
	cases := map[string]struct {
		params map[string]any
		kind   fault.Kind
		msg    string
		helper bool
	}{
		"template error": {
			params: map[string]any{"name": "a/helmfile.yaml.gotmpl", "text": "x\n{{ .Values.nope }}", "data": map[string]any{"Values": map[string]any{}}},
			kind:   fault.KindRender,
			msg:    `template: a/helmfile.yaml.gotmpl:2:10: executing "a/helmfile.yaml.gotmpl" at <.Values.nope>: map has no entry for key "nope"`,
		},
		"disabled": {
			params: map[string]any{"name": "a/v.gotmpl", "text": `{{ readFile "x" }}`, "disable_insecure": true},
			kind:   fault.KindRender,
			msg:    "HELMFILE_DISABLE_INSECURE_FEATURES or HELMFILE_DISABLE_INSECURE_TEMPLATE_FUNCTIONS is active",
		},
		"bad data": {
			params: map[string]any{"name": "a/v.gotmpl", "text": "x", "data": []any{"not a map"}},
			kind:   fault.KindValues,
			msg:    "decoding the template data of a/v.gotmpl",
		},
		"broken helper": {
			params: map[string]any{"name": "a/v.gotmpl", "text": "x", "base_dir": brokenHelperDir(t)},
			kind:   fault.KindRender,
			msg:    "failed to parse helper template",
			helper: true,
		},
		"unknown param": {
			params: map[string]any{"name": "a", "text": "x", "data_yaml": "nope"},
			kind:   fault.KindBadRequest,
			msg:    "invalid params",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := shimtest.Invoke(t, Render, tc.params)
			se := err
			if se == nil {
				t.Fatal("want an error")
			}
			if se.Kind != tc.kind || !strings.Contains(se.Message, tc.msg) {
				t.Errorf("got %s %q, want %s containing %q", se.Kind, se.Message, tc.kind, tc.msg)
			}
			if tc.kind != fault.KindBadRequest && se.Details["file"] != tc.params["name"] {
				t.Errorf("details %v lack file=%v", se.Details, tc.params["name"])
			}
			if tc.helper && !strings.HasSuffix(se.Details["helper"], "/_broken.tpl") {
				t.Errorf("details %v lack the helper", se.Details)
			}
		})
	}
}

// brokenHelperDir is a directory whose `_*.tpl` helper does not parse.
func brokenHelperDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "_broken.tpl"), []byte(`{{ define "h" }}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRenderIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := shimtest.InvokeContext(t, ctx, Render, map[string]any{"name": "f", "text": `{{ exec "sleep" (list "30") }}`})
	if err == nil || err.Kind != fault.KindCancelled {
		t.Errorf("got %v", err)
	}
}
