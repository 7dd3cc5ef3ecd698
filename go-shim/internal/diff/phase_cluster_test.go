package diff

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// Diffs of one read-only phase share what they read of the cluster's
// shape; a new phase reads it again, so a CRD created between two phases
// (by a hook, say) shows in .Capabilities, and answers equal a lone diff's.
func TestClusterDiffPhaseSharesClusterShape(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "phase")
	group := ns + ".helmfire.test"
	chart := shimtest.WriteChart(t, "caps", map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\n" +
			"data: {crd: \"{{ .Capabilities.APIVersions.Has \"" + group + "/v1\" }}\", size: \"{{ .Values.size }}\"}\n",
		"values.yaml": "size: 1\n",
	})
	request := func(name, phase string, set ...string) map[string]any {
		extra := map[string]any{}
		if phase != "" {
			extra["phase"] = phase
		}
		return diffRequest(kubeconfig, ns, name, chart, set, nil, extra)
	}
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "a", chart, nil, nil))
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "b", chart, nil, nil))

	// One phase: the second release reuses the first's capabilities, and
	// each release's storage query is read once for its two readers.
	before := kube.PhaseReads.Load()
	if res := runDiffFor(t, "a in phase 1", request("a", "one")); len(res.Changes) != 0 || res.Unchanged != 1 {
		t.Fatalf("a: %+v", res)
	}
	changed := runDiffFor(t, "b in phase 1", request("b", "one", "size=2"))
	if summary(changed) != "update:ConfigMap/b" {
		t.Fatalf("b: %+v", changed)
	}
	lone := runDiffFor(t, "b alone", request("b", "", "size=2"))
	if changed.Changes[0].Diff != lone.Changes[0].Diff {
		t.Errorf("phase diff:\n%s\nlone diff:\n%s", changed.Changes[0].Diff, lone.Changes[0].Diff)
	}
	// a: its storage query (the SDK's, after the diff's own); b: the
	// capabilities and its storage query.
	if n := kube.PhaseReads.Load() - before; n < 3 {
		t.Errorf("phase answered %d reads from what it knew, want at least 3", n)
	}

	createCRD(t, kubeconfig, group)
	// The same phase keeps its answer (the caller promised no change)...
	if res := runDiffFor(t, "a in phase 1 after the CRD", request("a", "one")); len(res.Changes) != 0 {
		t.Fatalf("a in phase 1 after the CRD: %+v", res)
	}
	// ...a new phase reads the API groups again, as a lone diff does.
	for _, phase := range []string{"two", ""} {
		res := runDiffFor(t, "a in phase "+phase, request("a", phase))
		if summary(res) != "update:ConfigMap/a" {
			t.Fatalf("a in phase %q after the CRD: %+v", phase, res)
		}
		mustContainLines(t, res.Changes[0].Diff, "-   crd: \"false\"", "+   crd: \"true\"")
	}
}

