//go:build custom_providers

package secrets

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/helmfile/vals/pkg/config"
	"github.com/helmfile/vals/pkg/providers/registry"

	"github.com/helmfire/helmfire/go-shim/internal/secrets/yclockbox"
)

// Run by TestABuildWithListedProvidersLeavesTheRestOut with the tags of a
// HELMFIRE_SECRET_PROVIDERS build.
func TestOnlyTheListedProviders(t *testing.T) {
	want := strings.Split(os.Getenv("HELMFIRE_TEST_EXPECT_PROVIDERS"), ",")
	if got := ProviderGroups(); !slices.Equal(got, want) {
		t.Fatalf("ProviderGroups() = %v, want %v", got, want)
	}
	// A reference to a group left out of this build.
	probe, group := "ref+yclockbox://some-id/key", "yandex"
	if slices.Contains(want, "yandex") {
		probe, group = "ref+vault://secret/data/x#key", "vault"
		// The yandex group is helmfire's own client (register_yclockbox.go).
		factory, ok := registry.GetProvider(yclockbox.Scheme)
		if !ok {
			t.Fatal("a build listing yandex has no ref+yclockbox provider")
		}
		if provider, err := factory(nil, config.MapConfig{}, ""); err == nil {
			if _, ours := provider.(*yclockbox.Provider); !ours {
				t.Fatalf("ref+yclockbox is served by %T", provider)
			}
		} else if !strings.Contains(err.Error(), "YC_TOKEN") {
			t.Fatalf("want helmfire's provider asking for YC_TOKEN, got %v", err)
		}
	}
	_, err := Eval(context.Background(), map[string]any{"x": probe}, t.TempDir(), 1)
	if err == nil || !strings.Contains(err.Error(), `"`+group+`" provider`) || !strings.Contains(err.Error(), "HELMFIRE_SECRET_PROVIDERS") {
		t.Fatalf("a left-out provider should be named with the build variable, got %v", err)
	}
	// The built-in providers stay.
	out, err := Eval(context.Background(), map[string]any{"x": "ref+echo://hello"}, t.TempDir(), 2)
	if err != nil || out["x"] != "hello" {
		t.Fatalf("ref+echo should resolve in any build, got %v, %v", out, err)
	}
}
