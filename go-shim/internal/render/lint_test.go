package render

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// Lint prints what `helm lint` prints: the summary line only for a chart
// that passed, the errors for one that did not.
func TestLintPassesAndFails(t *testing.T) {
	good := filepath.Join(shimtest.Charts, "named-templates")
	res, e := shimtest.Invoke(t, Lint, LintParams{Chart: good})
	if e != nil {
		t.Fatal(e)
	}
	if res.Failed || !strings.HasPrefix(res.Output, "==> Linting "+good+"\n") ||
		!strings.HasSuffix(res.Output, "\n1 chart(s) linted, 0 chart(s) failed\n") {
		t.Errorf("good chart: %+v", res)
	}

	res, e = shimtest.Invoke(t, Lint, LintParams{Chart: filepath.Join(shimtest.Charts, "broken")})
	if e != nil {
		t.Fatal(e)
	}
	if !res.Failed || !strings.Contains(res.Output, "[ERROR]") || strings.Contains(res.Output, "chart(s) linted") {
		t.Errorf("broken chart: %+v", res)
	}

	_, e = shimtest.Invoke(t, Lint, LintParams{Chart: good, KubeVersion: "not-a-version"})
	if e == nil || e.Kind != fault.KindValues {
		t.Errorf("bad kube version: %+v", e)
	}
	_, e = shimtest.Invoke(t, Lint, map[string]any{"chart": good, "strict": true, "surprise": 1})
	if e == nil || e.Kind != fault.KindBadRequest || !strings.Contains(e.Message, "surprise") {
		t.Errorf("unknown param: %+v", e)
	}
}