// createCRD creates a CustomResourceDefinition in group and waits until
// discovery serves it.
func createCRD(t *testing.T, kubeconfig, group string) {
	t.Helper()
	cfg := shimtest.AdminConfig(t, kubeconfig)
	client, err := apiextclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "things." + group},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: group,
			Names: apiextv1.CustomResourceDefinitionNames{Kind: "Thing", Plural: "things", Singular: "thing"},
			Scope: apiextv1.NamespaceScoped,
			Versions: []apiextv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextv1.CustomResourceValidation{OpenAPIV3Schema: &apiextv1.JSONSchemaProps{Type: "object"}},
			}},
		},
	}
	crds := client.ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(context.Background(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = crds.Delete(context.Background(), crd.Name, metav1.DeleteOptions{}) })
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := dc.ServerResourcesForGroupVersion(group + "/v1"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("discovery does not serve %s/v1", group)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// An unchanged object skips its dry run in a later phase (a proof), and
// loses the proof when anything deciding the dry run changes: an admission
// policy (the dry run is refused again), a change made by hand. A Secret
// always gets its dry run.
func TestClusterDiffProofsSkipOnlyProvenDryRuns(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "proofs")
	cacheDir := t.TempDir()
	chart := shimtest.WriteChart(t, "proven", map[string]string{
		"templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {size: \"{{ .Values.size }}\"}\n",
		"templates/svc.yaml":    "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec: {ports: [{port: 80}]}\n",
		"templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: hunter2}\n",
		"values.yaml":           "size: 1\n",
	})
	install(t, shimtest.UpgradeRequest(kubeconfig, ns, "p", chart, nil, nil))
	phase := 0
	diffNow := func(what string) (Result, int64, *fault.Error) {
		phase++
		req := diffRequest(kubeconfig, ns, "p", chart, nil, nil, map[string]any{"phase": fmt.Sprintf("%s-%d", ns, phase), "cache_dir": cacheDir})
		before := dryRunsSkipped.Load()
		res, err := shimtest.Invoke(t, Run, req)
		if res == nil {
			return Result{}, dryRunsSkipped.Load() - before, err
		}
		return *res, dryRunsSkipped.Load() - before, err
	}
	noChange := func(what string, wantSkipped int64) {
		t.Helper()
		res, skipped, err := diffNow(what)
		if err != nil || len(res.Changes) != 0 || res.Unchanged != 3 || skipped != wantSkipped {
			t.Fatalf("%s: %+v, %d dry runs skipped (want %d), error %v", what, res, skipped, wantSkipped, err)
		}
	}
	// A cluster fingerprint is trusted once it has been seen for a while.
	saved := settleTime
	settleTime = 5 * time.Second
	t.Cleanup(func() { settleTime = saved })
	settle := func() { time.Sleep(settleTime + 100*time.Millisecond) }
	noChange("first diff", 0)
	noChange("diff before the fingerprint settled", 0)
	settle()
	noChange("diff that proves", 0)
	noChange("diff that uses the proofs", 2) // the ConfigMap and the Service, not the Secret
	if proofFiles, err := filepath.Glob(filepath.Join(cacheDir, "diff-proofs", "set-*")); err != nil || len(proofFiles) != 1 {
		t.Fatalf("proof files: %v, %v", proofFiles, err)
	}

	// A policy refusing updates of ConfigMaps in the namespace: the proof
	// no longer holds and the dry run says so.
	admin := shimtest.AdminClient(t, kubeconfig)
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: ns},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Update},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
				},
			}}},
			Validations: []admissionv1.Validation{{Expression: "false", Message: "configmaps are frozen in " + ns}},
		},
	}
	deny := admissionv1.Deny
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        ns,
			ValidationActions: []admissionv1.ValidationAction{deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns},
			}},
		},
	}
	policies := admin.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	bindings := admin.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()
	ctx := context.Background()
	if _, err := policies.Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = policies.Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	if _, err := bindings.Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bindings.Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	for deadline := time.Now().Add(30 * time.Second); ; {
		// The policy takes effect once the server has compiled it.
		_, _, err := diffNow("with the policy")
		if err != nil && strings.Contains(err.Error(), "configmaps are frozen") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the diff under a refusing policy did not fail with it; last error: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Settled, the refusal still shows: no dry run under the policy proved
	// anything.
	settle()
	for range 2 {
		if _, _, err := diffNow("with the policy, settled"); err == nil || !strings.Contains(err.Error(), "configmaps are frozen") {
			t.Fatalf("with the policy, settled: %v", err)
		}
	}
	if err := bindings.Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := policies.Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, _, err := diffNow("policy gone"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the diff still fails once the policy is gone: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Back to the conditions of the first proofs: once settled, they hold.
	noChange("after the policy, not settled", 0)
	settle()
	noChange("after the policy", 2)

	// A change by hand: the ConfigMap's proof no longer holds.
	patch := []byte(`{"data":{"size":"9"}}`)
	if _, err := admin.CoreV1().ConfigMaps(ns).Patch(ctx, "cm", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	res, skipped, err := diffNow("after a change by hand")
	if err != nil || summary(res) != "update:ConfigMap/cm" || skipped != 1 {
		t.Fatalf("after a change by hand: %+v, %d skipped, %v", res, skipped, err)
	}
	mustContainLines(t, res.Changes[0].Diff, "-   size: \"9\"", "+   size: \"1\"")
}
