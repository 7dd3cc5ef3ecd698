// Package shimtest is what the tests of the shim's packages share: calling
// a typed entry point as Rust does (JSON params decoded strictly, the
// answer as JSON), fixtures, helm's directories, chart repositories and a
// fake API server. It is imported by tests only, so none of it is linked
// into the archive.
package shimtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// repoRoot is the repository's top directory.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}()

// Charts is the directory of the test charts (tests/fixtures/charts).
var Charts = filepath.Join(repoRoot, "tests", "fixtures", "charts")

// ConformanceCase is the directory of one case of helmfile's snapshot suite
// (../shared/conformance/helmfile-snapshot beside the repository). Without
// the suite at hand the test is skipped, saying so: never passed.
func ConformanceCase(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(repoRoot, "..", "shared", "conformance", "helmfile-snapshot", "snapshot", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("helmfile's snapshot suite is not at hand (%s): %v", dir, err)
	}
	return dir
}

// Envelope is an answer as Rust sees it: a result as JSON, or an error.
type Envelope struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *fault.Error    `json:"error"`
}

// Decode decodes params (anything that marshals to a JSON object) into P
// strictly, as the shim's dispatch does: an unknown field is a bad_request.
func Decode[P any](params any) (P, error) {
	var p P
	raw, err := json.Marshal(params)
	if err != nil {
		return p, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fault.Newf(fault.KindBadRequest, "invalid params: %v", err)
	}
	return p, nil
}

// Invoke runs an entry point with params decoded as Rust's would be, and
// returns its result, or its error as the *fault.Error Rust would get.
func Invoke[P, R any](t testing.TB, run func(context.Context, P) (R, error), params any) (R, *fault.Error) {
	t.Helper()
	return InvokeContext(t, context.Background(), run, params)
}

// InvokeContext is Invoke with a context.
func InvokeContext[P, R any](t testing.TB, ctx context.Context, run func(context.Context, P) (R, error), params any) (R, *fault.Error) {
	t.Helper()
	var zero R
	p, err := Decode[P](params)
	if err != nil {
		return zero, fault.Classify(err, fault.KindInternal)
	}
	res, err := run(ctx, p)
	if err != nil {
		return res, fault.Classify(err, fault.KindInternal)
	}
	return res, nil
}

// Call is Invoke with the answer as Rust sees it.
func Call[P, R any](t testing.TB, run func(context.Context, P) (R, error), params any) Envelope {
	t.Helper()
	return CallContext(t, context.Background(), run, params)
}

// CallContext is Call with a context.
func CallContext[P, R any](t testing.TB, ctx context.Context, run func(context.Context, P) (R, error), params any) Envelope {
	t.Helper()
	res, e := InvokeContext(t, ctx, run, params)
	if e != nil {
		return Envelope{Error: e}
	}
	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("encoding the result: %v", err)
	}
	return Envelope{OK: true, Result: raw}
}

// MustResult decodes a successful answer into out.
func MustResult(t testing.TB, env Envelope, out any) {
	t.Helper()
	if !env.OK {
		t.Fatalf("call failed: %+v", env.Error)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		t.Fatalf("decoding %s: %v", env.Result, err)
	}
}

// MustFail checks that an answer is an error of the kind whose message
// holds every fragment.
func MustFail(t testing.TB, env Envelope, kind fault.Kind, fragments ...string) {
	t.Helper()
	if env.OK {
		t.Fatalf("want a %s error, got %s", kind, env.Result)
	}
	if env.Error.Kind != kind {
		t.Fatalf("want a %s error, got %+v", kind, env.Error)
	}
	for _, f := range fragments {
		if !strings.Contains(env.Error.Message, f) {
			t.Errorf("message lacks %q: %s", f, env.Error.Message)
		}
	}
}

// AsFault is err as a *fault.Error (nil when it is none).
func AsFault(err error) *fault.Error {
	e, _ := errors.AsType[*fault.Error](err)
	return e
}
