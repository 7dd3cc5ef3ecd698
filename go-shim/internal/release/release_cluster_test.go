package release

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// Tests against a real API server (shimtest.ClusterKubeconfig). Each test
// works in a namespace of its own.

func TestClusterReleaseLifecycle(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "life")
	kube := kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}
	chart := filepath.Join(shimtest.Charts, "named-templates")
	ref := func(extra map[string]any) map[string]any {
		params := map[string]any{"kube": kube, "release_name": "web"}
		for k, v := range extra {
			params[k] = v
		}
		return params
	}

	var up UpgradeResult
	shimtest.MustResult(t, shimtest.Timed(t, "install", func() shimtest.Envelope {
		return shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "web", chart, nil, nil))
	}), &up)
	if up.Revision != 1 || !up.FirstInstall || up.Status != "deployed" || !strings.HasPrefix(up.Chart, "named-templates-") {
		t.Fatalf("install: %+v", up)
	}
	shimtest.MustResult(t, shimtest.Timed(t, "upgrade", func() shimtest.Envelope {
		return shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "web", chart, []string{"name=changed"},
			map[string]any{"labels": map[string]string{"team": "a"}, "description": "second"}))
	}), &up)
	if up.Revision != 2 || up.FirstInstall || up.Status != "deployed" {
		t.Fatalf("upgrade: %+v", up)
	}
	svc, err := shimtest.AdminClient(t, kubeconfig).CoreV1().Services(ns).Get(context.Background(), "web-changed", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the upgraded Service is not in the cluster: %v", err)
	}
	if svc.Labels["app.kubernetes.io/managed-by"] != "Helm" {
		t.Errorf("labels: %v", svc.Labels)
	}

	var st StatusResult
	shimtest.MustResult(t, shimtest.Timed(t, "status", func() shimtest.Envelope { return shimtest.Call(t, Status, ref(nil)) }), &st)
	if st.Revision != 2 || st.Status != "deployed" || st.Description != "second" || st.Namespace != ns || st.FirstDeployed == "" {
		t.Fatalf("status: %+v", st)
	}
	shimtest.MustResult(t, shimtest.Call(t, Status, ref(map[string]any{"revision": 1})), &st)
	if st.Revision != 1 || st.Status != "superseded" {
		t.Fatalf("status of revision 1: %+v", st)
	}
	shimtest.MustFail(t, shimtest.Call(t, Status, ref(map[string]any{"revision": 9})), fault.KindRelease, "no revision 9")

	var un UninstallResult
	shimtest.MustResult(t, shimtest.Timed(t, "uninstall", func() shimtest.Envelope {
		return shimtest.Call(t, Uninstall, ref(map[string]any{"wait": true, "timeout_seconds": 60}))
	}), &un)
	if !un.Existed {
		t.Fatalf("uninstall: %+v", un)
	}
	shimtest.MustFail(t, shimtest.Call(t, Status, ref(nil)), fault.KindReleaseNotFound, `release "web" not found in namespace "`+ns+`"`)
	shimtest.MustFail(t, shimtest.Call(t, Status, ref(map[string]any{"revision": 1})), fault.KindReleaseNotFound, "not found")
	shimtest.MustFail(t, shimtest.Call(t, Uninstall, ref(nil)), fault.KindReleaseNotFound, "not found")
	shimtest.MustResult(t, shimtest.Call(t, Uninstall, ref(map[string]any{"ignore_not_found": true})), &un)
	if un.Existed {
		t.Fatalf("second uninstall: %+v", un)
	}
}

