package diff

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/release"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"

	"encoding/json"
	"fmt"

	"github.com/helmfire/helmfire/go-shim/internal/redact"
)

// The diff method against a real API server (HELMFIRE_TEST_KUBECONFIG, see
// shimtest.ClusterKubeconfig). Each test has its own namespace.

func diffRequest(kubeconfig, ns, name, chart string, set []string, options, extra map[string]any) map[string]any {
	req := shimtest.UpgradeRequest(kubeconfig, ns, name, chart, set, options)
	for k, v := range extra {
		req[k] = v
	}
	return req
}

func runDiffFor(t *testing.T, what string, req map[string]any) Result {
	t.Helper()
	var res Result
	shimtest.MustResult(t, shimtest.Timed(t, "diff "+what, func() shimtest.Envelope { return shimtest.Call(t, Run, req) }), &res)
	return res
}

func install(t *testing.T, req map[string]any) {
	t.Helper()
	var up release.UpgradeResult
	shimtest.MustResult(t, shimtest.Call(t, release.Upgrade, req), &up)
	if up.Status != "deployed" {
		t.Fatalf("upgrade: %+v", up)
	}
}

// summary is "action:kind/name" of each change, in order.
func summary(res Result) string {
	var out []string
	for _, c := range res.Changes {
		out = append(out, c.Action+":"+c.Kind+"/"+c.Name)
	}
	return strings.Join(out, " ")
}

func changeOf(t *testing.T, res Result, kind, name string) Change {
	t.Helper()
	for _, c := range res.Changes {
		if c.Kind == kind && c.Name == name {
			return c
		}
	}
	t.Fatalf("no change of %s %s in %s", kind, name, summary(res))
	return Change{}
}

func mustContainLines(t *testing.T, text string, lines ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		have[l] = true
	}
	for _, l := range lines {
		if !have[l] {
			t.Errorf("diff lacks the line %q:\n%s", l, text)
		}
	}
}

