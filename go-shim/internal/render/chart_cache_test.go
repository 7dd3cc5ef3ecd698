package render

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// aliasedChart is a chart whose render makes helm rewrite the chart it is
// given: one subchart used twice under aliases, a condition and tags that
// values switch, and import-values from both aliases.
func aliasedChart(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "parent")
	shimtest.WriteFiles(t, dir, map[string]string{
		"Chart.yaml": `apiVersion: v2
name: parent
version: 1.0.0
maintainers:
- name: someone
keywords: [a, b]
dependencies:
- name: child
  version: 0.1.0
  alias: first
  condition: first.enabled
  import-values:
  - child: exported
    parent: fromFirst
- name: child
  version: 0.1.0
  alias: second
  tags: [extra]
  import-values:
  - data
`,
		"values.yaml": "tags:\n  extra: true\nfirst:\n  enabled: true\nnested:\n  list: [1, {deep: x}]\n",
		"templates/parent.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-parent
data:
  imported: {{ .Values.fromFirst | toJson | quote }}
  exports: {{ .Values.shared | default "none" | quote }}
  nested: {{ .Values.nested | toJson | quote }}
  subcharts: {{ keys .Subcharts | sortAlpha | join "," | quote }}
`,
		"charts/child/Chart.yaml":  "apiVersion: v2\nname: child\nversion: 0.1.0\n",
		"charts/child/values.yaml": "exported:\n  who: child\nexports:\n  data:\n    shared: from-child\nmessage: default\n",
		"charts/child/templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
data:
  message: {{ .Values.message | quote }}
`,
	})
	return dir
}

// renderCases are values that change what helm does to the chart: a
// subchart disabled by its condition or its tag, values set deep inside
// the chart's own tree, an imported table overridden.
var renderCases = []string{
	`{}`,
	`{"first": {"enabled": false}}`,
	`{"tags": {"extra": false}}`,
	`{"nested": {"list": [2]}, "second": {"message": "two"}}`,
	`{"fromFirst": {"who": "parent"}, "first": {"message": "one"}}`,
}

// renderCase renders the chart with case i; safe in any goroutine.
func renderCase(t *testing.T, chart string, i int) (string, error) {
	out, e := shimtest.Invoke(t, Template, TemplateParams{
		ReleaseName: fmt.Sprintf("r%d", i%len(renderCases)),
		Chart:       chart,
		Values:      []ValueSource{{Inline: renderCases[i%len(renderCases)], Origin: "test"}},
	})
	if e != nil {
		return "", fmt.Errorf("render %d failed: %+v", i, e)
	}
	return out.Stdout, nil
}

