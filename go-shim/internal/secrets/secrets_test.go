package secrets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	sops "github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/keyservice"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"
	"github.com/getsops/sops/v3/version"
)

// encryptYAML encrypts plain YAML for an age recipient, as `sops -e` does.
func encryptYAML(t *testing.T, plain string, recipient string) []byte {
	t.Helper()
	key, err := sopsage.MasterKeyFromRecipient(recipient)
	if err != nil {
		t.Fatal(err)
	}
	store := sopsyaml.NewStore(&config.YAMLStoreConfig{})
	branches, err := store.LoadPlainFile([]byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{
		KeyGroups:         []sops.KeyGroup{{keys.MasterKey(key)}},
		UnencryptedSuffix: sops.DefaultUnencryptedSuffix,
		Version:           version.Version,
	}}
	dataKey, errs := tree.GenerateDataKeyWithKeyServices([]keyservice.KeyServiceClient{keyservice.NewLocalClient()})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := common.EncryptTree(common.EncryptTreeOpts{DataKey: dataKey, Tree: &tree, Cipher: aes.NewCipher()}); err != nil {
		t.Fatal(err)
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecryptWithAnAgeKeyAndNameTheFileWithoutOne(t *testing.T) {
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "secrets.yaml")
	if err := os.WriteFile(file, encryptYAML(t, "password: hunter2\nmode: \"off\"\n", identity.Recipient().String()), 0o600); err != nil {
		t.Fatal(err)
	}
	encrypted, _ := os.ReadFile(file)
	if strings.Contains(string(encrypted), "hunter2") {
		t.Fatal("the fixture is not encrypted")
	}

	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("SOPS_AGE_KEY", identity.String())
	t.Setenv("HOME", dir)
	text, err := Decrypt(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "password: hunter2") || !strings.Contains(text, `mode: "off"`) {
		t.Errorf("decrypted %q", text)
	}

	// A file encrypted for someone else: the key at hand does not open it.
	someoneElse, _ := age.GenerateX25519Identity()
	theirs := filepath.Join(dir, "theirs.yaml")
	if err := os.WriteFile(theirs, encryptYAML(t, "password: hunter2\n", someoneElse.Recipient().String()), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Decrypt(context.Background(), theirs)
	if err == nil || !strings.Contains(err.Error(), "cannot decrypt "+theirs) || !strings.Contains(err.Error(), "SOPS_AGE_KEY") {
		t.Errorf("want an error naming the file and the keys, got %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Error("the error shows a secret")
	}
}

func TestAFileIsDecryptedOnceUntilItChanges(t *testing.T) {
	identity, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	file := filepath.Join(dir, "secrets.yaml")
	write := func(plain string) {
		if err := os.WriteFile(file, encryptYAML(t, plain, identity.Recipient().String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("SOPS_AGE_KEY", identity.String())
	write("v: 1\n")
	if text, err := Decrypt(context.Background(), file); err != nil || text != "v: 1\n" {
		t.Fatalf("first decryption: %q, %v", text, err)
	}
	// Without the key, the unchanged file still reads from memory...
	t.Setenv("SOPS_AGE_KEY", "")
	t.Setenv("HOME", dir)
	if text, err := Decrypt(context.Background(), file); err != nil || text != "v: 1\n" {
		t.Fatalf("the unchanged file was decrypted again: %q, %v", text, err)
	}
	// ...and a changed one is decrypted afresh.
	t.Setenv("SOPS_AGE_KEY", identity.String())
	write("v: 2\n")
	if text, err := Decrypt(context.Background(), file); err != nil || text != "v: 2\n" {
		t.Fatalf("the changed file: %q, %v", text, err)
	}
}

func TestAPlainFileIsNamedAsNotEncrypted(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain.yaml")
	if err := os.WriteFile(file, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Decrypt(context.Background(), file)
	if err == nil || !strings.Contains(err.Error(), "is not encrypted with sops") {
		t.Errorf("got %v", err)
	}
}

func TestValsResolvesReferencesFromTheStateDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "creds.yaml"), []byte("db:\n  password: s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HELMFIRE_TEST_TOKEN", "tok")
	values := map[string]any{
		"whole":    "ref+file://creds.yaml#/db/password",
		"embedded": "user:ref+envsubst://$HELMFIRE_TEST_TOKEN+@host",
		"nested":   []any{map[string]any{"x": "ref+echo://plain"}},
		"number":   3,
	}
	out, err := Eval(context.Background(), values, dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if out["whole"] != "s3cret" || out["embedded"] != "user:tok@host" {
		t.Errorf("got %v", out)
	}
	if got := out["nested"].([]any)[0].(map[string]any)["x"]; got != "plain" {
		t.Errorf("nested: %v", got)
	}
	if _, err := Eval(context.Background(), map[string]any{"x": "ref+file://missing.yaml"}, dir, 1); err == nil ||
		!strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("want an error naming the reference, got %v", err)
	}
}

func TestAReferenceIsFetchedOncePerRun(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds.yaml")
	write := func(password string) {
		if err := os.WriteFile(creds, []byte("password: "+password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	get := func(run uint64) string {
		value, err := Get(context.Background(), "ref+file://creds.yaml#/password", dir, run)
		if err != nil {
			t.Fatal(err)
		}
		return value
	}
	write("first")
	if got := get(101); got != "first" {
		t.Fatalf("got %q", got)
	}
	// Rotated while the run goes on: the run keeps what it fetched, as
	// helmfile's run does...
	write("rotated")
	if got := get(101); got != "first" {
		t.Fatalf("the same run fetched again: %q", got)
	}
	// ...and the next run (a watch or daemon cycle) sees the new value.
	if got := get(102); got != "rotated" {
		t.Fatalf("a new run kept the old value: %q", got)
	}
}