// A new release is all creations; once installed, nothing changes; a values
// change, a manual change and a removal from the chart all show.
func TestClusterDiffServerSideApplyRelease(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "diff")
	chart := filepath.Join(shimtest.Charts, "subchart")
	req := func(set []string, extra map[string]any) map[string]any {
		return diffRequest(kubeconfig, ns, "sub", chart, set, nil, extra)
	}

	res := runDiffFor(t, "new release", req(nil, nil))
	if res.Exists || res.Release != "sub" || res.Namespace != ns || res.Unchanged != 0 ||
		summary(res) != "create:Deployment/sub-child create:ConfigMap/sub-parent" {
		t.Fatalf("new release: %+v", res)
	}
	dep := changeOf(t, res, "Deployment", "sub-child")
	if dep.APIVersion != "apps/v1" || dep.Namespace != ns {
		t.Errorf("change: %+v", dep)
	}
	mustContainLines(t, dep.Diff, ns+", sub-child, Deployment (apps) has been added:", "+ kind: Deployment", "+   replicas: 3")
	if strings.Contains(dep.Diff, "managed-by") || strings.Contains(dep.Diff, "meta.helm.sh") || strings.Contains(dep.Diff, "\n- ") {
		t.Errorf("creation diff:\n%s", dep.Diff)
	}

	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "sub", chart, nil, nil))
	res = runDiffFor(t, "unchanged release", req(nil, nil))
	if !res.Exists || len(res.Changes) != 0 || res.Unchanged != 2 {
		t.Fatalf("unchanged: %+v", res)
	}

	res = runDiffFor(t, "values change", req([]string{"child.replicas=5"}, nil))
	if summary(res) != "update:Deployment/sub-child update:ConfigMap/sub-parent" || res.Unchanged != 0 {
		t.Fatalf("values change: %s", summary(res))
	}
	dep = changeOf(t, res, "Deployment", "sub-child")
	mustContainLines(t, dep.Diff, ns+", sub-child, Deployment (apps) has changed:", "-   replicas: 3", "+   replicas: 5")
	if dep.Conflict != "" {
		t.Errorf("conflict: %s", dep.Conflict)
	}
	mustContainLines(t, changeOf(t, res, "ConfigMap", "sub-parent").Diff, `-   childReplicas: "3"`, `+   childReplicas: "5"`)
	// Three lines of context by default; negative means whole objects.
	if lines := strings.Count(dep.Diff, "\n"); lines > 12 || !strings.Contains(dep.Diff, "...\n") {
		t.Errorf("context 3:\n%s", dep.Diff)
	}
	full := changeOf(t, runDiffFor(t, "whole objects", req([]string{"child.replicas=5"}, map[string]any{"context_lines": -1})), "Deployment", "sub-child")
	if strings.Contains(full.Diff, "...") || !strings.Contains(full.Diff, "  apiVersion: apps/v1\n") {
		t.Errorf("whole object:\n%s", full.Diff)
	}

	// Applied, the same request has nothing left to change.
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "sub", chart, []string{"child.replicas=5"}, nil))
	res = runDiffFor(t, "after the upgrade", req([]string{"child.replicas=5"}, nil))
	if len(res.Changes) != 0 || res.Unchanged != 2 {
		t.Fatalf("after the upgrade: %s", summary(res))
	}

	// Drift: someone scales the Deployment and labels it; the chart did not
	// change. The upgrade would put replicas back and leave the foreign
	// label alone, if its apply did not conflict with the other manager.
	admin := shimtest.AdminClient(t, kubeconfig)
	ctx := context.Background()
	if _, err := admin.AppsV1().Deployments(ns).Patch(ctx, "sub-child", types.StrategicMergePatchType,
		[]byte(`{"metadata":{"labels":{"patched-by":"hand"}},"spec":{"replicas":7}}`), metav1.PatchOptions{FieldManager: "by-hand"}); err != nil {
		t.Fatal(err)
	}
	res = runDiffFor(t, "drift", req([]string{"child.replicas=5"}, nil))
	if summary(res) != "update:Deployment/sub-child" || res.Unchanged != 1 {
		t.Fatalf("drift: %s", summary(res))
	}
	dep = res.Changes[0]
	mustContainLines(t, dep.Diff, "-   replicas: 7", "+   replicas: 5")
	if strings.Contains(dep.Diff, "patched-by") {
		t.Errorf("the foreign label shows:\n%s", dep.Diff)
	}
	if !strings.Contains(dep.Conflict, "by-hand") || !strings.Contains(dep.Conflict, ".spec.replicas") {
		t.Errorf("conflict: %q", dep.Conflict)
	}
	t.Logf("drift diff:\n%s\nconflict: %s", dep.Diff, dep.Conflict)
	// The conflict is real: the upgrade fails on it (revision 3 failed).
	shimtest.MustFail(t, shimtest.Call(t, release.Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "sub", chart, []string{"child.replicas=5"}, nil)),
		fault.KindRelease, "conflict")

	// The child chart disabled: its Deployment would be deleted (from the
	// deployed revision 2, the last one having failed).
	res = runDiffFor(t, "removal", req([]string{"child.enabled=false", "child.replicas=5"}, nil))
	if summary(res) != "delete:Deployment/sub-child" || res.Unchanged != 1 {
		t.Fatalf("removal: %s", summary(res))
	}
	mustContainLines(t, res.Changes[0].Diff, ns+", sub-child, Deployment (apps) has been removed:", "- kind: Deployment", "-   replicas: 7")

	// Nothing was written by any diff.
	live, err := admin.AppsV1().Deployments(ns).Get(ctx, "sub-child", metav1.GetOptions{})
	if err != nil || *live.Spec.Replicas != 7 {
		t.Fatalf("the live Deployment changed: %v %v", err, live.Spec.Replicas)
	}
	var st release.StatusResult
	shimtest.MustResult(t, shimtest.Call(t, release.Status, map[string]any{"kube": kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "sub"}), &st)
	if st.Revision != 3 || st.Status != "failed" {
		t.Fatalf("a diff stored a revision: %+v", st)
	}
}

