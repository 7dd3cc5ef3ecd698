package drift

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/release"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// The drift method against a real API server (shimtest.ClusterKubeconfig),
// each test in its own namespace.

func driftRequest(kubeconfig, ns, name string, extra map[string]any) map[string]any {
	req := map[string]any{
		"release_name": name,
		"namespace":    ns,
		"kube":         kube.Settings{Kubeconfig: kubeconfig},
	}
	for k, v := range extra {
		req[k] = v
	}
	return req
}

func runDriftFor(t *testing.T, what string, req map[string]any) Result {
	t.Helper()
	var res Result
	env := shimtest.Timed(t, "drift "+what, func() shimtest.Envelope { return shimtest.Call(t, Run, req) })
	shimtest.MustResult(t, env, &res)
	t.Logf("drift %s: %s", what, env.Result)
	return res
}

// driftSummary is "state:kind/name" of each object, in order.
func driftSummary(res Result) string {
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.State+":"+o.Kind+"/"+o.Name)
	}
	return strings.Join(out, " ")
}

func driftObjectOf(t *testing.T, res Result, kind, name string) Object {
	t.Helper()
	for _, o := range res.Objects {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no drift of %s %s in %s", kind, name, driftSummary(res))
	return Object{}
}

// mustFields checks an object's drifted fields exactly: path, declared,
// live and manager (numbers as JSON decodes them).
func mustFields(t *testing.T, o Object, want ...Field) {
	t.Helper()
	if !reflect.DeepEqual(o.Fields, want) {
		t.Errorf("%s %s fields:\n got  %+v\n want %+v", o.Kind, o.Name, o.Fields, want)
	}
}

func dynamicClient(t *testing.T, kubeconfig string) dynamic.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func install(t *testing.T, req map[string]any) {
	t.Helper()
	var up release.UpgradeResult
	shimtest.MustResult(t, shimtest.Call(t, release.Upgrade, req), &up)
	if up.Status != "deployed" {
		t.Fatalf("upgrade: %+v", up)
	}
}

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// A server-side apply release: no drift once installed; a hand edit, a
// deletion and an autoscaler's scale show (or not, for ignored managers);
// heal puts them back, sparing the ignored managers' fields, and says
// whose fields it took.
func TestClusterDriftServerSideApplyRelease(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "drift")
	chart := filepath.Join(shimtest.Charts, "subchart")
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "sub", chart, nil, nil))
	req := func(extra map[string]any) map[string]any { return driftRequest(kubeconfig, ns, "sub", extra) }

	res := runDriftFor(t, "fresh release", req(nil))
	if len(res.Objects) != 0 || res.Checked != 2 || res.Revision != 1 || res.Release != "sub" || res.Namespace != ns || res.Note != "" {
		t.Fatalf("fresh release: %+v", res)
	}

	// By hand: replicas and the image edited, a label added (a field the
	// release does not declare: not drift), the ConfigMap deleted.
	ctx := context.Background()
	dyn := dynamicClient(t, kubeconfig)
	if _, err := dyn.Resource(deploymentsGVR).Namespace(ns).Patch(ctx, "sub-child", types.StrategicMergePatchType,
		[]byte(`{"metadata":{"labels":{"edited":"yes"}},"spec":{"replicas":7,"template":{"spec":{"containers":[{"name":"c","image":"busybox:1.37"}]}}}}`),
		metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	admin := shimtest.AdminClient(t, kubeconfig)
	if err := admin.CoreV1().ConfigMaps(ns).Delete(ctx, "sub-parent", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	res = runDriftFor(t, "edited", req(nil))
	if driftSummary(res) != "deleted:ConfigMap/sub-parent changed:Deployment/sub-child" || res.Checked != 2 {
		t.Fatalf("edited: %s", driftSummary(res))
	}
	cm := driftObjectOf(t, res, "ConfigMap", "sub-parent")
	if cm.APIVersion != "v1" || cm.Namespace != ns || len(cm.Fields) != 0 || cm.Healed {
		t.Errorf("deleted: %+v", cm)
	}
	dep := driftObjectOf(t, res, "Deployment", "sub-child")
	if dep.APIVersion != "apps/v1" || dep.Namespace != ns || dep.Healed || len(dep.TakenFrom) != 0 {
		t.Errorf("changed: %+v", dep)
	}
	mustFields(t, dep,
		Field{Path: "/spec/replicas", Declared: 3.0, Live: 7.0, Manager: "kubectl-edit"},
		Field{Path: "/spec/template/spec/containers/0/image", Declared: "busybox:1.36", Live: "busybox:1.37", Manager: "kubectl-edit"},
	)

	// The editor's fields ignored: only the deletion is left.
	res = runDriftFor(t, "ignoring kubectl-edit", req(map[string]any{"ignore_managers": []string{"kubectl-edit"}}))
	if driftSummary(res) != "deleted:ConfigMap/sub-parent" {
		t.Fatalf("ignoring kubectl-edit: %s", driftSummary(res))
	}

	// An autoscaler scales through the scale subresource: replicas are its.
	if _, err := admin.AppsV1().Deployments(ns).Patch(ctx, "sub-child", types.MergePatchType, []byte(`{"spec":{"replicas":9}}`),
		metav1.PatchOptions{FieldManager: "autoscaler"}, "scale"); err != nil {
		t.Fatal(err)
	}
	res = runDriftFor(t, "scaled", req(nil))
	mustFields(t, driftObjectOf(t, res, "Deployment", "sub-child"),
		Field{Path: "/spec/replicas", Declared: 3.0, Live: 9.0, Manager: "autoscaler"},
		Field{Path: "/spec/template/spec/containers/0/image", Declared: "busybox:1.36", Live: "busybox:1.37", Manager: "kubectl-edit"},
	)

	// Heal, the autoscaler ignored: the image and the ConfigMap come back,
	// the replicas stay the autoscaler's.
	res = runDriftFor(t, "heal", req(map[string]any{"heal": true, "ignore_managers": []string{"autoscaler"}}))
	if driftSummary(res) != "deleted:ConfigMap/sub-parent changed:Deployment/sub-child" {
		t.Fatalf("heal: %s", driftSummary(res))
	}
	for _, o := range res.Objects {
		if !o.Healed || o.HealError != "" {
			t.Errorf("not healed: %+v", o)
		}
	}
	dep = driftObjectOf(t, res, "Deployment", "sub-child")
	if !reflect.DeepEqual(dep.TakenFrom, []string{"kubectl-edit"}) {
		t.Errorf("taken from: %v", dep.TakenFrom)
	}
	mustFields(t, dep, Field{Path: "/spec/template/spec/containers/0/image", Declared: "busybox:1.36", Live: "busybox:1.37", Manager: "kubectl-edit"})
	live, err := admin.AppsV1().Deployments(ns).Get(ctx, "sub-child", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if image := live.Spec.Template.Spec.Containers[0].Image; image != "busybox:1.36" || *live.Spec.Replicas != 9 || live.Labels["edited"] != "yes" {
		t.Errorf("after heal: image %s, replicas %d, labels %v", image, *live.Spec.Replicas, live.Labels)
	}
	restored, err := admin.CoreV1().ConfigMaps(ns).Get(ctx, "sub-parent", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the ConfigMap is not back: %v", err)
	}
	if restored.Data["greeting"] != "hello" || restored.Labels["app.kubernetes.io/managed-by"] != "Helm" ||
		restored.Annotations["meta.helm.sh/release-name"] != "sub" {
		t.Errorf("restored ConfigMap: %+v", restored.ObjectMeta)
	}

	res = runDriftFor(t, "healed, autoscaler ignored", req(map[string]any{"ignore_managers": []string{"autoscaler"}}))
	if len(res.Objects) != 0 {
		t.Fatalf("healed: %s", driftSummary(res))
	}
	// Heal without ignoring it takes the replicas back too.
	res = runDriftFor(t, "heal the replicas", req(map[string]any{"heal": true}))
	dep = driftObjectOf(t, res, "Deployment", "sub-child")
	if driftSummary(res) != "changed:Deployment/sub-child" || !dep.Healed || !reflect.DeepEqual(dep.TakenFrom, []string{"autoscaler"}) {
		t.Fatalf("heal the replicas: %+v", res)
	}
	mustFields(t, dep, Field{Path: "/spec/replicas", Declared: 3.0, Live: 9.0, Manager: "autoscaler"})
	res = runDriftFor(t, "all healed", req(nil))
	if len(res.Objects) != 0 || res.Checked != 2 {
		t.Fatalf("all healed: %s", driftSummary(res))
	}
	if live, err = admin.AppsV1().Deployments(ns).Get(ctx, "sub-child", metav1.GetOptions{}); err != nil || *live.Spec.Replicas != 3 {
		t.Fatalf("replicas after heal: %v %v", err, live.Spec.Replicas)
	}
}

// A failed upgrade leaves the last deployed revision the one compared,
// and the result says so.
func TestClusterDriftAfterAFailedUpgrade(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "driftfail")
	chart := filepath.Join(shimtest.Charts, "subchart")
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "sub", chart, nil, nil))
	if _, err := shimtest.AdminClient(t, kubeconfig).AppsV1().Deployments(ns).Patch(context.Background(), "sub-child", types.MergePatchType,
		[]byte(`{"spec":{"replicas":7}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	// Helm's apply conflicts with the edit: revision 2 fails.
	shimtest.MustFail(t, shimtest.Call(t, release.Upgrade, shimtest.UpgradeRequest(kubeconfig, ns, "sub", chart, []string{"greeting=hi"}, nil)), fault.KindRelease, "conflict")
	res := runDriftFor(t, "after a failed upgrade", driftRequest(kubeconfig, ns, "sub", nil))
	if res.Revision != 1 || !strings.Contains(res.Note, "revision 2 is failed") || !strings.Contains(res.Note, "revision 1") {
		t.Fatalf("failed upgrade: %+v", res)
	}
	// The failed revision's ConfigMap change counts as drift from revision 1.
	if driftSummary(res) != "changed:ConfigMap/sub-parent changed:Deployment/sub-child" {
		t.Fatalf("failed upgrade: %s", driftSummary(res))
	}
	mustFields(t, driftObjectOf(t, res, "ConfigMap", "sub-parent"), Field{Path: "/data/greeting", Declared: "hello", Live: "hi", Manager: "helm"})
	mustFields(t, driftObjectOf(t, res, "Deployment", "sub-child"), Field{Path: "/spec/replicas", Declared: 3.0, Live: 7.0, Manager: "kubectl-edit"})
}

// A client-side apply release (helm 3's way): drift is Helm's three-way
// merge prediction, and heal is Helm's patch, not a server-side apply.
func TestClusterDriftClientSideApplyRelease(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "driftcsa")
	chart := filepath.Join(shimtest.Charts, "named-templates")
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "web", chart, nil, map[string]any{"server_side": "false"}))
	req := func(extra map[string]any) map[string]any { return driftRequest(kubeconfig, ns, "web", extra) }
	if res := runDriftFor(t, "csa fresh", req(nil)); len(res.Objects) != 0 || res.Checked != 1 {
		t.Fatalf("csa fresh: %+v", res)
	}
	ctx := context.Background()
	admin := shimtest.AdminClient(t, kubeconfig)
	if _, err := admin.CoreV1().Services(ns).Patch(ctx, "web-demo", types.MergePatchType,
		[]byte(`{"metadata":{"annotations":{"rendered":"edited by hand"},"labels":{"tier":null}}}`),
		metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	res := runDriftFor(t, "csa edited", req(nil))
	if driftSummary(res) != "changed:Service/web-demo" {
		t.Fatalf("csa edited: %s", driftSummary(res))
	}
	mustFields(t, res.Objects[0],
		Field{Path: "/metadata/annotations/rendered", Declared: "web-from-tpl", Live: "edited by hand", Manager: "kubectl-edit"},
		Field{Path: "/metadata/labels/tier", Declared: "backend", Live: nil},
	)
	res = runDriftFor(t, "csa heal", req(map[string]any{"heal": true}))
	if o := res.Objects[0]; !o.Healed || !reflect.DeepEqual(o.TakenFrom, []string{"kubectl-edit"}) {
		t.Fatalf("csa heal: %+v", o)
	}
	svc, err := admin.CoreV1().Services(ns).Get(ctx, "web-demo", metav1.GetOptions{})
	if err != nil || svc.Annotations["rendered"] != "web-from-tpl" || svc.Labels["tier"] != "backend" {
		t.Fatalf("csa healed: %v %v %v", err, svc.Annotations, svc.Labels)
	}
	for _, entry := range svc.ManagedFields {
		if entry.Operation == metav1.ManagedFieldsOperationApply {
			t.Errorf("heal of a client-side release applied server-side: %+v", entry)
		}
	}
	if res := runDriftFor(t, "csa healed", req(nil)); len(res.Objects) != 0 {
		t.Fatalf("csa healed: %s", driftSummary(res))
	}
}

// Secret values never show unless asked.
func TestClusterDriftSecretIsRedacted(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "driftsec")
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "f", filepath.Join(shimtest.Charts, "files"), nil, nil))
	hacked := base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hacked\n"))
	if _, err := shimtest.AdminClient(t, kubeconfig).CoreV1().Secrets(ns).Patch(context.Background(), "f-scripts", types.MergePatchType,
		[]byte(`{"data":{"start.sh":"`+hacked+`"}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	env := shimtest.Call(t, Run, driftRequest(kubeconfig, ns, "f", nil))
	var res Result
	shimtest.MustResult(t, env, &res)
	if driftSummary(res) != "changed:Secret/f-scripts" {
		t.Fatalf("secret drift: %s", driftSummary(res))
	}
	mustFields(t, res.Objects[0], Field{Path: "/data/start.sh", Declared: "REDACTED # (23 bytes)", Live: "REDACTED # (22 bytes)", Manager: "kubectl-edit"})
	for _, leak := range []string{hacked, "hacked", "IyEv"} {
		if strings.Contains(string(env.Result), leak) {
			t.Errorf("the result shows a secret value (%q): %s", leak, env.Result)
		}
	}
	res = runDriftFor(t, "show secrets", driftRequest(kubeconfig, ns, "f", map[string]any{"show_secrets": true}))
	if f := res.Objects[0].Fields[0]; f.Live != hacked || !strings.HasPrefix(f.Declared.(string), "IyEv") {
		t.Fatalf("show secrets: %+v", f)
	}
}

// A missing release, a cancelled call and a wrong request keep their kinds.
func TestClusterDriftErrors(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "drifterr")
	shimtest.MustFail(t, shimtest.Call(t, Run, driftRequest(kubeconfig, ns, "nope", nil)), fault.KindReleaseNotFound, `"nope"`, ns)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel() // before the call: it starts cancelled
	shimtest.MustFail(t, shimtest.CallContext(t, cancelled, Run, driftRequest(kubeconfig, ns, "nope", nil)), fault.KindCancelled)
	shimtest.MustFail(t, shimtest.Call(t, Run, driftRequest(kubeconfig, ns, "nope", map[string]any{"surprise": 1})), fault.KindBadRequest, "surprise")
	shimtest.MustFail(t, shimtest.Call(t, Run, driftRequest(kubeconfig, ns, "nope", map[string]any{"kube": kube.Settings{Kubeconfig: kubeconfig, Namespace: "other"}})),
		fault.KindBadRequest, "differ")
}
