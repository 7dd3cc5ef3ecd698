package kube_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/release"
	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// The OpenAPI cache against a real API server (shimtest.ClusterKubeconfig).
// An external test package: the upgrades that fill the cache are release's,
// which imports kube.

func upgradeRequest(kubeconfig, ns, name, chart string, set []string) map[string]any {
	return map[string]any{
		"release_name": name,
		"chart":        chart,
		"overrides":    render.ValueOverrides{Set: set},
		"kube":         kube.Settings{Kubeconfig: kubeconfig, Namespace: ns},
		"options":      map[string]any{},
	}
}

func install(t *testing.T, req map[string]any) {
	t.Helper()
	var up release.UpgradeResult
	shimtest.MustResult(t, shimtest.Call(t, release.Upgrade, req), &up)
	if up.Status != "deployed" {
		t.Fatalf("upgrade: %+v", up)
	}
}

// gvURL is the document URL (with its hash) the server publishes for path,
// "" while it is not published.
func gvURL(t *testing.T, kubeconfig, path string) string {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := dc.OpenAPIV3().Paths()
	if err != nil {
		t.Fatal(err)
	}
	if gv, ok := paths[path]; ok {
		return gv.ServerRelativeURL()
	}
	return ""
}

func TestClusterOpenAPICacheAcrossReleasesAndCRDChanges(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "oapi")

	// A chart with a CRD in crds/, then a custom resource of it in a
	// second release, upgraded twice: after the first, nothing is parsed.
	install(t, upgradeRequest(kubeconfig, ns, "crds", filepath.Join(shimtest.Charts, "crds"), nil))
	waitForStableGVURL(t, kubeconfig, "apis/example.com/v1", "")
	crChart := shimtest.WriteChart(t, "cr", map[string]string{
		"templates/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: {{ .Values.size }}}\n",
		"templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {size: \"{{ .Values.size }}\"}\n",
		"values.yaml":           "size: 1\n",
	})
	install(t, upgradeRequest(kubeconfig, ns, "cr", crChart, nil))
	before := kube.OpenAPIParses()
	for i := 2; i <= 3; i++ {
		install(t, upgradeRequest(kubeconfig, ns, "cr", crChart, []string{fmt.Sprintf("size=%d", i)}))
	}
	if n := kube.OpenAPIParses() - before; n != 0 {
		t.Errorf("upgrades 2 and 3 parsed %d OpenAPI documents, want 0", n)
	}

	// A CRD of our own, with a strict schema, changed by a release: the
	// custom resource using the new field is validated against the new
	// schema (the GroupVersion's hash changes, so its document is re-read).
	group := ns + ".helmfire.test"
	path := "apis/" + group + "/v1"
	t.Cleanup(func() {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err == nil {
			if c, err := apiextclient.NewForConfig(cfg); err == nil {
				_ = c.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), "gadgets."+group, metav1.DeleteOptions{})
			}
		}
	})
	crdChart := shimtest.WriteChart(t, "gadget-crd", map[string]string{
		"templates/crd.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.` + group + `
spec:
  group: ` + group + `
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
{{- if .Values.extra }}
                extra: {type: string}
{{- end }}
`,
		"values.yaml": "extra: false\n",
	})
	gadgetChart := shimtest.WriteChart(t, "gadget", map[string]string{
		"templates/gadget.yaml": "apiVersion: " + group + "/v1\nkind: Gadget\nmetadata: {name: {{ .Release.Name }}}\nspec: {size: 1, extra: x}\n",
	})
	install(t, upgradeRequest(kubeconfig, ns, "gadget-crd", crdChart, nil))
	waitForStableGVURL(t, kubeconfig, path, "")
	shimtest.MustFail(t, shimtest.Call(t, release.Upgrade, upgradeRequest(kubeconfig, ns, "gadget-a", gadgetChart, nil)), fault.KindRelease, ".spec.extra: field not declared in schema")
	gv := schema.GroupVersion{Group: group, Version: "v1"}
	entryURL := func() string { return kube.OpenAPIEntryURL(serverOf(t, kubeconfig), gv) }
	oldURL := entryURL()
	if oldURL == "" {
		t.Fatal("gadget-a's validation did not use the cache")
	}
	before = kube.OpenAPIParses()
	install(t, upgradeRequest(kubeconfig, ns, "gadget-crd", crdChart, []string{"extra=true"}))
	newURL := waitForStableGVURL(t, kubeconfig, path, oldURL)
	install(t, upgradeRequest(kubeconfig, ns, "gadget-b", gadgetChart, nil))
	if n := kube.OpenAPIParses() - before; n == 0 {
		t.Error("the changed schema was not re-parsed")
	}
	if got := entryURL(); got != newURL {
		t.Errorf("cache entry at %q, want %q", got, newURL)
	}
}

// waitForStableGVURL waits until path is published with a URL other than
// old that stays the same for a second (the server may publish a CRD's
// document more than once while it settles).
func waitForStableGVURL(t *testing.T, kubeconfig, path, old string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last, since := "", time.Now()
	for {
		u := gvURL(t, kubeconfig, path)
		if u != last {
			last, since = u, time.Now()
		}
		if u != "" && u != old && time.Since(since) >= time.Second {
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not (re)published", path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func serverOf(t *testing.T, kubeconfig string) string {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Host
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClusterUpgradesOpenAPICache runs 20 sequential upgrades of a
// chart using core, apps and rbac kinds, without and with the cache. Run
// once: go test -run '^$' -bench ClusterUpgradesOpenAPICache -benchtime 1x .
func BenchmarkClusterUpgradesOpenAPICache(b *testing.B) {
	kubeconfig := os.Getenv("HELMFIRE_TEST_KUBECONFIG")
	if kubeconfig == "" {
		b.Skip("HELMFIRE_TEST_KUBECONFIG is not set")
	}
	dir := b.TempDir()
	files := map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"values.yaml":         "n: 0\n",
		"templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\ndata: {n: \"{{ .Values.n }}\"}\n",
		"templates/svc.yaml":  "apiVersion: v1\nkind: Service\nmetadata: {name: {{ .Release.Name }}}\nspec: {ports: [{port: 80}], selector: {app: x}}\n",
		"templates/sa.yaml":   "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: {{ .Release.Name }}}\n",
		"templates/role.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: {{ .Release.Name }}}\nrules: []\n",
		"templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  replicas: 0
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: c, image: "busybox:{{ .Values.n }}"}]}
`,
	}
	for path, body := range files {
		full := filepath.Join(dir, path)
		_ = os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ns := fmt.Sprintf("hf-oapibench-%d", time.Now().Unix()%100000)
	defer func() {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return
		}
		if c, err := kubernetes.NewForConfig(cfg); err == nil {
			_ = c.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		}
	}()
	for _, enabled := range []bool{false, true} {
		name := map[bool]string{false: "uncached", true: "cached"}[enabled]
		b.Run(name, func(b *testing.B) {
			kube.SetOpenAPICache(enabled)
			defer kube.SetOpenAPICache(true)
			for b.Loop() {
				parses := kube.OpenAPIParses()
				start, cpu := time.Now(), cpuTime()
				for i := range 20 {
					req := upgradeRequest(kubeconfig, ns, name, dir, []string{fmt.Sprintf("n=%d", i)})
					if env := shimtest.Call(b, release.Upgrade, req); !env.OK {
						b.Fatalf("upgrade %d: %+v", i, env.Error)
					}
				}
				wall, used := time.Since(start), cpuTime()-cpu
				b.ReportMetric(wall.Seconds(), "wall-s/20upgrades")
				b.ReportMetric(used.Seconds(), "cpu-s/20upgrades")
				b.ReportMetric(float64(kube.OpenAPIParses()-parses), "parses/20upgrades")
			}
		})
	}
}

