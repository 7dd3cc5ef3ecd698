package yclockbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/helmfile/vals/pkg/config"
	valslog "github.com/helmfile/vals/pkg/log"
	valsyclockbox "github.com/helmfile/vals/pkg/providers/yclockbox"

	"github.com/helmfire/helmfire/go-shim/internal/secrets/yclockbox/yclockboxtest"
)

// TestMain trusts the test server's certificate the way a user trusts a
// private CA: SSL_CERT_FILE, read once per process.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "yclockbox-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	trust, err := yclockboxtest.TrustFile(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("SSL_CERT_FILE", trust)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const staticToken = "t1.static-token-value"

var secrets = map[string]map[string][]yclockboxtest.Entry{
	"e6qsecret": {
		"":   {{Key: "password", Text: "s3cret"}, {Key: "blob", Binary: []byte{0xde, 0xad}}},
		"v1": {{Key: "password", Text: "older"}},
	},
}

func provider(t *testing.T, query map[string]any) *Provider {
	t.Helper()
	p, err := New(config.MapConfig{M: query})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnIAMTokenReadsTheCurrentVersionOrTheOneAsked(t *testing.T) {
	server := yclockboxtest.Start(t, yclockboxtest.Cloud{IAMToken: staticToken, Secrets: secrets})
	t.Setenv(EndpointEnv, server.Address)
	t.Setenv(TokenEnv, " "+staticToken+"\n")

	current := provider(t, map[string]any{})
	entries, err := current.GetStringMap("e6qsecret")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries["password"] != "s3cret" || entries["blob"] != "\xde\xad" {
		t.Fatalf("entries of the current version: %q", entries)
	}
	asJSON, err := current.GetString("e6qsecret")
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal([]byte(asJSON), &decoded); err != nil || decoded["password"] != "s3cret" {
		t.Fatalf("GetString should be the entries as JSON, got %s (%v)", asJSON, err)
	}

	pinned := provider(t, map[string]any{"version_id": "v1"})
	entries, err = pinned.GetStringMap("e6qsecret")
	if err != nil || len(entries) != 1 || entries["password"] != "older" {
		t.Fatalf("version v1: %q, %v", entries, err)
	}
	if got := server.Exchanges.Load(); got != 0 {
		t.Fatalf("an IAM token is sent as it is, but %d exchanges happened", got)
	}
}

func TestAnAuthorizedKeyIsExchangedOnceUntilTheTokenExpires(t *testing.T) {
	private, keyJSON, err := yclockboxtest.AuthorizedKey("aje-sa", "ajk-key")
	if err != nil {
		t.Fatal(err)
	}
	server := yclockboxtest.Start(t, yclockboxtest.Cloud{
		ServiceAccountID: "aje-sa", KeyID: "ajk-key", Key: &private.PublicKey, Secrets: secrets,
	})
	t.Setenv(EndpointEnv, server.Address)
	t.Setenv(TokenEnv, keyJSON)

	p := provider(t, map[string]any{})
	for range 2 {
		if entries, err := p.GetStringMap("e6qsecret"); err != nil || entries["password"] != "s3cret" {
			t.Fatalf("read with an exchanged token: %q, %v", entries, err)
		}
	}
	if exchanges, reads := server.Exchanges.Load(), server.Reads.Load(); exchanges != 1 || reads != 2 {
		t.Fatalf("want 1 exchange for 2 reads, got %d for %d", exchanges, reads)
	}
	// The server's tokens live 12 hours.
	p.client.now = func() time.Time { return time.Now().Add(13 * time.Hour) }
	if _, err := p.GetStringMap("e6qsecret"); err != nil {
		t.Fatal(err)
	}
	if exchanges := server.Exchanges.Load(); exchanges != 2 {
		t.Fatalf("an expired token should be exchanged again, got %d exchanges", exchanges)
	}
}

func TestErrorsNameTheSecretAndWhatToSetButNoCredential(t *testing.T) {
	server := yclockboxtest.Start(t, yclockboxtest.Cloud{IAMToken: staticToken, Secrets: secrets})
	t.Setenv(EndpointEnv, server.Address)

	t.Setenv(TokenEnv, "")
	if _, err := New(config.MapConfig{}); err == nil || !strings.Contains(err.Error(), "YC_TOKEN") {
		t.Fatalf("a missing YC_TOKEN should be named, got %v", err)
	}

	t.Setenv(TokenEnv, "t1.not-the-right-token")
	_, err := provider(t, map[string]any{}).GetString("e6qsecret")
	if err == nil || !strings.Contains(err.Error(), "e6qsecret") || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Fatalf("a refused token should name the secret and the refusal, got %v", err)
	}
	if strings.Contains(err.Error(), "not-the-right-token") {
		t.Fatalf("the token reached the error: %v", err)
	}

	t.Setenv(TokenEnv, staticToken)
	if _, err := provider(t, map[string]any{}).GetString("nosuch"); err == nil || !strings.Contains(err.Error(), "nosuch") || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("a missing secret should be named, got %v", err)
	}

	_, keyJSON, err := yclockboxtest.AuthorizedKey("aje-sa", "ajk-key")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(keyJSON, `"private_key":"`, `"private_key":"garbage-key-material`, 1)
	t.Setenv(TokenEnv, broken)
	if _, err := New(config.MapConfig{}); err == nil || !strings.Contains(err.Error(), "private_key") || strings.Contains(err.Error(), "garbage-key-material") {
		t.Fatalf("a broken key should be described without its contents, got %v", err)
	}
	t.Setenv(TokenEnv, `{"id": "ajk", "service_account_id": "aje", "private_key": "secret-bytes", "unknown_field": 1}`)
	if _, err := New(config.MapConfig{}); err == nil || !strings.Contains(err.Error(), "not an authorized key") || strings.Contains(err.Error(), "secret-bytes") {
		t.Fatalf("JSON that is not a key should say so without quoting it, got %v", err)
	}
	t.Setenv(TokenEnv, strings.Replace(keyJSON, `"service_account_id"`, `"user_account_id"`, 1))
	if _, err := New(config.MapConfig{}); err == nil || !strings.Contains(err.Error(), "service_account_id") {
		t.Fatalf("a user account's key should be refused, got %v", err)
	}
}