// An uninstall that keeps history leaves an uninstalled revision; the next
// upgrade installs again over it (helm upgrade --install's Replace).
func TestClusterReinstallAfterKeepHistory(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "keep")
	chart := filepath.Join(shimtest.Charts, "named-templates")
	var up UpgradeResult
	shimtest.MustResult(t, shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "app", chart, nil, nil)), &up)
	var un UninstallResult
	shimtest.MustResult(t, shimtest.Call(t, Uninstall, map[string]any{
		"kube": kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "app", "keep_history": true,
	}), &un)
	var st StatusResult
	shimtest.MustResult(t, shimtest.Call(t, Status, map[string]any{"kube": kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "app"}), &st)
	if st.Revision != 1 || st.Status != "uninstalled" {
		t.Fatalf("status after uninstall --keep-history: %+v", st)
	}
	shimtest.MustResult(t, shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "app", chart, nil, nil)), &up)
	if !up.FirstInstall || up.Revision != 2 || up.Status != "deployed" {
		t.Fatalf("reinstall: %+v", up)
	}
}

// Each upgrade reads the release's history once (kube/history.go) and
// still leaves what helm leaves: revisions pruned to --history-max, the
// older one superseded, the newest deployed.
func TestClusterUpgradesReadTheHistoryOnceAndPruneItAsHelmDoes(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "prune")
	chart := filepath.Join(shimtest.Charts, "named-templates")
	before := kube.HistoryReads.Load()
	var up UpgradeResult
	for i := 1; i <= 4; i++ {
		request := shimtest.UpgradeRequest(kubeconfig, ns, "web", chart, nil, map[string]any{"history_max": 2})
		shimtest.MustResult(t, shimtest.Call(t, Upgrade, request), &up)
		if up.Revision != i {
			t.Fatalf("upgrade %d: %+v", i, up)
		}
	}
	// Per upgrade: helm's Last, Deployed (not on install) and the history
	// read to prune it come from helmfire's first read.
	if got := kube.HistoryReads.Load() - before; got < 7 {
		t.Fatalf("history queries answered from the action's read: %d, want at least 7", got)
	}
	secrets, err := shimtest.AdminClient(t, kubeconfig).CoreV1().Secrets(ns).List(context.Background(),
		metav1.ListOptions{LabelSelector: "owner=helm,name=web"})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for _, s := range secrets.Items {
		stored[s.Labels["version"]] = s.Labels["status"]
	}
	if len(stored) != 2 || stored["3"] != "superseded" || stored["4"] != "deployed" {
		t.Fatalf("revisions stored: %v, want 3 superseded and 4 deployed", stored)
	}
}

// The subchart fixture has a Deployment: --wait waits for kwok's pods.
func TestClusterInstallWaitsForWorkloads(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "wait")
	var up UpgradeResult
	shimtest.MustResult(t, shimtest.Timed(t, "install --wait", func() shimtest.Envelope {
		return shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "sub", filepath.Join(shimtest.Charts, "subchart"), nil,
			map[string]any{"wait": true, "wait_for_jobs": true, "timeout_seconds": 120}))
	}), &up)
	if up.Status != "deployed" {
		t.Fatalf("install: %+v", up)
	}
	dep, err := shimtest.AdminClient(t, kubeconfig).AppsV1().Deployments(ns).Get(context.Background(), "sub-child", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status.ReadyReplicas != *dep.Spec.Replicas {
		t.Fatalf("returned before the Deployment was ready: %+v", dep.Status)
	}
}

