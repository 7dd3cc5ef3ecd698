package lease

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// leaseNamespace creates a namespace of the test's own on the test cluster.
func leaseNamespace(t *testing.T, prefix string) (kubeconfig, ns string) {
	t.Helper()
	kubeconfig = shimtest.ClusterKubeconfig(t)
	ns = shimtest.Namespace(t, kubeconfig, prefix)
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if _, err := shimtest.AdminClient(t, kubeconfig).CoreV1().Namespaces().Create(context.Background(), namespace, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return kubeconfig, ns
}

func start(t *testing.T, kubeconfig, ns, identity string) Handle {
	t.Helper()
	h, err := Start(context.Background(), StartParams{
		Kube: kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}, Name: "helmfire", Identity: identity,
		LeaseSeconds: 4, RenewSeconds: 3, RetrySeconds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = Release(context.Background(), h) })
	return h
}

func waitFor(t *testing.T, what string, limit time.Duration, h Handle, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st, err := StatusOf(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (%+v)", what, limit, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestOneCandidateLeadsAndAReleaseHandsOverAtOnce(t *testing.T) {
	kubeconfig, ns := leaseNamespace(t, "lease")
	a := start(t, kubeconfig, ns, "a")
	waitFor(t, "a leads", 10*time.Second, a, func(s Status) bool { return s.Leading })
	b := start(t, kubeconfig, ns, "b")
	st := waitFor(t, "b sees a lead", 10*time.Second, b, func(s Status) bool { return s.Holder == "a" })
	if st.Leading {
		t.Fatal("two leaders")
	}
	// A releases (SIGTERM): b takes over within its retry period, not after
	// the lease duration.
	released := time.Now()
	if st, err := Release(context.Background(), a); err != nil || st.Lost {
		t.Fatalf("release: %+v %v", st, err)
	}
	waitFor(t, "b leads", 3*time.Second, b, func(s Status) bool { return s.Leading })
	t.Logf("handed over in %s", time.Since(released))
}

func TestALeaderThatCannotRenewStopsLeadingBeforeAnotherMayStart(t *testing.T) {
	kubeconfig, ns := leaseNamespace(t, "lease-lost")
	admin := shimtest.AdminClient(t, kubeconfig)
	a := start(t, kubeconfig, ns, "a")
	waitFor(t, "a leads", 10*time.Second, a, func(s Status) bool { return s.Leading })
	// Someone else takes the Lease behind a's back: a's renewals fail.
	leases := admin.CoordinationV1().Leases(ns)
	lease, err := leases.Get(context.Background(), "helmfire", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	intruder, duration := "intruder", int32(60)
	now := metav1.NewMicroTime(time.Now())
	lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.RenewTime, lease.Spec.AcquireTime = &intruder, &duration, &now, &now
	if _, err := leases.Update(context.Background(), lease, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	st := waitFor(t, "a stops leading", 6*time.Second, a, func(s Status) bool { return s.Ended })
	if !st.Lost || st.Leading {
		t.Fatalf("a lost the lease, and must say so: %+v", st)
	}
}