func renderWith(t *testing.T, chart string, i int) string {
	t.Helper()
	out, err := renderCase(t, chart, i)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// keepFreshCharts sets racyWindow for one test: 0 trusts the time stamps of
// the charts the tests have just written, as if they were old.
func keepFreshCharts(t *testing.T, window time.Duration) {
	saved := racyWindow
	racyWindow = window
	t.Cleanup(func() { racyWindow = saved })
}

func forgetLoadedCharts() {
	loadedCharts.mu.Lock()
	clear(loadedCharts.entries)
	loadedCharts.mu.Unlock()
}

// Renders sharing one loaded chart, concurrently (the race detector runs
// in CI), give what renders of freshly loaded charts give, and the chart is
// read once.
func TestSharedChartRendersAsFreshlyLoadedOnes(t *testing.T) {
	keepFreshCharts(t, 0)
	chart := aliasedChart(t)
	want := make([]string, len(renderCases))
	for i := range renderCases {
		forgetLoadedCharts()
		want[i] = renderWith(t, chart, i)
	}
	if want[0] == want[1] || want[0] == want[2] || !strings.Contains(want[0], `"from-child"`) {
		t.Fatalf("the cases do not change the render:\n%s\n---\n%s", want[0], want[1])
	}

	forgetLoadedCharts()
	before := loadedCharts.loads.Load()
	const renders = 40
	got := make([]string, renders)
	errs := make([]error, renders)
	var wg sync.WaitGroup
	for i := range renders {
		wg.Go(func() { got[i], errs[i] = renderCase(t, chart, i) })
	}
	wg.Wait()
	for i, out := range got {
		if errs[i] != nil {
			t.Error(errs[i])
		} else if out != want[i%len(renderCases)] {
			t.Errorf("render %d from the shared chart differs:\n%s\n--- want ---\n%s", i, out, want[i%len(renderCases)])
		}
	}
	// Concurrent first renders may each load before one is kept; at most
	// one per render in flight, far fewer than the renders.
	if loads := loadedCharts.loads.Load() - before; loads < 1 || loads > 4 {
		t.Errorf("%d renders loaded the chart %d times", renders, loads)
	}
	before = loadedCharts.loads.Load()
	renderWith(t, chart, 0)
	if loads := loadedCharts.loads.Load() - before; loads != 0 {
		t.Errorf("a render of an unchanged chart loaded it again (%d loads)", loads)
	}
}

// A changed file is seen at once, whatever its size and time stamp.
func TestChangedChartIsLoadedAgain(t *testing.T) {
	keepFreshCharts(t, 0)
	chart := aliasedChart(t)
	first := renderWith(t, chart, 0)
	editKeepingSizeAndTime(t, chart)
	second := renderWith(t, chart, 0)
	if second == first || !strings.Contains(second, `message: "changed"`) {
		t.Fatalf("the render did not see the edited subchart values:\n%s", second)
	}

	// A new template appears too.
	shimtest.WriteFiles(t, chart, map[string]string{"templates/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"})
	if third := renderWith(t, chart, 0); !strings.Contains(third, "name: extra") {
		t.Fatalf("the render did not see the new template:\n%s", third)
	}
}

// editKeepingSizeAndTime changes a subchart's values file of aliasedChart
// without changing its length or modification time: only the bytes differ.
func editKeepingSizeAndTime(t *testing.T, chart string) {
	t.Helper()
	child := filepath.Join(chart, "charts/child/values.yaml")
	stat, err := os.Stat(child)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(child)
	changed := strings.Replace(string(text), "message: default", "message: changed", 1)
	if len(changed) != len(text) {
		t.Fatal("the edit must keep the length")
	}
	shimtest.WriteFiles(t, chart, map[string]string{"charts/child/values.yaml": changed})
	if err := os.Chtimes(child, stat.ModTime(), stat.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// A chart holding a symbolic link is read by helm's loader every time
// (it follows links; the fingerprint does not).
func TestChartWithSymlinkIsNotShared(t *testing.T) {
	keepFreshCharts(t, 0)
	chart := aliasedChart(t)
	outside := filepath.Join(t.TempDir(), "linked.yaml")
	shimtest.WriteFiles(t, filepath.Dir(outside), map[string]string{"linked.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: linked-one\n"})
	if err := os.Symlink(outside, filepath.Join(chart, "templates/linked.yaml")); err != nil {
		t.Fatal(err)
	}
	if out := renderWith(t, chart, 0); !strings.Contains(out, "name: linked-one") {
		t.Fatalf("the linked template was not rendered:\n%s", out)
	}
	before := loadedCharts.loads.Load()
	// The link's target changes; its time stamp is put back.
	stat, _ := os.Stat(outside)
	shimtest.WriteFiles(t, filepath.Dir(outside), map[string]string{"linked.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: linked-two\n"})
	_ = os.Chtimes(outside, stat.ModTime(), stat.ModTime().Add(-time.Second))
	if out := renderWith(t, chart, 0); !strings.Contains(out, "name: linked-two") {
		t.Fatalf("the changed link target was not rendered:\n%s", out)
	}
	if loads := loadedCharts.loads.Load() - before; loads != 1 {
		t.Errorf("want the chart read again, got %d loads", loads)
	}
}

// Within the racy window a chart is still kept, and an edit that keeps the
// size and the modification time is seen by the file's bytes.
func TestRecentlyChangedChartIsKeptByContent(t *testing.T) {
	keepFreshCharts(t, time.Hour)
	chart := aliasedChart(t)
	before := loadedCharts.loads.Load()
	for i := range 3 {
		renderWith(t, chart, i)
	}
	if loads := loadedCharts.loads.Load() - before; loads != 1 {
		t.Errorf("a chart written a moment ago was read %d times by 3 renders, want 1", loads)
	}
	editKeepingSizeAndTime(t, chart)
	if out := renderWith(t, chart, 0); !strings.Contains(out, `message: "changed"`) {
		t.Fatalf("the render did not see the edited subchart values:\n%s", out)
	}
}

// The cache holds at most maxCachedCharts charts, however many a
// long-running process has used.
func TestChartCacheIsBounded(t *testing.T) {
	forgetLoadedCharts()
	t.Cleanup(forgetLoadedCharts)
	for i := range maxCachedCharts + 10 {
		loadedCharts.keep(fmt.Sprintf("/charts/%d", i), cachedChart{})
	}
	loadedCharts.keep("/charts/0", cachedChart{}) // replacing does not evict
	if n := len(loadedCharts.entries); n != maxCachedCharts {
		t.Errorf("the cache holds %d charts, want %d", n, maxCachedCharts)
	}
}

// A chart too large to fingerprint cheaply is read by helm's loader every
// time, as before the cache.
func TestLargeChartIsNotShared(t *testing.T) {
	keepFreshCharts(t, 0)
	chart := aliasedChart(t)
	many := map[string]string{}
	for i := range fingerprintMaxEntries {
		many[fmt.Sprintf("files/f%04d.txt", i)] = "x"
	}
	shimtest.WriteFiles(t, chart, many)
	before := loadedCharts.loads.Load()
	for i := range 2 {
		renderWith(t, chart, i)
	}
	if loads := loadedCharts.loads.Load() - before; loads != 2 {
		t.Errorf("a chart of more than %d files was read %d times by 2 renders, want 2", fingerprintMaxEntries, loads)
	}
}
