package diff

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// Unit tests of the diff method's parts; diff_cluster_test.go runs it
// against an API server.

func formatted(before, after string, context int) string {
	var out strings.Builder
	formatEdits(diffLines(splitLines(before), splitLines(after)), context, &out)
	return out.String()
}

// The cases of helm-diff's TestPrintDiffWithContext (diff/diff_test.go).
func TestDiffTextMatchesHelmDiffContextHandling(t *testing.T) {
	text1 := "line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\nline9\nline10"
	text2 := "line1 - different!\nline2 - different!\nline3\nline4\nline5\nline6\nline7\nline8 - different!\nline9\nline10"
	cases := map[int]string{
		-1: "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n  line3\n  line4\n  line5\n  line6\n  line7\n- line8\n+ line8 - different!\n  line9\n  line10\n",
		0:  "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n...\n- line8\n+ line8 - different!\n...\n",
		1:  "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n  line3\n...\n  line7\n- line8\n+ line8 - different!\n  line9\n...\n",
		2:  "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n  line3\n  line4\n...\n  line6\n  line7\n- line8\n+ line8 - different!\n  line9\n  line10\n",
		3:  "- line1\n- line2\n+ line1 - different!\n+ line2 - different!\n  line3\n  line4\n  line5\n  line6\n  line7\n- line8\n+ line8 - different!\n  line9\n  line10\n",
	}
	for context, want := range cases {
		if got := formatted(text1, text2, context); got != want {
			t.Errorf("context %d:\n%s\nwant:\n%s", context, got, want)
		}
	}
}

func TestDiffTextOfYAMLObjects(t *testing.T) {
	before := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n  strategy: {}\n"
	after := strings.Replace(before, "replicas: 1", "replicas: 3", 1)
	got := changeText("default, web, Deployment (apps) has changed:", before, after, 2)
	want := "default, web, Deployment (apps) has changed:\n...\n    namespace: default\n  spec:\n-   replicas: 1\n+   replicas: 3\n    selector:\n      matchLabels:\n...\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// A creation is all additions (without helm-diff's stray "- " line), a
	// deletion all removals; the context does not hide any of it.
	created := changeText("h", "", "a: 1\nb:\n  c: 2\n", 0)
	if created != "h\n+ a: 1\n+ b:\n+   c: 2\n" {
		t.Errorf("created:\n%s", created)
	}
	deleted := changeText("h", "a: 1\n", "", 3)
	if deleted != "h\n- a: 1\n" {
		t.Errorf("deleted:\n%s", deleted)
	}
	// An empty common line is printed empty, as helm-diff prints it.
	if got := formatted("a\n\nb", "a\n\nc", -1); got != "  a\n\n- b\n+ c\n" {
		t.Errorf("empty line: %q", got)
	}
}

// diffLines is a shortest edit script that rebuilds both sides.
func TestDiffLinesIsMinimal(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	alphabet := []string{"a", "b", "c", "d"}
	for round := 0; round < 500; round++ {
		a := make([]string, rng.Intn(12))
		b := make([]string, rng.Intn(12))
		for i := range a {
			a[i] = alphabet[rng.Intn(len(alphabet))]
		}
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		edits := diffLines(a, b)
		var gotA, gotB []string
		changes := 0
		for _, e := range edits {
			switch e.op {
			case lineCommon:
				gotA, gotB = append(gotA, e.text), append(gotB, e.text)
			case lineDelete:
				gotA = append(gotA, e.text)
				changes++
			case lineInsert:
				gotB = append(gotB, e.text)
				changes++
			}
		}
		if strings.Join(gotA, ",") != strings.Join(a, ",") || strings.Join(gotB, ",") != strings.Join(b, ",") {
			t.Fatalf("%v -> %v: edits %v do not rebuild the sides", a, b, edits)
		}
		if want := len(a) + len(b) - 2*lcsLength(a, b); changes != want {
			t.Fatalf("%v -> %v: %d changed lines, the minimum is %d", a, b, changes, want)
		}
		for i := 1; i < len(edits); i++ {
			if edits[i-1].op == lineInsert && edits[i].op == lineDelete {
				t.Fatalf("%v -> %v: an addition before a removal in %v", a, b, edits)
			}
		}
	}
}

