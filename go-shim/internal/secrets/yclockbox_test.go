//go:build !custom_providers

package secrets

import (
	"context"
	"testing"

	"github.com/helmfile/vals/pkg/config"
	"github.com/helmfile/vals/pkg/providers/registry"

	"github.com/helmfire/helmfire/go-shim/internal/secrets/yclockbox"
	"github.com/helmfire/helmfire/go-shim/internal/secrets/yclockbox/yclockboxtest"
)

// A Lockbox reference resolves through vals with helmfire's provider in
// place of vals' own (register_yclockbox.go), fragments included.
func TestALockboxReferenceResolvesThroughHelmfiresProvider(t *testing.T) {
	dir := t.TempDir()
	trust, err := yclockboxtest.TrustFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The only test of this package that reads the system's roots, which
	// Go reads once per process.
	t.Setenv("SSL_CERT_FILE", trust)
	server := yclockboxtest.Start(t, yclockboxtest.Cloud{
		IAMToken: "t1.token",
		Secrets:  map[string]map[string][]yclockboxtest.Entry{"e6qdb": {"": {{Key: "password", Text: "s3cret"}}}},
	})
	t.Setenv(yclockbox.EndpointEnv, server.Address)
	t.Setenv(yclockbox.TokenEnv, "t1.token")
	out, err := Eval(context.Background(), map[string]any{
		"password": "ref+yclockbox://e6qdb#password",
		"all":      "ref+yclockbox://e6qdb",
	}, dir, 201)
	if err != nil {
		t.Fatal(err)
	}
	if out["password"] != "s3cret" || out["all"] != `{"password":"s3cret"}` {
		t.Fatalf("got %v", out)
	}
	// vals' own provider would read the same from the same server: check
	// whose the registry holds.
	factory, _ := registry.GetProvider(yclockbox.Scheme)
	if provider, err := factory(nil, config.MapConfig{}, ""); err != nil {
		t.Fatal(err)
	} else if _, ours := provider.(*yclockbox.Provider); !ours {
		t.Fatalf("vals' registry serves ref+yclockbox with %T", provider)
	}
}
