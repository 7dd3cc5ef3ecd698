// Command go-shim is the Go half of helmfire. It is never run as a program:
// build.rs compiles it with -buildmode=c-archive and links it into the Rust
// binary, so everything that must match Go semantics exactly (the Helm SDK,
// Go templates, Kubernetes clients) runs in-process.
//
// The C ABI it exports lives in abi.go; each action that Rust can ask for is
// one file (template.go, version.go, ...), in the manner of helm's pkg/action.
package main

// main is required by -buildmode=c-archive and never called.
func main() {}
