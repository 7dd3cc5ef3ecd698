package kube

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

func TestSessionsOfOneClusterShareTheirClientsUntilTheKubeconfigChanges(t *testing.T) {
	original := shimtest.ClusterKubeconfig(t)
	data, err := os.ReadFile(original)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, data, 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(namespace string) *Session {
		t.Helper()
		s, err := Open(context.Background(), Settings{Kubeconfig: kubeconfig, Namespace: namespace})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open("one"), open("two")
	if a.getter.shared != b.getter.shared {
		t.Fatal("two sessions of one cluster built their clients twice")
	}
	if a.Namespace != "one" || b.Namespace != "two" {
		t.Fatalf("namespaces %q %q: each session keeps its own", a.Namespace, b.Namespace)
	}
	// Shared by every action of the process, discovery is not throttled
	// on the client as one helm process's is (clients.go).
	if limiter := a.getter.shared.discovery.RESTClient().GetRateLimiter(); limiter != nil {
		t.Fatalf("the shared discovery client is throttled: %T %v QPS", limiter, limiter.QPS())
	}
	if a.RESTConfig() == b.RESTConfig() {
		t.Fatal("sessions must get copies of the REST config, not one they could change for each other")
	}
	// A kubeconfig written again (a rotated token) is read again.
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(kubeconfig, later, later); err != nil {
		t.Fatal(err)
	}
	if c := open("one"); c.getter.shared == a.getter.shared {
		t.Fatal("a changed kubeconfig was not read again")
	}
}

// A limit the user asks for with HELM_QPS is kept.
func TestHelmQPSKeepsDiscoveryThrottled(t *testing.T) {
	data, err := os.ReadFile(shimtest.ClusterKubeconfig(t))
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HELM_QPS", "7")
	s, err := Open(context.Background(), Settings{Kubeconfig: kubeconfig, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if s.getter.shared.discovery.RESTClient().GetRateLimiter() == nil {
		t.Fatal("HELM_QPS is set but the shared discovery client is not throttled")
	}
}
