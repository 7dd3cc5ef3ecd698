package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/openapi"
	"k8s.io/client-go/tools/clientcmd"
)

// fakeGV is an OpenAPI v3 GroupVersion document whose fetches are counted.
type fakeGV struct {
	url     string
	body    string
	fetches *atomic.Int64
}

func (g fakeGV) Schema(string) ([]byte, error) { g.fetches.Add(1); return []byte(g.body), nil }
func (g fakeGV) ServerRelativeURL() string     { return g.url }

type fakeOpenAPI struct {
	mu    sync.Mutex
	paths map[string]openapi.GroupVersion
}

func (c *fakeOpenAPI) Paths() (map[string]openapi.GroupVersion, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths, nil
}

// widgetDoc is a minimal apis/example.com/v1 document: Widget's PATCH takes
// fieldValidation when withParam is set.
func widgetDoc(withParam bool) string {
	params := `[]`
	if withParam {
		params = `[{"name":"fieldValidation","in":"query","schema":{"type":"string"}}]`
	}
	return `{"openapi":"3.0.0","info":{"title":"t","version":"v"},"paths":{` +
		`"/apis/example.com/v1/namespaces/{namespace}/widgets/{name}":{"patch":{` +
		`"x-kubernetes-group-version-kind":{"group":"example.com","version":"v1","kind":"Widget"},` +
		`"parameters":` + params + `}}}}`
}

func TestOpenAPIVerdictCacheKeying(t *testing.T) {
	widget := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	var fetches atomic.Int64
	client := &fakeOpenAPI{paths: map[string]openapi.GroupVersion{
		"apis/example.com/v1": fakeGV{url: "/openapi/v3/apis/example.com/v1?hash=A", body: widgetDoc(true), fetches: &fetches},
	}}
	cache := newVerdictCache()
	verifier := func(server string) resource.Verifier {
		return &sharedVerifierV3{server: server, client: client, cache: cache}
	}
	kubectl := func() resource.Verifier {
		return resource.NewQueryParamVerifierV3(nil, client, resource.QueryParamFieldValidation)
	}
	parses := openAPIParses.Load()
	check := func(what string, server string, wantParses, wantFetches int64) {
		t.Helper()
		got := verifier(server).HasSupport(widget)
		want := kubectl().HasSupport(widget) // the uncached answer
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: got %v, kubectl says %v", what, got, want)
		}
		if n := openAPIParses.Load() - parses; n != wantParses {
			t.Errorf("%s: %d parses, want %d", what, n, wantParses)
		}
		fetches.Add(-1) // kubectl's own fetch
		if n := fetches.Load(); n != wantFetches {
			t.Errorf("%s: %d fetches, want %d", what, n, wantFetches)
		}
	}
	check("first", "https://a", 1, 1)
	check("same hash", "https://a", 1, 1)
	check("same hash again", "https://a", 1, 1)
	check("other server", "https://b", 2, 2)

	// The schema changes (a CRD edited): new hash, PATCH loses the param.
	client.mu.Lock()
	client.paths = map[string]openapi.GroupVersion{
		"apis/example.com/v1": fakeGV{url: "/openapi/v3/apis/example.com/v1?hash=B", body: widgetDoc(false), fetches: &fetches},
	}
	client.mu.Unlock()
	check("new hash", "https://a", 3, 3)
	if err := verifier("https://a").HasSupport(widget); !resource.IsParamUnsupportedError(err) {
		t.Fatalf("after the change: %v", err)
	}
	check("new hash reused", "https://a", 3, 3)

	// One entry per server and GroupVersion, holding the newest hash.
	if n := len(cache.entries); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
	if e := cache.entries[verdictKey{"https://a", widget.GroupVersion()}]; !strings.HasSuffix(e.url, "hash=B") || len(e.verdicts) != 1 {
		t.Errorf("entry: %+v", e)
	}

	// Concurrent askers of a new document parse it once.
	client.mu.Lock()
	client.paths = map[string]openapi.GroupVersion{
		"apis/example.com/v1": fakeGV{url: "/openapi/v3/apis/example.com/v1?hash=C", body: widgetDoc(true), fetches: &fetches},
	}
	client.mu.Unlock()
	before := openAPIParses.Load()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := verifier("https://a").HasSupport(widget); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := openAPIParses.Load() - before; n != 1 {
		t.Errorf("%d parses for 8 concurrent askers, want 1", n)
	}

	// A GroupVersion the server does not publish is not cached.
	gadget := schema.GroupVersionKind{Group: "other.com", Version: "v1", Kind: "Gadget"}
	v := &sharedVerifierV3{server: "https://a", client: client, cache: cache,
		finder: resource.NewCRDFinder(func() ([]schema.GroupKind, error) { return nil, nil })}
	if err := v.HasSupport(gadget); !resource.IsParamUnsupportedError(err) {
		t.Errorf("unpublished GV without a CRD: %v", err)
	}
	if _, ok := cache.entries[verdictKey{"https://a", gadget.GroupVersion()}]; ok {
		t.Error("unpublished GV cached")
	}
}

