package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Tests against a real API server, skipped unless HELMFIRE_TEST_KUBECONFIG
// names its kubeconfig (scripts/test-cluster start DIR prints one). Each
// test works in a namespace of its own.

func clusterKubeconfig(t *testing.T) string {
	t.Helper()
	path := os.Getenv("HELMFIRE_TEST_KUBECONFIG")
	if path == "" {
		t.Skip("HELMFIRE_TEST_KUBECONFIG is not set")
	}
	return path
}

var namespaceSeq atomic.Int64

// testNamespace returns a fresh namespace name (created by the first
// upgrade, or by the caller) and deletes it when the test ends.
func testNamespace(t *testing.T, kubeconfig, prefix string) string {
	t.Helper()
	ns := fmt.Sprintf("hf-%s-%d-%d", prefix, time.Now().Unix()%100000, namespaceSeq.Add(1))
	t.Cleanup(func() {
		_ = adminClient(t, kubeconfig).CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	return ns
}

func adminClient(t *testing.T, kubeconfig string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func decodeInto(env envelopeForTest, out any) error { return json.Unmarshal(env.Result, out) }

// mustResult decodes a successful answer into out.
func mustResult(t *testing.T, env envelopeForTest, out any) {
	t.Helper()
	if !env.OK {
		t.Fatalf("call failed: %+v", env.Error)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		t.Fatalf("decoding %s: %v", env.Result, err)
	}
}

func mustFail(t *testing.T, env envelopeForTest, kind ErrorKind, fragments ...string) {
	t.Helper()
	if env.OK {
		t.Fatalf("want a %s error, got %s", kind, env.Result)
	}
	if env.Error.Kind != kind {
		t.Fatalf("want a %s error, got %+v", kind, env.Error)
	}
	for _, f := range fragments {
		if !strings.Contains(env.Error.Message, f) {
			t.Errorf("message lacks %q: %s", f, env.Error.Message)
		}
	}
}

func upgradeRequest(kubeconfig, ns, name, chart string, set []string, options map[string]any) map[string]any {
	if options == nil {
		options = map[string]any{}
	}
	return map[string]any{
		"release_name": name,
		"chart":        chart,
		"overrides":    ValueOverrides{Set: set},
		"kube":         kubeSettings{Kubeconfig: kubeconfig, Namespace: ns},
		"options":      options,
	}
}

func timed(t *testing.T, what string, f func() envelopeForTest) envelopeForTest {
	t.Helper()
	start := time.Now()
	env := f()
	t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
	return env
}

func TestClusterReleaseLifecycle(t *testing.T) {
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "life")
	kube := kubeSettings{Kubeconfig: kubeconfig, Namespace: ns}
	chart := filepath.Join(fixtures, "named-templates")
	ref := func(extra map[string]any) map[string]any {
		params := map[string]any{"kube": kube, "release_name": "web"}
		for k, v := range extra {
			params[k] = v
		}
		return params
	}

	var up upgradeResult
	mustResult(t, timed(t, "install", func() envelopeForTest {
		return callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "web", chart, nil, nil), 0)
	}), &up)
	if up.Revision != 1 || !up.FirstInstall || up.Status != "deployed" || !strings.HasPrefix(up.Chart, "named-templates-") {
		t.Fatalf("install: %+v", up)
	}
	mustResult(t, timed(t, "upgrade", func() envelopeForTest {
		return callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "web", chart, []string{"name=changed"},
			map[string]any{"labels": map[string]string{"team": "a"}, "description": "second"}), 0)
	}), &up)
	if up.Revision != 2 || up.FirstInstall || up.Status != "deployed" {
		t.Fatalf("upgrade: %+v", up)
	}
	svc, err := adminClient(t, kubeconfig).CoreV1().Services(ns).Get(context.Background(), "web-changed", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the upgraded Service is not in the cluster: %v", err)
	}
	if svc.Labels["app.kubernetes.io/managed-by"] != "Helm" {
		t.Errorf("labels: %v", svc.Labels)
	}

	var st statusResult
	mustResult(t, timed(t, "status", func() envelopeForTest { return callMethod(t, "status", ref(nil), 0) }), &st)
	if st.Revision != 2 || st.Status != "deployed" || st.Description != "second" || st.Namespace != ns || st.FirstDeployed == "" {
		t.Fatalf("status: %+v", st)
	}
	mustResult(t, callMethod(t, "status", ref(map[string]any{"revision": 1}), 0), &st)
	if st.Revision != 1 || st.Status != "superseded" {
		t.Fatalf("status of revision 1: %+v", st)
	}
	mustFail(t, callMethod(t, "status", ref(map[string]any{"revision": 9}), 0), KindRelease, "no revision 9")

	var un uninstallResult
	mustResult(t, timed(t, "uninstall", func() envelopeForTest {
		return callMethod(t, "uninstall", ref(map[string]any{"wait": true, "timeout_seconds": 60}), 0)
	}), &un)
	if !un.Existed {
		t.Fatalf("uninstall: %+v", un)
	}
	mustFail(t, callMethod(t, "status", ref(nil), 0), KindRelease, `release "web" not found in namespace "`+ns+`"`)
	mustFail(t, callMethod(t, "uninstall", ref(nil), 0), KindRelease, "not found")
	mustResult(t, callMethod(t, "uninstall", ref(map[string]any{"ignore_not_found": true}), 0), &un)
	if un.Existed {
		t.Fatalf("second uninstall: %+v", un)
	}
}

