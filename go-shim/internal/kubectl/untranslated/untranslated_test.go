package untranslated_test

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	// Links what helmfire links: helm's kube client and kubectl's apply,
	// whose help texts are translated while they initialise.
	_ "github.com/helmfire/helmfire/go-shim/internal/kube"
	_ "github.com/helmfire/helmfire/go-shim/internal/kubectl"
)

// The catalogue is parsed during package initialisation, so this test
// starts its own binary again with Go's init trace and reads it: this
// package initialises before kubectl's apiresources (the first to
// translate), and that no longer allocates the parsed catalogue (4.4 MB
// when it did).
func TestKubectlCataloguesAreNotLoadedAtStart(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "LANG=de_DE.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	line := func(pkg string) (int, int) {
		re := regexp.MustCompile(`(?m)^init ` + regexp.QuoteMeta(pkg) + ` @[0-9.]+ ms, [0-9.]+ ms clock, ([0-9]+) bytes`)
		loc := re.FindSubmatchIndex(out)
		if loc == nil {
			t.Fatalf("no init line for %s in the trace:\n%s", pkg, out)
		}
		bytes, _ := strconv.Atoi(string(out[loc[2]:loc[3]]))
		return loc[0], bytes
	}
	ours, _ := line("github.com/helmfire/helmfire/go-shim/internal/kubectl/untranslated")
	theirs, allocated := line("k8s.io/kubectl/pkg/cmd/apiresources")
	if ours > theirs {
		t.Fatal("kubectl's apiresources was initialised before the package that keeps its catalogue unloaded")
	}
	if allocated > 1<<20 {
		t.Fatalf("kubectl's apiresources allocated %d bytes while initialising: the catalogue was loaded", allocated)
	}
}
