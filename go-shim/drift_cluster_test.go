package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// The drift method against a real API server (HELMFIRE_TEST_KUBECONFIG, see
// release_cluster_test.go), each test in its own namespace; the last test
// needs no cluster.

func driftRequest(kubeconfig, ns, name string, extra map[string]any) map[string]any {
	req := map[string]any{
		"release_name": name,
		"namespace":    ns,
		"kube":         kubeSettings{Kubeconfig: kubeconfig},
	}
	for k, v := range extra {
		req[k] = v
	}
	return req
}

func runDriftFor(t *testing.T, what string, req map[string]any) driftResult {
	t.Helper()
	var res driftResult
	env := timed(t, "drift "+what, func() envelopeForTest { return callMethod(t, "drift", req, 0) })
	mustResult(t, env, &res)
	t.Logf("drift %s: %s", what, env.Result)
	return res
}

// driftSummary is "state:kind/name" of each object, in order.
func driftSummary(res driftResult) string {
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.State+":"+o.Kind+"/"+o.Name)
	}
	return strings.Join(out, " ")
}

func driftObjectOf(t *testing.T, res driftResult, kind, name string) driftObject {
	t.Helper()
	for _, o := range res.Objects {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no drift of %s %s in %s", kind, name, driftSummary(res))
	return driftObject{}
}

// mustFields checks an object's drifted fields exactly: path, declared,
// live and manager (numbers as JSON decodes them).
func mustFields(t *testing.T, o driftObject, want ...driftField) {
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

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// A server-side apply release: no drift once installed; a hand edit, a
// deletion and an autoscaler's scale show (or not, for ignored managers);
// heal puts them back, sparing the ignored managers' fields, and says
// whose fields it took.
func TestClusterDriftServerSideApplyRelease(t *testing.T) {
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "drift")
	chart := filepath.Join(fixtures, "subchart")
	install(t, upgradeRequest(kubeconfig, ns, "sub", chart, nil, nil))
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
	admin := adminClient(t, kubeconfig)
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
		driftField{Path: "/spec/replicas", Declared: 3.0, Live: 7.0, Manager: "kubectl-edit"},
		driftField{Path: "/spec/template/spec/containers/0/image", Declared: "busybox:1.36", Live: "busybox:1.37", Manager: "kubectl-edit"},
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
		driftField{Path: "/spec/replicas", Declared: 3.0, Live: 9.0, Manager: "autoscaler"},
		driftField{Path: "/spec/template/spec/containers/0/image", Declared: "busybox:1.36", Live: "busybox:1.37", Manager: "kubectl-edit"},
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
	mustFields(t, dep, driftField{Path: "/spec/template/spec/containers/0/image", Declared: "busybox:1.36", Live: "busybox:1.37", Manager: "kubectl-edit"})
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
	if restored.Data["greeting"] != "hello" || restored.Labels[helmManagedByLabel] != "Helm" ||
		restored.Annotations[helmReleaseNameAnno] != "sub" {
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
	mustFields(t, dep, driftField{Path: "/spec/replicas", Declared: 3.0, Live: 9.0, Manager: "autoscaler"})
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
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "driftfail")
	chart := filepath.Join(fixtures, "subchart")
	install(t, upgradeRequest(kubeconfig, ns, "sub", chart, nil, nil))
	if _, err := adminClient(t, kubeconfig).AppsV1().Deployments(ns).Patch(context.Background(), "sub-child", types.MergePatchType,
		[]byte(`{"spec":{"replicas":7}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	// Helm's apply conflicts with the edit: revision 2 fails.
	mustFail(t, callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "sub", chart, []string{"greeting=hi"}, nil), 0), KindRelease, "conflict")
	res := runDriftFor(t, "after a failed upgrade", driftRequest(kubeconfig, ns, "sub", nil))
	if res.Revision != 1 || !strings.Contains(res.Note, "revision 2 is failed") || !strings.Contains(res.Note, "revision 1") {
		t.Fatalf("failed upgrade: %+v", res)
	}
	// The failed revision's ConfigMap change counts as drift from revision 1.
	if driftSummary(res) != "changed:ConfigMap/sub-parent changed:Deployment/sub-child" {
		t.Fatalf("failed upgrade: %s", driftSummary(res))
	}
	mustFields(t, driftObjectOf(t, res, "ConfigMap", "sub-parent"), driftField{Path: "/data/greeting", Declared: "hello", Live: "hi", Manager: "helm"})
	mustFields(t, driftObjectOf(t, res, "Deployment", "sub-child"), driftField{Path: "/spec/replicas", Declared: 3.0, Live: 7.0, Manager: "kubectl-edit"})
}

// A client-side apply release (helm 3's way): drift is Helm's three-way
// merge prediction, and heal is Helm's patch, not a server-side apply.
func TestClusterDriftClientSideApplyRelease(t *testing.T) {
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "driftcsa")
	chart := filepath.Join(fixtures, "named-templates")
	install(t, upgradeRequest(kubeconfig, ns, "web", chart, nil, map[string]any{"server_side": "false"}))
	req := func(extra map[string]any) map[string]any { return driftRequest(kubeconfig, ns, "web", extra) }
	if res := runDriftFor(t, "csa fresh", req(nil)); len(res.Objects) != 0 || res.Checked != 1 {
		t.Fatalf("csa fresh: %+v", res)
	}
	ctx := context.Background()
	admin := adminClient(t, kubeconfig)
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
		driftField{Path: "/metadata/annotations/rendered", Declared: "web-from-tpl", Live: "edited by hand", Manager: "kubectl-edit"},
		driftField{Path: "/metadata/labels/tier", Declared: "backend", Live: nil},
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
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "driftsec")
	install(t, upgradeRequest(kubeconfig, ns, "f", filepath.Join(fixtures, "files"), nil, nil))
	hacked := base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hacked\n"))
	if _, err := adminClient(t, kubeconfig).CoreV1().Secrets(ns).Patch(context.Background(), "f-scripts", types.MergePatchType,
		[]byte(`{"data":{"start.sh":"`+hacked+`"}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	env := callMethod(t, "drift", driftRequest(kubeconfig, ns, "f", nil), 0)
	var res driftResult
	mustResult(t, env, &res)
	if driftSummary(res) != "changed:Secret/f-scripts" {
		t.Fatalf("secret drift: %s", driftSummary(res))
	}
	mustFields(t, res.Objects[0], driftField{Path: "/data/start.sh", Declared: "REDACTED # (23 bytes)", Live: "REDACTED # (22 bytes)", Manager: "kubectl-edit"})
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
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "drifterr")
	mustFail(t, callMethod(t, "drift", driftRequest(kubeconfig, ns, "nope", nil), 0), KindRelease, `"nope"`, ns)
	const callID = 7_101
	calls.cancel(callID) // before the call: it starts cancelled
	mustFail(t, callMethod(t, "drift", driftRequest(kubeconfig, ns, "nope", nil), callID), KindCancelled)
	mustFail(t, callMethod(t, "drift", driftRequest(kubeconfig, ns, "nope", map[string]any{"surprise": 1}), 0), KindBadRequest, "surprise")
	mustFail(t, callMethod(t, "drift", driftRequest(kubeconfig, ns, "nope", map[string]any{"kube": kubeSettings{Kubeconfig: kubeconfig, Namespace: "other"}}), 0),
		KindBadRequest, "differ")
}

// Ownership without a cluster: list items are found by their merge key, a
// field owned atomically is owned whole, and a spared field is stripped.
func TestDriftFieldOwnership(t *testing.T) {
	live := &unstructured.Unstructured{}
	if err := json.Unmarshal([]byte(`{
	  "apiVersion": "apps/v1", "kind": "Deployment",
	  "metadata": {"name": "d", "managedFields": [
	    {"manager": "helm", "operation": "Apply", "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
	     "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
	       "k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:image": {}, "f:args": {}},
	       "k:{\"name\":\"b\"}": {".": {}, "f:name": {}}}}}}}},
	    {"manager": "kubectl-edit", "operation": "Update", "time": "2024-01-02T00:00:00Z", "fieldsType": "FieldsV1",
	     "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
	       "k:{\"name\":\"b\"}": {"f:image": {}}}}}}}}]},
	  "spec": {"template": {"spec": {"containers": [
	    {"name": "a", "image": "x", "args": ["1", "2"]},
	    {"name": "b", "image": "y"}]}}}}`), &live.Object); err != nil {
		t.Fatal(err)
	}
	o := parseOwnership(live)
	owners := func(segments ...any) []string {
		path, complete := o.resolve(segments, live.Object)
		return o.ownersOf(path, complete)
	}
	for _, c := range []struct {
		segments []any
		want     []string
	}{
		{[]any{"spec", "template", "spec", "containers", 1, "image"}, []string{"kubectl-edit"}},
		{[]any{"spec", "template", "spec", "containers", 0, "image"}, []string{"helm"}},
		{[]any{"spec", "template", "spec", "containers", 0, "args", 1}, []string{"helm"}}, // atomic
		{[]any{"spec", "template", "spec", "containers", 0, "env"}, nil},
		{[]any{"spec", "replicas"}, nil},
	} {
		if got := owners(c.segments...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: owners %v, want %v", jsonPointer(c.segments), got, c.want)
		}
	}
	if p := jsonPointer([]any{"metadata", "annotations", "meta.helm.sh/release-name", "a~b"}); p != "/metadata/annotations/meta.helm.sh~1release-name/a~0b" {
		t.Errorf("pointer %s", p)
	}

	path, _ := o.resolve([]any{"spec", "template", "spec", "containers", 1, "image"}, live.Object)
	obj := stripField(live.DeepCopy().Object, path).(map[string]any)
	containers, _ := valueAt(obj, []any{"spec", "template", "spec", "containers"})
	if want := []any{map[string]any{"name": "a", "image": "x", "args": []any{"1", "2"}}, map[string]any{"name": "b"}}; !reflect.DeepEqual(containers, want) {
		t.Errorf("stripped: %v", containers)
	}

	var leaves []driftLeaf
	diffTree(nil, map[string]any{"l": []any{"a", "b"}, "m": map[string]any{"x": 1}, "same": "s"},
		map[string]any{"l": []any{"a"}, "m": map[string]any{"x": 2, "y": 3}, "same": "s"}, &leaves)
	var got []string
	for _, l := range leaves {
		got = append(got, jsonPointer(l.segments))
	}
	if want := []string{"/l", "/m/x", "/m/y"}; !reflect.DeepEqual(got, want) {
		t.Errorf("leaves %v, want %v", got, want)
	}
}

// A field is ignored only when ignored managers alone own it: a list
// reported whole whose other items Helm owns is not left out of a heal.
func TestDriftIgnoredOnlyWhenOwnedByIgnoredManagersAlone(t *testing.T) {
	c := &driftChecker{ignore: []string{"autoscaler"}}
	for _, tc := range []struct {
		managers []string
		want     bool
	}{
		{nil, false},
		{[]string{"autoscaler"}, true},
		{[]string{"autoscaler", "helm"}, false},
		{[]string{"kubectl-edit"}, false},
	} {
		if got := c.ignored(tc.managers); got != tc.want {
			t.Errorf("ignored(%v) = %v", tc.managers, got)
		}
	}
}
