package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtures = "../tests/fixtures/charts"

func templateRequest(t testing.TB, params templateParams) string {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"method": "template", "params": params})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestTemplateMergesValuesInOrder(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(first, []byte("name: from-file\nlabels: {team: a}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	req := templateRequest(t, templateParams{
		ReleaseName: "r",
		Chart:       filepath.Join(fixtures, "named-templates"),
		Values: []ValueSource{
			{File: first},
			{Inline: `{"labels": {"team": "inline"}}`, Origin: "test"},
		},
		Overrides: ValueOverrides{Set: []string{"name=from-set"}},
	})
	env := call(t, req, 0)
	if !env.OK {
		t.Fatalf("render failed: %+v", env.Error)
	}
	var out templateResult
	_ = json.Unmarshal(env.Result, &out)
	for _, want := range []string{"name: r-from-set", `team: "inline"`} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, out.Stdout)
		}
	}
}

func TestTemplateErrorsAreClassified(t *testing.T) {
	cases := map[string]struct {
		params templateParams
		kind   ErrorKind
	}{
		"missing chart":  {templateParams{ReleaseName: "r", Chart: filepath.Join(fixtures, "nope")}, KindChart},
		"render error":   {templateParams{ReleaseName: "r", Chart: filepath.Join(fixtures, "broken")}, KindRender},
		"missing values": {templateParams{ReleaseName: "r", Chart: filepath.Join(fixtures, "files"), Values: []ValueSource{{File: "/nonexistent.yaml"}}}, KindValues},
		"schema": {templateParams{ReleaseName: "r", Chart: filepath.Join(fixtures, "schema"),
			Overrides: ValueOverrides{Set: []string{"mode=weird"}}}, KindSchema},
		"bad kube version": {templateParams{ReleaseName: "r", Chart: filepath.Join(fixtures, "files"), KubeVersion: "not-a-version"}, KindValues},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := call(t, templateRequest(t, tc.params), 0)
			if env.OK || env.Error == nil || env.Error.Kind != tc.kind {
				t.Fatalf("want %s, got %+v", tc.kind, env.Error)
			}
		})
	}
}
