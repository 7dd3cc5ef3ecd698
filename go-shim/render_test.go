package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func renderRaw(t *testing.T, params map[string]any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestRenderRendersWithDataAndHelpers(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "_h.tpl"), []byte(`{{ define "h" }}h-{{ . }}{{ end }}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("file"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := runRender(context.Background(), renderRaw(t, map[string]any{
		"name":      filepath.Join(dir, "helmfile.yaml.gotmpl"),
		"text":      `{{ .Environment.Name }} {{ add .Values.n 1 }} {{ include "h" .Values.n }} {{ readFile "f.txt" }}`,
		"data": map[string]any{"Environment": map[string]any{"Name": "prod"}, "Values": map[string]any{"n": 41}},
		"base_dir":  dir,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.(renderResult).Text; got != "prod 42 h-41 file" {
		t.Errorf("got %q", got)
	}
}

func TestRenderErrors(t *testing.T) {
	cases := map[string]struct {
		params map[string]any
		kind   ErrorKind
		msg    string
		helper bool
	}{
		"template error": {
			params: map[string]any{"name": "a/helmfile.yaml.gotmpl", "text": "x\n{{ .Values.nope }}", "data": map[string]any{"Values": map[string]any{}}},
			kind:   KindRender,
			msg:    `template: a/helmfile.yaml.gotmpl:2:10: executing "a/helmfile.yaml.gotmpl" at <.Values.nope>: map has no entry for key "nope"`,
		},
		"disabled": {
			params: map[string]any{"name": "a/v.gotmpl", "text": `{{ readFile "x" }}`, "disable_insecure": true},
			kind:   KindRender,
			msg:    "HELMFILE_DISABLE_INSECURE_FEATURES or HELMFILE_DISABLE_INSECURE_TEMPLATE_FUNCTIONS is active",
		},
		"bad data": {
			params: map[string]any{"name": "a/v.gotmpl", "text": "x", "data": []any{"not a map"}},
			kind:   KindValues,
			msg:    "decoding the template data of a/v.gotmpl",
		},
		"broken helper": {
			params: map[string]any{"name": "a/v.gotmpl", "text": "x", "base_dir": brokenHelperDir(t)},
			kind:   KindRender,
			msg:    "failed to parse helper template",
			helper: true,
		},
		"unknown param": {
			params: map[string]any{"name": "a", "text": "x", "data_yaml": "nope"},
			kind:   KindBadRequest,
			msg:    "invalid params",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := runRender(context.Background(), renderRaw(t, tc.params))
			var se *ShimError
			if !errors.As(err, &se) {
				t.Fatalf("want a ShimError, got %v", err)
			}
			if se.Kind != tc.kind || !strings.Contains(se.Message, tc.msg) {
				t.Errorf("got %s %q, want %s containing %q", se.Kind, se.Message, tc.kind, tc.msg)
			}
			if tc.kind != KindBadRequest && se.Details["file"] != tc.params["name"] {
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
	_, err := runRender(ctx, renderRaw(t, map[string]any{"name": "f", "text": `{{ exec "sleep" (list "30") }}`}))
	var se *ShimError
	if !errors.As(err, &se) || se.Kind != KindCancelled {
		t.Errorf("got %v", err)
	}
}
