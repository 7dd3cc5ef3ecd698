//go:build !custom_providers

package secrets

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestTheDefaultBuildCarriesEveryProvider(t *testing.T) {
	if groups := ProviderGroups(); groups != nil {
		t.Fatalf("the default build reports only %v; every scheme of providerGroups should be registered", groups)
	}
}

func TestALeftOutSchemeIsNamedWithItsGroup(t *testing.T) {
	err := leftOutProvider(errors.New(`expand yclockbox://id/key: no provider registered for scheme "yclockbox"`))
	if err == nil || !strings.Contains(err.Error(), `"yandex"`) || !strings.Contains(err.Error(), "HELMFIRE_SECRET_PROVIDERS") {
		t.Fatalf("want the yandex group and the build variable named, got %v", err)
	}
	if err := leftOutProvider(errors.New(`no provider registered for scheme "nosuch"`)); err != nil {
		t.Fatalf("a scheme vals does not know is vals' own error, got %v", err)
	}
	if err := leftOutProvider(errors.New("vault: permission denied")); err != nil {
		t.Fatalf("other errors pass through, got %v", err)
	}
}

// A build with HELMFIRE_SECRET_PROVIDERS=aws, or =yandex (the tags build.rs
// derives from them: the yandex group is helmfire's own Lockbox client,
// tag helmfire_yandex) carries the listed group and says so for any
// other: the same package compiled again with those tags runs the checks
// of providers_custom_test.go.
func TestABuildWithListedProvidersLeavesTheRestOut(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package once more with other build tags")
	}
	for group, tags := range map[string]string{"aws": "custom_providers,aws", "yandex": "custom_providers,helmfire_yandex"} {
		cmd := exec.Command("go", "test", "-count=1", "-tags", tags, "-run", "^TestOnlyTheListedProviders$", ".")
		cmd.Env = append(os.Environ(), "HELMFIRE_TEST_EXPECT_PROVIDERS="+group)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ok") {
			t.Fatalf("go test -tags %s failed: %v\n%s", tags, err, out)
		}
		// The run must not pass by running nothing.
		if strings.Contains(string(out), "no tests to run") {
			t.Fatalf("the run tagged %s found no test:\n%s", tags, out)
		}
	}
}
