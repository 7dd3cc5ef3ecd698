// Package fault is the error type every answer of the shim carries back to
// Rust: an error kind from a fixed set, a message, and details.
//
// It owns the set of kinds (part of the ABI contract documented in
// docs/ARCHITECTURE.md: add to it, never rename) and the helpers every
// feature package uses to build and classify errors. It imports nothing of
// the shim, so every package can use it.
package fault

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies a failure so that Rust can map it to a typed error and
// pick the right hint and exit code.
type Kind string

const (
	KindBadRequest   Kind = "bad_request"   // the request itself is malformed (a helmfire bug)
	KindChart        Kind = "chart"         // chart missing, unreadable or not installable
	KindDependencies Kind = "dependencies"  // chart dependencies missing from charts/
	KindValues       Kind = "values"        // a values file or --set entry is wrong
	KindSchema       Kind = "values_schema" // values violate the chart's values.schema.json
	KindRender       Kind = "render"        // a chart template failed to render
	KindRepository   Kind = "repository"    // a chart repository is unreachable or refuses access
	KindKube         Kind = "kube"          // the cluster is unusable as configured: context, reachability, credentials, RBAC
	KindRelease      Kind = "release"       // a release is busy, or its operation failed in the cluster
	// KindReleaseNotFound: the release has no revision in the namespace, so
	// that Rust can tell "nothing to act on" from a failed operation.
	KindReleaseNotFound Kind = "release_not_found"
	KindIO              Kind = "io"        // writing output failed
	KindCancelled       Kind = "cancelled" // the call was cancelled from Rust
	KindPanic           Kind = "panic"     // a Go panic was recovered (a bug)
	KindInternal        Kind = "internal"  // anything else
)

// Error is an error that knows its kind and carries details for Rust. Its
// JSON form is the "error" member of a failed answer.
type Error struct {
	Kind    Kind              `json:"kind"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// With sets one detail and returns e, so that details chain.
func (e *Error) With(key, value string) *Error {
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	e.Details[key] = value
	return e
}

// New is an error of the given kind with a message used as is.
func New(kind Kind, message string) *Error {
	return &Error{Kind: kind, Message: message}
}

// Newf is an error of the given kind with a formatted message.
func Newf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Classify turns any error into an *Error: one that already is (wrapped or
// not) is kept, a cancelled context becomes KindCancelled, and anything
// else gets the fallback kind with the error's message.
func Classify(err error, fallback Kind) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: KindCancelled, Message: "the operation was cancelled"}
	}
	return &Error{Kind: fallback, Message: err.Error()}
}

// Panic turns a recovered panic into an error with the Go stack in its
// details, so that a bug in the shim is reported instead of killing the
// Rust process.
func Panic(recovered any, stack []byte) *Error {
	return Newf(KindPanic, "the Go shim panicked: %v", recovered).With("stack", string(stack))
}
