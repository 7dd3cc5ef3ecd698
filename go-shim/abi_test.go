package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// call runs a request through the same path the C export uses.
func call(t testing.TB, request string, id uint64) shimtest.Envelope {
	t.Helper()
	var env shimtest.Envelope
	if err := json.Unmarshal(dispatchGuarded([]byte(request), id), &env); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	return env
}

// callMethod runs one method through dispatch.
func callMethod(t testing.TB, method string, params any, id uint64) shimtest.Envelope {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"method": method, "params": params})
	if err != nil {
		t.Fatal(err)
	}
	return call(t, string(raw), id)
}

// withMethod registers a method for one test.
func withMethod(t *testing.T, name string, m method) {
	t.Helper()
	methods[name] = m
	t.Cleanup(func() { delete(methods, name) })
}

func TestMalformedRequestIsABadRequest(t *testing.T) {
	env := call(t, `{"method":`, 0)
	if env.OK || env.Error == nil || env.Error.Kind != fault.KindBadRequest {
		t.Fatalf("want bad_request, got %+v", env)
	}
}

func TestUnknownMethodIsABadRequest(t *testing.T) {
	env := call(t, `{"method":"nope","params":{}}`, 0)
	if env.Error == nil || env.Error.Kind != fault.KindBadRequest || !strings.Contains(env.Error.Message, `"nope"`) {
		t.Fatalf("got %+v", env.Error)
	}
}

func TestUnknownParamsFieldIsRejected(t *testing.T) {
	env := call(t, `{"method":"template","params":{"release_name":"a","chart":"x","surprise":1}}`, 0)
	if env.Error == nil || env.Error.Kind != fault.KindBadRequest || !strings.Contains(env.Error.Message, "surprise") {
		t.Fatalf("got %+v", env.Error)
	}
}

func TestPanicsAreRecoveredIntoErrors(t *testing.T) {
	withMethod(t, "test_panic", typed(func(context.Context, noParams) (any, error) { panic("boom") }))
	env := call(t, `{"method":"test_panic"}`, 0)
	if env.Error == nil || env.Error.Kind != fault.KindPanic || !strings.Contains(env.Error.Message, "boom") {
		t.Fatalf("got %+v", env.Error)
	}
	if !strings.Contains(env.Error.Details["stack"], "abi_test.go") {
		t.Fatalf("the panic's stack is kept in details: %q", env.Error.Details["stack"])
	}
}

// An error that quotes a URL with credentials leaves the shim without them,
// whichever package made it.
func TestErrorsLeaveWithoutURLCredentials(t *testing.T) {
	withMethod(t, "test_leak", typed(func(context.Context, noParams) (any, error) {
		return nil, fault.New(fault.KindRepository, `Get "https://bob:pa55@charts.example.com/index.yaml": 401`).
			With("url", "https://bob:pa55@charts.example.com")
	}))
	env := call(t, `{"method":"test_leak","params":{}}`, 0)
	if env.Error == nil || env.Error.Kind != fault.KindRepository ||
		env.Error.Message != `Get "https://***@charts.example.com/index.yaml": 401` ||
		env.Error.Details["url"] != "https://***@charts.example.com" {
		t.Fatalf("got %+v", env.Error)
	}
}

func TestCancelBeforeTheCallStarts(t *testing.T) {
	calls.cancel(4242)
	withMethod(t, "test_wait", typed(func(ctx context.Context, _ noParams) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	env := call(t, `{"method":"test_wait"}`, 4242)
	if env.Error == nil || env.Error.Kind != fault.KindCancelled {
		t.Fatalf("got %+v", env.Error)
	}
	calls.mu.Lock()
	defer calls.mu.Unlock()
	if calls.preCanceled.has(4242) {
		t.Fatal("the pre-cancel mark is consumed by the call")
	}
}

func TestCancelDuringTheCall(t *testing.T) {
	started := make(chan struct{})
	withMethod(t, "test_wait", typed(func(ctx context.Context, _ noParams) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	go func() {
		<-started
		calls.cancel(7)
	}()
	env := call(t, `{"method":"test_wait"}`, 7)
	if env.Error == nil || env.Error.Kind != fault.KindCancelled {
		t.Fatalf("got %+v", env.Error)
	}
	calls.mu.Lock()
	defer calls.mu.Unlock()
	if len(calls.running) != 0 {
		t.Fatalf("finished calls are unregistered, left: %v", calls.running)
	}
}

func TestVersionNamesTheSDK(t *testing.T) {
	for _, request := range []string{`{"method":"version"}`, `{"method":"version","params":{}}`} {
		env := call(t, request, 0)
		if !env.OK {
			t.Fatalf("%s: %+v", request, env.Error)
		}
		var v versionInfo
		if err := json.Unmarshal(env.Result, &v); err != nil {
			t.Fatal(err)
		}
		if v.GoVersion == "" || v.DefaultKubeVersion == "" {
			t.Fatalf("incomplete version: %+v", v)
		}
	}
	env := call(t, `{"method":"version","params":{"verbose":true}}`, 0)
	if env.Error == nil || env.Error.Kind != fault.KindBadRequest || !strings.Contains(env.Error.Message, "verbose") {
		t.Fatalf("version decodes strictly too: %+v", env.Error)
	}
}