// The hooks fixture runs a pre-install Job (kwok completes it) and a
// post-install ConfigMap; a render failure is a render error.
func TestClusterHooksAndRenderErrors(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "hooks")
	var up UpgradeResult
	shimtest.MustResult(t, shimtest.Timed(t, "install with hooks", func() shimtest.Envelope {
		return shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "h", filepath.Join(shimtest.Charts, "hooks"), nil,
			map[string]any{"timeout_seconds": 120}))
	}), &up)
	if up.Status != "deployed" {
		t.Fatalf("install: %+v", up)
	}
	if _, err := shimtest.AdminClient(t, kubeconfig).CoreV1().ConfigMaps(ns).Get(context.Background(), "h-post", metav1.GetOptions{}); err != nil {
		t.Fatalf("post-install hook: %v", err)
	}
	// A render failure on install, on upgrade, and a values schema failure.
	shimtest.MustFail(t, shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "b", filepath.Join(shimtest.Charts, "broken"), nil, nil)), fault.KindRender)
	shimtest.MustResult(t, shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "n", filepath.Join(shimtest.Charts, "named-templates"), nil, nil)), &up)
	broken := shimtest.UpgradeRequest(kubeconfig, ns, "n", filepath.Join(shimtest.Charts, "named-templates"), nil, nil)
	broken["values"] = []render.ValueSource{{Inline: `{"extra": "{{ fail \"boom\" }}"}`, Origin: "test"}}
	shimtest.MustFail(t, shimtest.Call(t, Upgrade, broken), fault.KindRender, "boom")
	shimtest.MustFail(t, shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "s", filepath.Join(shimtest.Charts, "schema"), []string{"mode=weird"}, nil)), fault.KindSchema)
	var st StatusResult
	nRef := map[string]any{"kube": kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "n"}
	shimtest.MustResult(t, shimtest.Call(t, Status, nRef), &st)
	if st.Revision != 1 || st.Status != "deployed" {
		t.Fatalf("a failed render changed the release: %+v", st)
	}
	// An object the API server rejects fails the revision (a release error
	// that says what the release was left as).
	env := shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "n", filepath.Join(shimtest.Charts, "named-templates"), []string{"ports[0]=0"}, nil))
	shimtest.MustFail(t, env, fault.KindRelease, `Service "n-demo" is invalid`)
	if env.Error.Details["status"] != "failed" || env.Error.Details["revision"] != "2" {
		t.Errorf("details: %v", env.Error.Details)
	}
	shimtest.MustFail(t, shimtest.Call(t, Status, map[string]any{"kube": kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "b"}), fault.KindReleaseNotFound, "not found")
}

// A helm test hook that is a Job (kwok completes Jobs).
func TestClusterReleaseTest(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "test")
	chart := t.TempDir()
	files := map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: tested\nversion: 1.2.3\nappVersion: \"4.5\"\n",
		"templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata: {a: b}\n",
		"templates/NOTES.txt": "Thanks for installing {{ .Release.Name }}.\n",
		"templates/tests/job.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-smoke
  annotations:
    "helm.sh/hook": test
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: smoke
          image: busybox:1.36
          command: ["true"]
`,
	}
	for name, body := range files {
		path := filepath.Join(chart, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var up UpgradeResult
	shimtest.MustResult(t, shimtest.Call(t, Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "t", chart, nil, nil)), &up)
	if up.Chart != "tested-1.2.3" || up.AppVersion != "4.5" || strings.TrimSpace(up.Notes) != "Thanks for installing t." {
		t.Fatalf("install: %+v", up)
	}
	var res TestResult
	shimtest.MustResult(t, shimtest.Timed(t, "helm test", func() shimtest.Envelope {
		return shimtest.Call(t, Test, map[string]any{
			"kube": kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "t", "timeout_seconds": 120,
		})
	}), &res)
	if !res.Passed || len(res.Hooks) != 1 || res.Hooks[0] != (testHook{Name: "t-smoke", Kind: "Job", Phase: "Succeeded"}) {
		t.Fatalf("test: %+v", res)
	}
}

// A ServiceAccount without RBAC: the error names the verb and resource.
func TestClusterForbiddenNamesVerbAndResource(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "rbac")
	admin := shimtest.AdminClient(t, kubeconfig)
	ctx := context.Background()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	token, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "nobody", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, user := range raw.AuthInfos {
		user.Token = token.Status.Token
	}
	limited := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*raw, limited); err != nil {
		t.Fatal(err)
	}
	env := shimtest.Call(t, Status, map[string]any{"kube": kube.Settings{Kubeconfig: limited, Namespace: ns}, "release_name": "r"})
	shimtest.MustFail(t, env, fault.KindKube, "forbidden", `cannot list resource "secrets"`)
	if env.Error.Details["verb"] != "list" || env.Error.Details["resource"] != "secrets" {
		t.Errorf("details: %v", env.Error.Details)
	}
	t.Logf("forbidden: %s", env.Error.Message)
}
