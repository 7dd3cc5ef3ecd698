package charts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKustomizeHelmAnswersVersionAsKustomizeChecksIt(t *testing.T) {
	out, err := KustomizeHelm(context.Background(), KustomizeHelmParams{Args: []string{"version", "--short"}})
	if err != nil {
		t.Fatal(err)
	}
	// kustomize takes the first vN.N... and wants major 3 or 4.
	if !strings.HasPrefix(out.Stdout, "v4.") {
		t.Fatalf("version --short printed %q", out.Stdout)
	}
}

func TestKustomizeHelmRefusesWhatKustomizeNeverAsks(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"install", "x", "./chart"},
		{"template", "x", "./chart", "--set", "a=b"},
		{"pull", "x"}, // without --untar
	} {
		_, err := KustomizeHelm(context.Background(), KustomizeHelmParams{Args: args})
		if err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

func TestKustomizeHelmTemplatesALocalChartWithKustomizesFlags(t *testing.T) {
	chart := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(chart, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(chart, rel), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.0.0\n")
	write("values.yaml", "greeting: hello\n")
	write("templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\ndata:\n  greeting: {{ .Values.greeting }}\n  kube: {{ .Capabilities.KubeVersion.Version }}\n")
	values := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(values, []byte("greeting: bonjour\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := KustomizeHelm(context.Background(), KustomizeHelmParams{Args: []string{
		"template", "inflated", chart, "--namespace", "web", "-f", values, "--kube-version", "v1.31.0", "--include-crds",
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: inflated", "namespace: web", "greeting: bonjour", "kube: v1.31.0"} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("missing %q in:\n%s", want, out.Stdout)
		}
	}
	// --generate-name names the release after the chart, as helm does.
	out, err = KustomizeHelm(context.Background(), KustomizeHelmParams{Args: []string{"template", "--generate-name", chart}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Stdout, "name: "+filepath.Base(chart)+"-") {
		t.Errorf("generated name missing in:\n%s", out.Stdout)
	}
}

func TestKustomizeHelmFailureIsFoundInKustomizesChain(t *testing.T) {
	command := "/tmp/x/.bin/" + KustomizeHelmCommand
	err := errors.New("accumulating resources: accumulation err='accumulating resources from '../base': read /w/base: is a directory': " +
		"recursed accumulation of path '/w/base': Error: cannot read the index of repository \"r\" at http://127.0.0.1:1: connection refused\n" +
		": unable to run: '" + command + " pull --untar --untardir /w/base/charts/x-1.0.0 --repo http://127.0.0.1:1 x' with env=[] (is '" + command + "' installed?): exit status 1")
	reason, ok := kustomizeHelmFailure(err, command)
	if !ok || reason != `cannot read the index of repository "r" at http://127.0.0.1:1: connection refused` {
		t.Fatalf("got %q, %v", reason, ok)
	}
	if _, ok := kustomizeHelmFailure(errors.New("some other kustomize error"), command); ok {
		t.Fatal("found a helm failure in an unrelated error")
	}
}