// Verdicts kept on disk spare a later process the parse: with the
// process-wide cache emptied (as a new process starts), an upgrade reads
// them instead of parsing the documents, and validates as before.
func TestClusterOpenAPIVerdictsOutliveTheProcess(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "oapi-disk")
	kube.KeepOpenAPIVerdictsIn(t.TempDir())
	t.Cleanup(func() { kube.KeepOpenAPIVerdictsIn("") })
	chart := shimtest.WriteChart(t, "disk", map[string]string{
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {size: \"{{ .Values.size }}\"}\n",
		"templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n" +
			"  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n" +
			"    spec: {containers: [{name: c, image: busybox, {{ .Values.field }}: x}]}\n",
		"values.yaml": "size: 1\nfield: name2\n",
	})

	kube.ForgetOpenAPIVerdicts()
	parses := kube.OpenAPIParses()
	// An unknown field fails (the server validates strictly; a verdict
	// read wrongly would have the client validate, which fails too: the
	// verdicts themselves are held by openapi_verdict_store_test.go).
	shimtest.MustFail(t, shimtest.Call(t, release.Upgrade, upgradeRequest(kubeconfig, ns, "r", chart, nil)), fault.KindRelease, "name2")
	install(t, upgradeRequest(kubeconfig, ns, "r", chart, []string{"field=workingDir"}))
	if n := kube.OpenAPIParses() - parses; n == 0 {
		t.Fatal("the first process parsed no OpenAPI document")
	}

	kube.ForgetOpenAPIVerdicts()
	parses, hits := kube.OpenAPIParses(), kube.OpenAPIStoreHits()
	shimtest.MustFail(t, shimtest.Call(t, release.Upgrade, upgradeRequest(kubeconfig, ns, "r", chart, []string{"size=2"})), fault.KindRelease, "name2")
	install(t, upgradeRequest(kubeconfig, ns, "r", chart, []string{"size=3", "field=workingDir"}))
	if n := kube.OpenAPIParses() - parses; n != 0 {
		t.Errorf("the later process parsed %d OpenAPI documents, want 0", n)
	}
	if n := kube.OpenAPIStoreHits() - hits; n == 0 {
		t.Error("the later process read no verdict from disk")
	}
}
