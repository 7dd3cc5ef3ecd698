package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// storageAnswers is what Helm's storage says of each release (Last,
// History, Deployed), as text to compare.
func storageAnswers(t *testing.T, s *Session, releases []string) string {
	t.Helper()
	var b strings.Builder
	describe := func(r any, err error) string {
		if err != nil {
			return "error " + err.Error()
		}
		rel, err := ToV1(r)
		if err != nil || rel == nil {
			return fmt.Sprintf("none %v", err)
		}
		return fmt.Sprintf("%s v%d %s", rel.Name, rel.Version, rel.Info.Status)
	}
	for _, name := range releases {
		last, err := s.Config.Releases.Last(name)
		fmt.Fprintf(&b, "%s last: %s\n", name, describe(last, err))
		deployed, err := s.Config.Releases.Deployed(name)
		fmt.Fprintf(&b, "%s deployed: %s\n", name, describe(deployed, err))
		history, err := s.Config.Releases.History(name)
		var revisions []string
		for _, r := range history {
			revisions = append(revisions, describe(r, nil))
		}
		slices.Sort(revisions)
		fmt.Fprintf(&b, "%s history: %v %v\n", name, revisions, err)
	}
	return b.String()
}

// A read-only phase reads a namespace's release storage once for all its
// releases, and answers each query as the API server would have; a
// namespace with more release Secrets than the limit is asked release by
// release instead.
func TestClusterPhaseReadsANamespacesReleaseStorageOnce(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "hist")
	other := shimtest.Namespace(t, kubeconfig, "hist-other")
	for _, namespace := range []string{ns, other} {
		object := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
		if _, err := shimtest.AdminClient(t, kubeconfig).CoreV1().Namespaces().Create(context.Background(), object, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	open := func(namespace, phase string) *Session {
		t.Helper()
		s, err := Open(context.Background(), Settings{Kubeconfig: kubeconfig, Namespace: namespace, Phase: phase})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	store := func(namespace, name string, version int, status rcommon.Status) {
		t.Helper()
		rel := &releasev1.Release{
			Name: name, Namespace: namespace, Version: version,
			Info:  &releasev1.Info{Status: status},
			Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "c", Version: "1.0.0"}},
		}
		if err := open(namespace, "").Config.Releases.Create(rel); err != nil {
			t.Fatal(err)
		}
	}
	store(ns, "a", 1, rcommon.StatusSuperseded)
	store(ns, "a", 2, rcommon.StatusDeployed)
	store(ns, "b", 1, rcommon.StatusDeployed)
	store(ns, "c", 1, rcommon.StatusFailed)
	store(ns, "d", 1, rcommon.StatusFailed)
	store(ns, "d", 2, rcommon.StatusDeployed)
	store(ns, "d", 3, rcommon.StatusPendingUpgrade)
	store(other, "a", 1, rcommon.StatusPendingInstall)
	// A Secret with a release's labels but not Helm's owner label is never
	// an answer.
	notHelm := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"name": "a", "status": "deployed"}}}
	if _, err := shimtest.AdminClient(t, kubeconfig).CoreV1().Secrets(ns).Create(context.Background(), notHelm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// b first: it is answered by its own reads, a (the first with several
	// revisions) by the namespace-wide one.
	saved := namespaceHistoryAfter
	namespaceHistoryAfter = 2
	t.Cleanup(func() { namespaceHistoryAfter = saved })
	releases := []string{"b", "a", "c", "d", "missing"}
	want := storageAnswers(t, open(ns, ""), releases)
	wantOther := storageAnswers(t, open(other, ""), releases)
	if !strings.Contains(want, "a last: a v2 deployed") || !strings.Contains(wantOther, "a last: a v1 pending-install") {
		t.Fatalf("the releases were not stored as meant:\n%s\n%s", want, wantOther)
	}

	phase := func(name string) (answers, otherAnswers string) {
		t.Helper()
		// One session per release, as the diffs of a phase open them.
		for _, release := range releases {
			answers += storageAnswers(t, open(ns, name), []string{release})
		}
		otherAnswers = storageAnswers(t, open(other, name), releases)
		return answers, otherAnswers
	}
	lists, tooLarge, own := NamespaceHistoryLists.Load(), NamespaceHistoryTooLarge.Load(), ReleaseHistoryLists.Load()
	got, gotOther := phase(t.Name() + "/whole")
	ownWhole := ReleaseHistoryLists.Load() - own
	if got != want || gotOther != wantOther {
		t.Fatalf("a phase answered\n%s\n%s\nwhere the API server answers\n%s\n%s", got, gotOther, want, wantOther)
	}
	if n := NamespaceHistoryLists.Load() - lists; n != 2 {
		t.Errorf("%d namespace-wide reads for two namespaces, want 2", n)
	}
	if n := NamespaceHistoryTooLarge.Load() - tooLarge; n != 0 {
		t.Errorf("%d namespace-wide reads abandoned, want none", n)
	}
	// Only b's two queries (its history; its deployed revision) in each
	// namespace went to the server on their own.
	if ownWhole != 4 {
		t.Errorf("%d lists of one release's history, want 4", ownWhole)
	}

	savedLimit := namespaceHistoryLimit
	namespaceHistoryLimit = 2 // ns holds 7 release Secrets
	t.Cleanup(func() { namespaceHistoryLimit = savedLimit })
	lists, tooLarge, own = NamespaceHistoryLists.Load(), NamespaceHistoryTooLarge.Load(), ReleaseHistoryLists.Load()
	got, _ = phase(t.Name() + "/limited")
	if n := ReleaseHistoryLists.Load() - own; n <= ownWhole {
		t.Errorf("over the limit, %d lists of one release's history, want more than %d", n, ownWhole)
	}
	if got != want {
		t.Fatalf("a phase over the limit answered\n%s\nwhere the API server answers\n%s", got, want)
	}
	// Tried once for ns (over the limit) and once for the other namespace
	// (1 Secret, under it).
	if n := NamespaceHistoryTooLarge.Load() - tooLarge; n != 1 {
		t.Errorf("%d namespace-wide reads abandoned, want 1", n)
	}
	if n := NamespaceHistoryLists.Load() - lists; n != 2 {
		t.Errorf("%d namespace-wide reads, want 2 (one per namespace, never again after the limit)", n)
	}
}
