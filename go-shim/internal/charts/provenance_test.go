package charts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/provenance"
	"sigs.k8s.io/yaml"
)

// signingKey makes a key pair and writes its public half as a keyring.
func signingKey(t *testing.T, name string) (*openpgp.Entity, string) {
	t.Helper()
	entity, err := openpgp.NewEntity(name, "helmfire test", name+"@example.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	pubring := filepath.Join(t.TempDir(), name+".gpg")
	f, err := os.Create(pubring)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := entity.Serialize(f); err != nil {
		t.Fatal(err)
	}
	return entity, pubring
}

// sign writes archive.prov as `helm package --sign` does.
func sign(t *testing.T, entity *openpgp.Entity, archive string) {
	t.Helper()
	c, err := loader.LoadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	metadata, err := yaml.Marshal(c.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := (&provenance.Signatory{Entity: entity}).ClearSign(data, filepath.Base(archive), metadata)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(archive+".prov", []byte(signed), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifiedPullsCheckProvenanceOnEveryUse(t *testing.T) {
	r := servePullRepo(t)
	owner, ownerRing := signingKey(t, "owner")
	_, strangerRing := signingKey(t, "stranger")
	sign(t, owner, filepath.Join(r.docroot, "raw-0.1.0.tgz"))
	cache := t.TempDir()
	pull := func(version, keyring string) (PullResult, error) {
		res, ferr := r.pullWith(t, PullParams{
			Chart: "myrepo/raw", Version: version, CacheDir: cache,
			ChartOptions: ChartOptions{Verify: true, Keyring: keyring},
		})
		if ferr != nil {
			return res, ferr
		}
		return res, nil
	}

	if _, err := pull("0.1.0", ownerRing); err != nil {
		t.Fatalf("a chart signed by the keyring's owner: %v", err)
	}
	// Cached: verified again, from the cached provenance.
	if _, err := pull("0.1.0", ownerRing); err != nil {
		t.Fatalf("the cached chart: %v", err)
	}
	if n := r.hitsOf("/raw-0.1.0.tgz.prov"); n != 1 {
		t.Errorf("the provenance was fetched %d times, want once", n)
	}
	_, err := pull("0.1.0", strangerRing)
	if err == nil || !strings.Contains(err.Error(), "failed provenance verification") || !strings.Contains(err.Error(), strangerRing) {
		t.Errorf("another keyring: %v", err)
	}
	_, err = pull("0.0.1", ownerRing)
	if err == nil || !strings.Contains(err.Error(), "provenance could not be fetched") {
		t.Errorf("an unsigned chart: %v", err)
	}
	_, err = pull("0.1.0", filepath.Join(t.TempDir(), "absent.gpg"))
	if err == nil || !strings.Contains(err.Error(), "keyring") || !strings.Contains(err.Error(), "cannot be read") {
		t.Errorf("a missing keyring: %v", err)
	}
}

func TestDevelTakesPrereleasesOnlyWhenAsked(t *testing.T) {
	r := servePullRepo(t)
	res, ferr := r.pullWith(t, PullParams{Chart: "myrepo/raw", CacheDir: t.TempDir()})
	if ferr != nil || res.Version != "0.1.0" {
		t.Fatalf("the newest release: %+v, %v", res, ferr)
	}
	res, ferr = r.pullWith(t, PullParams{Chart: "myrepo/raw", CacheDir: t.TempDir(), ChartOptions: ChartOptions{Devel: true}})
	if ferr != nil || res.Version != "0.2.0-rc.1" {
		t.Fatalf("with devel: %+v, %v", res, ferr)
	}
}