func TestTheEndpointsComeFromTheAPIEndpoint(t *testing.T) {
	t.Setenv(TokenEnv, staticToken)

	server := yclockboxtest.Start(t, yclockboxtest.Cloud{IAMToken: staticToken, Secrets: secrets, OmitPayloadService: true})
	t.Setenv(EndpointEnv, server.Address)
	_, err := provider(t, map[string]any{}).GetString("e6qsecret")
	if err == nil || !strings.Contains(err.Error(), `"lockbox-payload"`) || !strings.Contains(err.Error(), server.Address) {
		t.Fatalf("an endpoint without Lockbox should be named, got %v", err)
	}

	// A lookup that failed is tried again by the next reference.
	flaky := yclockboxtest.Start(t, yclockboxtest.Cloud{IAMToken: staticToken, Secrets: secrets, FailedLookups: 1})
	t.Setenv(EndpointEnv, flaky.Address)
	p := provider(t, map[string]any{})
	if _, err := p.GetString("e6qsecret"); err == nil || !strings.Contains(err.Error(), "Unavailable") {
		t.Fatalf("the first lookup should fail, got %v", err)
	}
	if got, err := p.GetString("e6qsecret"); err != nil || !strings.Contains(got, "s3cret") {
		t.Fatalf("the second reference should look the endpoints up again, got %q, %v", got, err)
	}
	if lookups := flaky.Lookups.Load(); lookups != 2 {
		t.Fatalf("want 2 lookups, got %d", lookups)
	}

	t.Setenv(EndpointEnv, "127.0.0.1:1")
	_, err = provider(t, map[string]any{}).GetString("e6qsecret")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), EndpointEnv) {
		t.Fatalf("an unreachable endpoint should be named with the variable that sets it, got %v", err)
	}

	t.Setenv(EndpointEnv, "")
	if got := provider(t, map[string]any{}).client.apiEndpoint; got != defaultAPIEndpoint {
		t.Fatalf("without %s the endpoint should be Yandex Cloud's, got %s", EndpointEnv, got)
	}
}

// vals' own provider, on the Yandex Cloud SDK, is the oracle: the same
// references against the same cloud give the same values.
func TestValsOwnProviderReadsTheSame(t *testing.T) {
	private, keyJSON, err := yclockboxtest.AuthorizedKey("aje-sa", "ajk-key")
	if err != nil {
		t.Fatal(err)
	}
	server := yclockboxtest.Start(t, yclockboxtest.Cloud{
		IAMToken: staticToken, ServiceAccountID: "aje-sa", KeyID: "ajk-key", Key: &private.PublicKey, Secrets: secrets,
	})
	t.Setenv(EndpointEnv, server.Address)
	logger := valslog.New(valslog.Config{Output: io.Discard})
	for _, token := range []string{staticToken, keyJSON} {
		t.Setenv(TokenEnv, token)
		for _, query := range []map[string]any{{}, {"version_id": "v1"}} {
			conf := config.MapConfig{M: query}
			want, wantErr := valsyclockbox.New(logger, conf).GetString("e6qsecret")
			got, err := provider(t, query).GetString("e6qsecret")
			if wantErr != nil || err != nil || got != want {
				t.Fatalf("query %v: vals' provider gave %q (%v), helmfire's %q (%v)", query, want, wantErr, got, err)
			}
		}
	}
	if server.Exchanges.Load() < 2 {
		t.Fatalf("both providers should have exchanged the key, got %d exchanges", server.Exchanges.Load())
	}
}
