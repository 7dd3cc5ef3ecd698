package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

func TestTemplateMergesValuesInOrder(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(first, []byte("name: from-file\nlabels: {team: a}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, e := shimtest.Invoke(t, Template, TemplateParams{
		ReleaseName: "r",
		Chart:       filepath.Join(shimtest.Charts, "named-templates"),
		Values: []ValueSource{
			{File: first},
			{Inline: `{"labels": {"team": "inline"}}`, Origin: "test"},
		},
		Overrides: ValueOverrides{Set: []string{"name=from-set"}},
	})
	if e != nil {
		t.Fatalf("render failed: %+v", e)
	}
	for _, want := range []string{"name: r-from-set", `team: "inline"`} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, out.Stdout)
		}
	}
}

func TestTemplateErrorsAreClassified(t *testing.T) {
	cases := map[string]struct {
		params TemplateParams
		kind   fault.Kind
	}{
		"missing chart":  {TemplateParams{ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, "nope")}, fault.KindChart},
		"render error":   {TemplateParams{ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, "broken")}, fault.KindRender},
		"missing values": {TemplateParams{ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, "files"), Values: []ValueSource{{File: "/nonexistent.yaml"}}}, fault.KindValues},
		"schema": {TemplateParams{ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, "schema"),
			Overrides: ValueOverrides{Set: []string{"mode=weird"}}}, fault.KindSchema},
		"bad kube version": {TemplateParams{ReleaseName: "r", Chart: filepath.Join(shimtest.Charts, "files"), KubeVersion: "not-a-version"}, fault.KindValues},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, e := shimtest.Invoke(t, Template, tc.params)
			if e == nil || e.Kind != tc.kind {
				t.Fatalf("want %s, got %+v", tc.kind, e)
			}
		})
	}
}
