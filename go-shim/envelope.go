package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrorKind classifies a failure so that Rust can map it to a typed error
// and pick the right hint and exit code. The set is part of the ABI contract
// documented in docs/ARCHITECTURE.md; add to it, never rename.
type ErrorKind string

const (
	KindBadRequest   ErrorKind = "bad_request"   // the request itself is malformed (a helmfire bug)
	KindChart        ErrorKind = "chart"         // chart missing, unreadable or not installable
	KindDependencies ErrorKind = "dependencies"  // chart dependencies missing from charts/
	KindValues       ErrorKind = "values"        // a values file or --set entry is wrong
	KindSchema       ErrorKind = "values_schema" // values violate the chart's values.schema.json
	KindRender       ErrorKind = "render"        // a chart template failed to render
	KindRepository   ErrorKind = "repository"    // a chart repository is unreachable or refuses access
	KindKube         ErrorKind = "kube"          // the cluster is unusable as configured: context, reachability, credentials, RBAC
	KindRelease      ErrorKind = "release"       // a release is missing or busy, or its operation failed in the cluster
	KindIO           ErrorKind = "io"            // writing output failed
	KindCancelled    ErrorKind = "cancelled"     // the call was cancelled from Rust
	KindPanic        ErrorKind = "panic"         // a Go panic was recovered (a bug)
	KindInternal     ErrorKind = "internal"      // anything else
)

// ShimError is an error that knows its kind and carries details for Rust.
type ShimError struct {
	Kind    ErrorKind         `json:"kind"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

func (e *ShimError) Error() string { return e.Message }

// failf builds a ShimError of the given kind.
func failf(kind ErrorKind, format string, args ...any) *ShimError {
	return &ShimError{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// withDetail returns e with one more detail set.
func (e *ShimError) withDetail(key, value string) *ShimError {
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	e.Details[key] = value
	return e
}

// classify turns any error into a ShimError, keeping one that already is.
func classify(err error, fallback ErrorKind) *ShimError {
	var se *ShimError
	if errors.As(err, &se) {
		return se
	}
	if errors.Is(err, context.Canceled) {
		return &ShimError{Kind: KindCancelled, Message: "the operation was cancelled"}
	}
	return &ShimError{Kind: fallback, Message: err.Error()}
}

type envelope struct {
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *ShimError `json:"error,omitempty"`
}

func encodeEnvelope(result any, err *ShimError) []byte {
	env := envelope{OK: err == nil, Result: result, Error: err}
	out, marshalErr := json.Marshal(env)
	if marshalErr != nil {
		out, _ = json.Marshal(envelope{Error: &ShimError{
			Kind:    KindInternal,
			Message: "encoding the response failed: " + marshalErr.Error(),
		}})
	}
	return out
}

// panicError turns a recovered panic into an error envelope with the Go stack
// in its details, so a bug in the shim is reported instead of killing the
// Rust process.
func panicError(recovered any) *ShimError {
	return (&ShimError{
		Kind:    KindPanic,
		Message: fmt.Sprintf("the Go shim panicked: %v", recovered),
	}).withDetail("stack", string(debug.Stack()))
}
