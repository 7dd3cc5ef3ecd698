package kube

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// storeOverActionSecrets is Helm's Secrets storage over an actionSecrets
// client of a fake clientset, and a count of the List requests that
// reached the clientset, by label selector.
func storeOverActionSecrets(t *testing.T) (*storage.Storage, map[string]int) {
	t.Helper()
	clients := fake.NewClientset()
	lists := map[string]int{}
	clients.PrependReactor("list", "secrets", func(action k8stesting.Action) (bool, runtime.Object, error) {
		lists[action.(k8stesting.ListAction).GetListRestrictions().Labels.String()]++
		return false, nil, nil
	})
	client := &actionSecrets{SecretInterface: clients.CoreV1().Secrets("ns"), histories: map[string][]corev1.Secret{}}
	return storage.Init(driver.NewSecrets(client)), lists
}

func revision(name string, version int, status rcommon.Status) *releasev1.Release {
	return &releasev1.Release{
		Name: name, Namespace: "ns", Version: version,
		Info:  &releasev1.Info{Status: status},
		Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "c", Version: "1.0.0"}},
	}
}

func TestAnActionReadsEachReleaseHistoryOnceAndSeesItsOwnWrites(t *testing.T) {
	store, lists := storeOverActionSecrets(t)
	before := HistoryReads.Load()

	// Nothing stored yet: the first query reads the history (empty).
	if _, err := store.Last("web"); !errors.Is(err, driver.ErrReleaseNotFound) {
		t.Fatalf("last of nothing: %v", err)
	}
	for _, rel := range []*releasev1.Release{
		revision("web", 1, rcommon.StatusSuperseded),
		revision("web", 2, rcommon.StatusDeployed),
	} {
		if err := store.Create(rel); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Create(revision("api", 1, rcommon.StatusDeployed)); err != nil {
		t.Fatal(err)
	}

	last, err := store.Last("web")
	if err != nil || last.(*releasev1.Release).Version != 2 {
		t.Fatalf("last: %v %v", last, err)
	}
	deployed, err := store.Deployed("web")
	if err != nil || deployed.(*releasev1.Release).Version != 2 {
		t.Fatalf("deployed: %v %v", deployed, err)
	}
	// A status change and a deletion made through the storage are seen.
	superseded := revision("web", 2, rcommon.StatusSuperseded)
	if err := store.Update(superseded); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Deployed("web"); !errors.Is(err, driver.ErrNoDeployedReleases) {
		t.Fatalf("deployed after the update: %v", err)
	}
	if _, err := store.Delete("web", 1); err != nil {
		t.Fatal(err)
	}
	history, err := store.History("web")
	if err != nil || len(history) != 1 || history[0].(*releasev1.Release).Version != 2 {
		t.Fatalf("history after the deletion: %v %v", history, err)
	}

	// One read of web's history (made before anything existed, and kept
	// current by the writes since), one of api's; every other query was
	// answered from them.
	if lists["name=web,owner=helm"] != 1 || len(lists) != 1 {
		t.Fatalf("lists that reached the server: %v", lists)
	}
	if got := HistoryReads.Load() - before; got != 4 {
		t.Fatalf("queries answered from the history read: %d, want 4", got)
	}
	apiLast, err := store.Last("api")
	if err != nil || apiLast.(*releasev1.Release).Version != 1 {
		t.Fatalf("api's last: %v %v", apiLast, err)
	}
	if lists["name=api,owner=helm"] != 1 {
		t.Fatalf("lists that reached the server: %v", lists)
	}
}

func TestQueriesThatAreNotAReleaseHistoryGoToTheServer(t *testing.T) {
	for selector, want := range map[string]bool{
		"name=web,owner=helm":                 true,
		"name=web,owner=helm,status=deployed": true,
		"owner=helm":                          false, // helm list: every release
		"name=web":                            false, // not Helm's storage
		"name in (web,api),owner=helm":        false,
		"name!=web,owner=helm":                false,
	} {
		name, _, ok := releaseQueried(selector)
		if ok != want || (ok && name != "web") {
			t.Errorf("%s: %q %v, want %v", selector, name, ok, want)
		}
	}
	if _, _, ok := releaseQueried("name=(("); ok {
		t.Error("a selector that does not parse must go to the server")
	}
}