// --- cluster tests ---

func writeChart(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	files["Chart.yaml"] = "apiVersion: v2\nname: " + name + "\nversion: 0.1.0\n"
	for path, body := range files {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
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
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "oapi")

	// A chart with a CRD in crds/, then a custom resource of it in a
	// second release, upgraded twice: after the first, nothing is parsed.
	install(t, upgradeRequest(kubeconfig, ns, "crds", filepath.Join(fixtures, "crds"), nil, nil))
	waitForStableGVURL(t, kubeconfig, "apis/example.com/v1", "")
	crChart := writeChart(t, "cr", map[string]string{
		"templates/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: {{ .Values.size }}}\n",
		"templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {size: \"{{ .Values.size }}\"}\n",
		"values.yaml":           "size: 1\n",
	})
	install(t, upgradeRequest(kubeconfig, ns, "cr", crChart, nil, nil))
	before := openAPIParses.Load()
	for i := 2; i <= 3; i++ {
		install(t, upgradeRequest(kubeconfig, ns, "cr", crChart, []string{fmt.Sprintf("size=%d", i)}, nil))
	}
	if n := openAPIParses.Load() - before; n != 0 {
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
	crdChart := writeChart(t, "gadget-crd", map[string]string{
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
	gadgetChart := writeChart(t, "gadget", map[string]string{
		"templates/gadget.yaml": "apiVersion: " + group + "/v1\nkind: Gadget\nmetadata: {name: {{ .Release.Name }}}\nspec: {size: 1, extra: x}\n",
	})
	install(t, upgradeRequest(kubeconfig, ns, "gadget-crd", crdChart, nil, nil))
	waitForStableGVURL(t, kubeconfig, path, "")
	mustFail(t, callMethod(t, "upgrade", upgradeRequest(kubeconfig, ns, "gadget-a", gadgetChart, nil, nil), 0), KindRelease, ".spec.extra: field not declared in schema")
	entry := openAPIVerdicts.entry(verdictKey{server: serverOf(t, kubeconfig), gv: schema.GroupVersion{Group: group, Version: "v1"}})
	entryURL := func() string {
		entry.mu.Lock()
		defer entry.mu.Unlock()
		return entry.url
	}
	oldURL := entryURL()
	if oldURL == "" {
		t.Fatal("gadget-a's validation did not use the cache")
	}
	before = openAPIParses.Load()
	install(t, upgradeRequest(kubeconfig, ns, "gadget-crd", crdChart, []string{"extra=true"}, nil))
	newURL := waitForStableGVURL(t, kubeconfig, path, oldURL)
	install(t, upgradeRequest(kubeconfig, ns, "gadget-b", gadgetChart, nil, nil))
	if n := openAPIParses.Load() - before; n == 0 {
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
			openAPICacheEnabled.Store(enabled)
			defer openAPICacheEnabled.Store(true)
			for b.Loop() {
				parses := openAPIParses.Load()
				start, cpu := time.Now(), cpuTime()
				for i := range 20 {
					raw := fmt.Sprintf(`{"method":"upgrade","params":{"release_name":"%s","chart":%q,"kube":{"kubeconfig":%q,"namespace":%q},"overrides":{"set":["n=%d"]},"options":{}}}`,
						name, dir, kubeconfig, ns, i)
					var env envelopeForTest
					if err := json.Unmarshal(dispatchGuarded([]byte(raw), 0), &env); err != nil || !env.OK {
						b.Fatalf("upgrade %d: %v %+v", i, err, env.Error)
					}
				}
				wall, used := time.Since(start), cpuTime()-cpu
				b.ReportMetric(wall.Seconds(), "wall-s/20upgrades")
				b.ReportMetric(used.Seconds(), "cpu-s/20upgrades")
				b.ReportMetric(float64(openAPIParses.Load()-parses), "parses/20upgrades")
			}
		})
	}
}