// A release installed with client-side apply (as helm 3 did) is predicted
// with Helm's three-way merge patch: drift, changes and removed fields.
func TestClusterDiffClientSideApplyRelease(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "diffcsa")
	chart := filepath.Join(shimtest.Charts, "named-templates")
	csa := map[string]any{"server_side": "false"}
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "web", chart, nil, csa))
	res := runDiffFor(t, "csa unchanged", diffRequest(kubeconfig, ns, "web", chart, nil, nil, nil))
	if len(res.Changes) != 0 || res.Unchanged != 1 {
		t.Fatalf("unchanged: %+v", res)
	}
	admin := shimtest.AdminClient(t, kubeconfig)
	if _, err := admin.CoreV1().Services(ns).Patch(context.Background(), "web-demo", types.MergePatchType,
		[]byte(`{"metadata":{"annotations":{"rendered":"edited by hand"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	res = runDiffFor(t, "csa drift and change", diffRequest(kubeconfig, ns, "web", chart, []string{"labels.tier=null", "labels.zone=z1"}, nil, nil))
	if summary(res) != "update:Service/web-demo" {
		t.Fatalf("csa: %s", summary(res))
	}
	c := res.Changes[0]
	mustContainLines(t, c.Diff, "-     rendered: edited by hand", "+     rendered: web-from-tpl", "-     tier: backend", "+     zone: z1")
	if c.Conflict != "" {
		t.Errorf("conflict on client-side apply: %s", c.Conflict)
	}
	t.Logf("csa diff:\n%s", c.Diff)
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "web", chart, []string{"labels.tier=null", "labels.zone=z1"}, nil))
	res = runDiffFor(t, "csa after the upgrade", diffRequest(kubeconfig, ns, "web", chart, []string{"labels.tier=null", "labels.zone=z1"}, nil, nil))
	if len(res.Changes) != 0 || res.Unchanged != 1 {
		t.Fatalf("after the upgrade: %s", summary(res))
	}

	// Moving the release to server-side apply: Helm's own client-side
	// entries are handed over first, so they are no conflict.
	ssa := map[string]any{"server_side": "true"}
	set := []string{"labels.zone=z2", "labels.team=null"}
	res = runDiffFor(t, "csa to ssa", diffRequest(kubeconfig, ns, "web", chart, set, ssa, nil))
	if summary(res) != "update:Service/web-demo" || res.Changes[0].Conflict != "" {
		t.Fatalf("csa to ssa: %s %q", summary(res), res.Changes[0].Conflict)
	}
	mustContainLines(t, res.Changes[0].Diff, "-     zone: z1", "+     zone: z2", "-     team: platform")
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "web", chart, set, ssa))
	res = runDiffFor(t, "after the move", diffRequest(kubeconfig, ns, "web", chart, set, nil, nil))
	if len(res.Changes) != 0 || res.Unchanged != 1 {
		t.Fatalf("after the move: %s", summary(res))
	}
	svc, err := admin.CoreV1().Services(ns).Get(context.Background(), "web-demo", metav1.GetOptions{})
	if err != nil || svc.Labels["team"] != "" || svc.Labels["zone"] != "z2" {
		t.Fatalf("the move did not do what the diff said: %v %v", err, svc.Labels)
	}
}

// Secret values never show unless asked; a changed key still shows as
// changed. A keep policy spares an object from deletion.
func TestClusterDiffSecretsAndKeepPolicy(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "diffsec")
	chart := filepath.Join(shimtest.Charts, "files")
	res := runDiffFor(t, "new secret", diffRequest(kubeconfig, ns, "f", chart, nil, nil, nil))
	sec := changeOf(t, res, "Secret", "f-scripts")
	mustContainLines(t, sec.Diff, ns+", f-scripts, Secret (v1) has been added:", "+   start.sh: '++++++++ # (23 bytes)'")

	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "f", chart, nil, nil))
	admin := shimtest.AdminClient(t, kubeconfig)
	// The hand edit as `kubectl apply` makes it: the values again, in clear,
	// in the last-applied-configuration annotation.
	applied, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "f-scripts", "namespace": ns}, "stringData": map[string]any{"start.sh": "#!/bin/sh\necho hacked\n"}})
	if err != nil {
		t.Fatal(err)
	}
	annotation, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{redact.LastAppliedAnnotation: string(applied)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Secrets(ns).Patch(context.Background(), "f-scripts", types.MergePatchType, annotation, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	patch := `{"data":{"start.sh":"` + base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hacked\n")) + `"}}`
	if _, err := admin.CoreV1().Secrets(ns).Patch(context.Background(), "f-scripts", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	res = runDiffFor(t, "secret drift", diffRequest(kubeconfig, ns, "f", chart, nil, nil, nil))
	if summary(res) != "update:Secret/f-scripts" {
		t.Fatalf("secret drift: %s", summary(res))
	}
	sec = res.Changes[0]
	mustContainLines(t, sec.Diff, "-   start.sh: '-------- # (22 bytes)'", "+   start.sh: '++++++++ # (23 bytes)'")
	// Whole objects: the annotation shows, its value does not.
	whole := runDiffFor(t, "whole secret", diffRequest(kubeconfig, ns, "f", chart, nil, nil, map[string]any{"context_lines": -1})).Changes[0]
	mustContainLines(t, whole.Diff, fmt.Sprintf("      kubectl.kubernetes.io/last-applied-configuration: 'REDACTED # (%d bytes)'", len(applied)))
	if strings.Contains(whole.Diff, "hacked") {
		t.Errorf("a secret value shows:\n%s", whole.Diff)
	}
	if strings.Contains(sec.Diff, "hacked") || strings.Contains(sec.Diff, "ZWNobyBoYWNrZWQ") || strings.Contains(sec.Diff, "IyEv") {
		t.Errorf("a secret value shows:\n%s", sec.Diff)
	}
	shown := runDiffFor(t, "show secrets", diffRequest(kubeconfig, ns, "f", chart, nil, nil, map[string]any{"show_secrets": true})).Changes[0]
	mustContainLines(t, shown.Diff, "-   start.sh: "+base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hacked\n")))

	// A chart of two ConfigMaps, one kept; both dropped by the values.
	keep := t.TempDir()
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: keep\nversion: 0.1.0\n",
		"templates/cms.yaml": `{{- if .Values.enabled }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-kept
  annotations:
    helm.sh/resource-policy: keep
data: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-dropped
data: {a: b}
{{- end }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-always
data: {a: b}
`,
		"values.yaml": "enabled: true\n",
	}
	for name, body := range files {
		path := filepath.Join(keep, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "k", keep, nil, nil))
	res = runDiffFor(t, "keep policy", diffRequest(kubeconfig, ns, "k", keep, []string{"enabled=false"}, nil, nil))
	if summary(res) != "delete:ConfigMap/k-dropped" || res.Unchanged != 1 {
		t.Fatalf("keep policy: %s", summary(res))
	}
}

// Hooks are left out, test hooks shown on request; errors keep their kinds.
func TestClusterDiffHooksAndErrors(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "diffhook")
	chart := filepath.Join(shimtest.Charts, "hooks")
	admin := shimtest.AdminClient(t, kubeconfig)
	if _, err := admin.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	res := runDiffFor(t, "hooks", diffRequest(kubeconfig, ns, "h", chart, nil, nil, nil))
	if summary(res) != "create:ServiceAccount/h-app" {
		t.Fatalf("hooks: %s", summary(res))
	}
	res = runDiffFor(t, "test hooks", diffRequest(kubeconfig, ns, "h", chart, nil, nil, map[string]any{"include_tests": true}))
	if summary(res) != "create:ServiceAccount/h-app create:Pod/h-test" {
		t.Fatalf("test hooks: %s", summary(res))
	}
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "h", chart, nil, map[string]any{"timeout_seconds": 120}))
	res = runDiffFor(t, "installed test hooks", diffRequest(kubeconfig, ns, "h", chart, nil, nil, map[string]any{"include_tests": true}))
	if len(res.Changes) != 0 || res.Unchanged != 2 {
		t.Fatalf("installed test hooks: %+v", res)
	}
	res = runDiffFor(t, "changed test hook", diffRequest(kubeconfig, ns, "h", chart, []string{"image=busybox:1.37"}, nil, map[string]any{"include_tests": true}))
	if summary(res) != "update:Pod/h-test" {
		t.Fatalf("changed test hook: %s", summary(res))
	}
	mustContainLines(t, res.Changes[0].Diff, "-     image: busybox:1.36", "+     image: busybox:1.37")

	shimtest.MustFail(t, shimtest.Call(t, Run, diffRequest(kubeconfig, ns, "b", filepath.Join(shimtest.Charts, "broken"), nil, nil, nil)), fault.KindRender)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel() // before the call: it starts cancelled
	shimtest.MustFail(t, shimtest.CallContext(t, cancelled, Run, diffRequest(kubeconfig, ns, "h", chart, nil, nil, nil)), fault.KindCancelled)

	// An object of another owner: the upgrade would refuse it, so does the diff.
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "o-app"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	shimtest.MustFail(t, shimtest.Call(t, Run, diffRequest(kubeconfig, ns, "o", chart, nil, nil, nil)), fault.KindRelease, "exists and cannot be imported")
}
