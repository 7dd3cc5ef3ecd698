// Command go-shim is the Go half of helmfire. It is never run as a program:
// build.rs compiles it with -buildmode=c-archive and links it into the Rust
// binary, so everything that must match Go semantics exactly (the Helm SDK,
// Go templates, Kubernetes clients) runs in-process.
//
// This package holds only the entry points: the C ABI (abi.go), the answer
// envelope (envelope.go), the registry of calls in flight and their
// cancellation (calls.go), the dispatch with its panic recovery
// (dispatch.go), the table of methods (methods.go), the log and signal
// sinks (logsink.go, signals.go), the collector's setting (gc.go, with
// internal/boot for the start) and version.go. Every feature lives in a
// package under internal/, in the manner of helm's pkg/action: render,
// charts, release, diff, drift, state, on kube (clusters), fault (errors),
// safe (goroutines) and redact (secrets).
package main

// Imported for its init, which Go runs ahead of most dependencies
// (see its doc).
import _ "github.com/helmfire/helmfire/go-shim/internal/boot"

// main is required by -buildmode=c-archive and never called.
func main() {}