// An uninstall that keeps history leaves an uninstalled revision; the next
// upgrade installs again over it (helm upgrade --install's Replace).
func TestClusterReinstallAfterKeepHistory(t *testing.T) {
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "keep")
	chart := filepath.Join(fixtures, "named-templates")
	var up upgradeResult
	mustResult(t, callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "app", chart, nil, nil), 0), &up)
	var un uninstallResult
	mustResult(t, callMethod(t, "uninstall", map[string]any{
		"kube": kubeSettings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "app", "keep_history": true,
	}, 0), &un)
	var st statusResult
	mustResult(t, callMethod(t, "status", map[string]any{"kube": kubeSettings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "app"}, 0), &st)
	if st.Revision != 1 || st.Status != "uninstalled" {
		t.Fatalf("status after uninstall --keep-history: %+v", st)
	}
	mustResult(t, callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "app", chart, nil, nil), 0), &up)
	if !up.FirstInstall || up.Revision != 2 || up.Status != "deployed" {
		t.Fatalf("reinstall: %+v", up)
	}
}

// The subchart fixture has a Deployment: --wait waits for kwok's pods.
func TestClusterInstallWaitsForWorkloads(t *testing.T) {
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "wait")
	var up upgradeResult
	mustResult(t, timed(t, "install --wait", func() envelopeForTest {
		return callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "sub", filepath.Join(fixtures, "subchart"), nil,
			map[string]any{"wait": true, "wait_for_jobs": true, "timeout_seconds": 120}), 0)
	}), &up)
	if up.Status != "deployed" {
		t.Fatalf("install: %+v", up)
	}
	dep, err := adminClient(t, kubeconfig).AppsV1().Deployments(ns).Get(context.Background(), "sub-child", metav1.GetOptions{})
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
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "hooks")
	var up upgradeResult
	mustResult(t, timed(t, "install with hooks", func() envelopeForTest {
		return callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "h", filepath.Join(fixtures, "hooks"), nil,
			map[string]any{"timeout_seconds": 120}), 0)
	}), &up)
	if up.Status != "deployed" {
		t.Fatalf("install: %+v", up)
	}
	if _, err := adminClient(t, kubeconfig).CoreV1().ConfigMaps(ns).Get(context.Background(), "h-post", metav1.GetOptions{}); err != nil {
		t.Fatalf("post-install hook: %v", err)
	}
	// A render failure on install, on upgrade, and a values schema failure.
	mustFail(t, callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "b", filepath.Join(fixtures, "broken"), nil, nil), 0), KindRender)
	mustResult(t, callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "n", filepath.Join(fixtures, "named-templates"), nil, nil), 0), &up)
	broken := upgradeRequest(kubeconfig, ns, "n", filepath.Join(fixtures, "named-templates"), nil, nil)
	broken["values"] = []ValueSource{{Inline: `{"extra": "{{ fail \"boom\" }}"}`, Origin: "test"}}
	mustFail(t, callMethod(t, "upgrade", broken, 0), KindRender, "boom")
	mustFail(t, callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "s", filepath.Join(fixtures, "schema"), []string{"mode=weird"}, nil), 0), KindSchema)
	var st statusResult
	nRef := map[string]any{"kube": kubeSettings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "n"}
	mustResult(t, callMethod(t, "status", nRef, 0), &st)
	if st.Revision != 1 || st.Status != "deployed" {
		t.Fatalf("a failed render changed the release: %+v", st)
	}
	// An object the API server rejects fails the revision (a release error
	// that says what the release was left as).
	env := callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "n", filepath.Join(fixtures, "named-templates"), []string{"ports[0]=0"}, nil), 0)
	mustFail(t, env, KindRelease, `Service "n-demo" is invalid`)
	if env.Error.Details["status"] != "failed" || env.Error.Details["revision"] != "2" {
		t.Errorf("details: %v", env.Error.Details)
	}
	mustFail(t, callMethod(t, "status", map[string]any{"kube": kubeSettings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "b"}, 0), KindRelease, "not found")
}

// A helm test hook that is a Job (kwok completes Jobs).
func TestClusterReleaseTest(t *testing.T) {
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "test")
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
	var up upgradeResult
	mustResult(t, callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "t", chart, nil, nil), 0), &up)
	if up.Chart != "tested-1.2.3" || up.AppVersion != "4.5" || strings.TrimSpace(up.Notes) != "Thanks for installing t." {
		t.Fatalf("install: %+v", up)
	}
	var res testResult
	mustResult(t, timed(t, "helm test", func() envelopeForTest {
		return callMethod(t, "test", map[string]any{
			"kube": kubeSettings{Kubeconfig: kubeconfig, Namespace: ns}, "release_name": "t", "timeout_seconds": 120,
		}, 0)
	}), &res)
	if !res.Passed || len(res.Hooks) != 1 || res.Hooks[0] != (testHook{Name: "t-smoke", Kind: "Job", Phase: "Succeeded"}) {
		t.Fatalf("test: %+v", res)
	}
}

// A ServiceAccount without RBAC: the error names the verb and resource.
func TestClusterForbiddenNamesVerbAndResource(t *testing.T) {
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "rbac")
	admin := adminClient(t, kubeconfig)
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
	env := callMethod(t, "status", map[string]any{"kube": kubeSettings{Kubeconfig: limited, Namespace: ns}, "release_name": "r"}, 0)
	mustFail(t, env, KindKube, "forbidden", `cannot list resource "secrets"`)
	if env.Error.Details["verb"] != "list" || env.Error.Details["resource"] != "secrets" {
		t.Errorf("details: %v", env.Error.Details)
	}
	t.Logf("forbidden: %s", env.Error.Message)
}
