package shimtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Cluster tests run against a real API server, and are skipped unless
// HELMFIRE_TEST_KUBECONFIG names its kubeconfig (scripts/test-cluster
// start DIR prints one). Each test works in a namespace of its own.

// ClusterKubeconfig is the test cluster's kubeconfig; the test is skipped
// without one.
func ClusterKubeconfig(t testing.TB) string {
	t.Helper()
	path := os.Getenv("HELMFIRE_TEST_KUBECONFIG")
	if path == "" {
		t.Skip("HELMFIRE_TEST_KUBECONFIG is not set")
	}
	return path
}

var namespaceSeq atomic.Int64

// Namespace returns a fresh namespace name (created by the first upgrade,
// or by the caller) and deletes it when the test ends.
func Namespace(t testing.TB, kubeconfig, prefix string) string {
	t.Helper()
	ns := fmt.Sprintf("hf-%s-%d-%d", prefix, time.Now().Unix()%100000, namespaceSeq.Add(1))
	t.Cleanup(func() {
		_ = AdminClient(t, kubeconfig).CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	return ns
}

// AdminConfig is the REST config of the kubeconfig's current context.
func AdminConfig(t testing.TB, kubeconfig string) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// AdminClient is a clientset for the kubeconfig's current context.
func AdminClient(t testing.TB, kubeconfig string) kubernetes.Interface {
	t.Helper()
	client, err := kubernetes.NewForConfig(AdminConfig(t, kubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// Kubeconfig writes a kubeconfig for server with the contexts "alpha"
// (the current one, namespace default) and "beta" (no namespace).
func Kubeconfig(t testing.TB, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	body := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: t}
contexts:
- name: alpha
  context: {cluster: c, user: u, namespace: default}
- name: beta
  context: {cluster: c, user: u}
current-context: alpha
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// EmptyAPIServer is an API server that holds nothing: it answers its
// version, lists of Secrets (Helm's release storage) as empty, and 404 to
// anything else. It returns a kubeconfig for it (Kubeconfig's contexts).
// Enough for the release actions to find that a release does not exist.
func EmptyAPIServer(t testing.TB) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/version":
			fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2","platform":"linux/amd64"}`)
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/secrets"):
			fmt.Fprint(w, `{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"%s not found"}`, r.URL.Path)
		}
	}))
	t.Cleanup(srv.Close)
	return Kubeconfig(t, srv.URL)
}

// KubeParams is the "kube" member of a request for a namespace of a
// kubeconfig.
func KubeParams(kubeconfig, ns string) map[string]any {
	return map[string]any{"kubeconfig": kubeconfig, "namespace": ns}
}

// UpgradeRequest is the params of an upgrade of release name from chart,
// with --set values and options.
func UpgradeRequest(kubeconfig, ns, name, chart string, set []string, options map[string]any) map[string]any {
	if options == nil {
		options = map[string]any{}
	}
	return map[string]any{
		"release_name": name,
		"chart":        chart,
		"overrides":    map[string]any{"set": set},
		"kube":         KubeParams(kubeconfig, ns),
		"options":      options,
	}
}

// Timed runs f and logs how long it took.
func Timed(t testing.TB, what string, f func() Envelope) Envelope {
	t.Helper()
	start := time.Now()
	env := f()
	t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
	return env
}
