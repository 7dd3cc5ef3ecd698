// Command helm-floor renders the vs_helmfile bench's `template` workload
// with the Helm SDK alone, one goroutine per CPU, and exits: the SDK floor
// as a process, paying what any program that renders with the SDK pays
// (starting, initialising the SDK's packages) and nothing of helmfire's
// (its other dependencies, the state, the C boundary). The bench builds
// and times it beside helmfire (benches/vs_helmfile/floor.rs).
//
// Usage: helm-floor WORKLOAD_DIR (holding the bench's floor.json).
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/helmfire/helmfire/go-shim/internal/floor"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: helm-floor WORKLOAD_DIR (a directory holding the bench's floor.json)")
		os.Exit(2)
	}
	releases, err := floor.Load(os.Args[1])
	if err == nil {
		err = floor.RenderAll(releases, runtime.GOMAXPROCS(0))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helm-floor:", err)
		os.Exit(1)
	}
}
