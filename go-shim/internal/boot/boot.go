// Package boot is what must happen before the rest of the shim's
// dependencies initialize. Its only dependency is the standard library,
// and Go initializes the packages that are ready in the order of their
// import paths, so it runs ahead of most of them: the cloud SDKs,
// Kubernetes' schemes, Helm (its place shows in
// `GODEBUG=inittrace=1 helmfire version`; 3 MB of the 21 MB that package
// initialization allocates come before it).
//
// That 21 MB (generated protobuf descriptors, API schemes, templates) stays
// live, so collecting while it is built finds nothing to free: with Go's
// default heap growth the collector ran several times over it, some 10 ms
// of every start. Until Rust's main says what the command wants (gc_tune,
// go-shim/gc.go, which undoes both settings below), the collector is off,
// with a memory limit as the safety net of a run that never says: past
// StartLimit the runtime collects anyway. GOGC and GOMEMLIMIT set by the
// user are left alone.
package boot

import (
	"os"
	"runtime/debug"
)

// StartLimit is the memory limit while the collector is off at start.
const StartLimit = 256 << 20

func init() {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(StartLimit)
	}
	debug.SetGCPercent(-1)
}
