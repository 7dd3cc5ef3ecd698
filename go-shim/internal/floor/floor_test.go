package floor

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// workload writes a floor.json for releases of one chart into a directory.
func workload(t *testing.T, chart string, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	values := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(values, []byte("greeting: hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var releases []Release
	for _, name := range names {
		releases = append(releases, Release{Name: name, Namespace: "bench", Chart: chart, Values: []string{values}})
	}
	raw, err := json.Marshal(map[string]any{"releases": releases})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "floor.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTheWorkloadRendersOnEveryWorker(t *testing.T) {
	chart := shimtest.WriteChart(t, "floor", map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting }}\n",
	})
	dir := workload(t, chart, "a", "b", "c", "d", "e")
	releases, err := Load(dir)
	if err != nil || len(releases) != 5 || releases[4].Name != "e" {
		t.Fatalf("Load: %+v, %v", releases, err)
	}
	if err := RenderAll(releases, 2); err != nil {
		t.Fatal(err)
	}
}

func TestTheFirstFailureIsReturned(t *testing.T) {
	dir := workload(t, filepath.Join(t.TempDir(), "no-such-chart"), "a", "b", "c")
	releases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := RenderAll(releases, 2); err == nil || !strings.Contains(err.Error(), "no-such-chart") {
		t.Errorf("want the missing chart named, got %v", err)
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("a directory without floor.json loads")
	}
}
