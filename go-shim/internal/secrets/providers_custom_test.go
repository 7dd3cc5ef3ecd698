//go:build custom_providers

package secrets

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

// Run by TestABuildWithListedProvidersLeavesTheRestOut with the tags of a
// HELMFIRE_SECRET_PROVIDERS build.
func TestOnlyTheListedProviders(t *testing.T) {
	want := strings.Split(os.Getenv("HELMFIRE_TEST_EXPECT_PROVIDERS"), ",")
	if got := ProviderGroups(); !slices.Equal(got, want) {
		t.Fatalf("ProviderGroups() = %v, want %v", got, want)
	}
	_, err := Eval(context.Background(), map[string]any{"x": "ref+yclockbox://some-id/key"}, t.TempDir(), 1)
	if err == nil || !strings.Contains(err.Error(), `"yandex" provider`) || !strings.Contains(err.Error(), "HELMFIRE_SECRET_PROVIDERS") {
		t.Fatalf("a left-out provider should be named with the build variable, got %v", err)
	}
	// The built-in providers stay.
	out, err := Eval(context.Background(), map[string]any{"x": "ref+echo://hello"}, t.TempDir(), 2)
	if err != nil || out["x"] != "hello" {
		t.Fatalf("ref+echo should resolve in any build, got %v, %v", out, err)
	}
}