func lcsLength(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// Past the distance bound the middle is replaced wholesale, still correct.
func TestDiffLinesBeyondTheDistanceBound(t *testing.T) {
	var a, b []string
	for i := 0; i < maxEditDistance; i++ {
		a = append(a, "old"+string(rune('a'+i%26)))
		b = append(b, "new"+string(rune('a'+i%26)))
	}
	a = append([]string{"head"}, append(a, "tail")...)
	b = append([]string{"head"}, append(b, "tail")...)
	edits := diffLines(a, b)
	if len(edits) != 2+2*maxEditDistance || edits[0].op != lineCommon || edits[1].op != lineDelete ||
		edits[len(edits)-2].op != lineInsert || edits[len(edits)-1].op != lineCommon {
		t.Fatalf("unexpected script of %d edits", len(edits))
	}
}

func decodeJSONMap(t *testing.T, doc string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(doc), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNormaliseDropsServerAndHelmMetadata(t *testing.T) {
	live := decodeJSONMap(t, `{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {
			"name": "web", "namespace": "ns", "uid": "u", "resourceVersion": "7", "generation": 3,
			"creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{"manager": "helm"}],
			"labels": {"app.kubernetes.io/managed-by": "Helm", "team": "a"},
			"annotations": {"meta.helm.sh/release-name": "web", "meta.helm.sh/release-namespace": "ns",
				"deployment.kubernetes.io/revision": "2"}
		},
		"spec": {"replicas": 2},
		"status": {"readyReplicas": 2}
	}`)
	got := Normalise(live)
	want := decodeJSONMap(t, `{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {"name": "web", "namespace": "ns", "labels": {"team": "a"}},
		"spec": {"replicas": 2}
	}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("normalised:\n%v\nwant:\n%v", got, want)
	}
	if live["status"] == nil || live["metadata"].(map[string]any)["uid"] == nil {
		t.Error("the input was modified")
	}
	// Other annotations stay; an object without metadata is left alone.
	kept := Normalise(decodeJSONMap(t, `{"metadata": {"annotations": {"a": "b", "meta.helm.sh/release-name": "x"}}}`))
	if !reflect.DeepEqual(kept["metadata"], map[string]any{"annotations": map[string]any{"a": "b"}}) {
		t.Errorf("annotations: %v", kept)
	}
	if got := Normalise(map[string]any{"kind": "X"}); !reflect.DeepEqual(got, map[string]any{"kind": "X"}) {
		t.Errorf("no metadata: %v", got)
	}
}

func TestChangeKeyIsHelmDiffs(t *testing.T) {
	for _, c := range []struct{ ns, name, kind, apiVersion, want string }{
		{"ns", "web", "Deployment", "apps/v1", "ns, web, Deployment (apps)"},
		{"ns", "web", "Service", "v1", "ns, web, Service (v1)"},
		{"", "admin", "ClusterRole", "rbac.authorization.k8s.io/v1", "rel, admin, ClusterRole (rbac.authorization.k8s.io)"},
	} {
		if got := changeKey(c.ns, c.name, c.kind, c.apiVersion, "rel"); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	changes := []Change{
		{Action: actionCreate, key: "a"}, {Action: actionDelete, key: "b"}, {Action: actionUpdate, key: "z"},
		{Action: actionUpdate, key: "c"}, {Action: actionCreate, key: "0"},
	}
	sortChanges(changes)
	var order []string
	for _, c := range changes {
		order = append(order, c.Action+":"+c.key)
	}
	if got := strings.Join(order, " "); got != "update:c update:z delete:b create:0 create:a" {
		t.Errorf("order: %s", got)
	}
}

// The diff takes the upgrade's params and its own, decoded strictly.
func TestDiffParamsDecoding(t *testing.T) {
	raw := `{"release_name": "web", "chart": "c", "overrides": {}, "kube": {"namespace": "ns"},
		"options": {"server_side": "true", "reuse_values": true}, "context_lines": -1, "show_secrets": true, "include_tests": true}`
	p, err := shimtest.Decode[Params](json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if p.ReleaseName != "web" || p.Kube.Namespace != "ns" || p.Options.ServerSide != "true" || !p.Options.ReuseValues ||
		p.ContextLines == nil || *p.ContextLines != -1 || !p.ShowSecrets || !p.IncludeTests {
		t.Fatalf("decoded: %+v", p)
	}
	_, err = shimtest.Decode[Params](json.RawMessage(`{"release_name": "web", "chart": "c", "context": 3}`))
	if se := shimtest.AsFault(err); se == nil || se.Kind != fault.KindBadRequest {
		t.Fatalf("unknown field: %v", err)
	}
	env := shimtest.Call(t, Run, map[string]any{"release_name": "web", "chart": "c", "show_only": []string{"x"}})
	shimtest.MustFail(t, env, fault.KindBadRequest, `"show_only" is a template parameter`)
}

func TestStripTrailingCRMakesCRLFTextEqual(t *testing.T) {
	crlf := "data:\n  a: \"x\\r\\ny\\r\\n\"\n"
	lf := "data:\n  a: \"x\\ny\\n\"\n"
	if got := stripTrailingCR(crlf); got != lf {
		t.Fatalf("stripTrailingCR(%q) = %q, want %q", crlf, got, lf)
	}
	if got := stripTrailingCR("a: \"x\\ry\"\n"); got != "a: \"x\\ry\"\n" {
		t.Fatalf("a carriage return inside a line must stay, got %q", got)
	}
}
