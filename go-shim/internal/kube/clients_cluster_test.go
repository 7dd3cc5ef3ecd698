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
