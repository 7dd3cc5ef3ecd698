package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// call runs a request through the same path the C export uses.
func call(t *testing.T, request string, id uint64) envelopeForTest {
	t.Helper()
	var env envelopeForTest
	if err := json.Unmarshal(dispatchGuarded([]byte(request), id), &env); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	return env
}

type envelopeForTest struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *ShimError      `json:"error"`
}

func TestMalformedRequestIsABadRequest(t *testing.T) {
	env := call(t, `{"method":`, 0)
	if env.OK || env.Error == nil || env.Error.Kind != KindBadRequest {
		t.Fatalf("want bad_request, got %+v", env)
	}
}

func TestUnknownMethodIsABadRequest(t *testing.T) {
	env := call(t, `{"method":"nope","params":{}}`, 0)
	if env.Error == nil || env.Error.Kind != KindBadRequest || !strings.Contains(env.Error.Message, `"nope"`) {
		t.Fatalf("got %+v", env.Error)
	}
}

func TestUnknownParamsFieldIsRejected(t *testing.T) {
	env := call(t, `{"method":"template","params":{"release_name":"a","chart":"x","surprise":1}}`, 0)
	if env.Error == nil || env.Error.Kind != KindBadRequest || !strings.Contains(env.Error.Message, "surprise") {
		t.Fatalf("got %+v", env.Error)
	}
}

func TestPanicsAreRecoveredIntoErrors(t *testing.T) {
	methods["test_panic"] = func(context.Context, json.RawMessage) (any, error) { panic("boom") }
	defer delete(methods, "test_panic")
	env := call(t, `{"method":"test_panic"}`, 0)
	if env.Error == nil || env.Error.Kind != KindPanic || !strings.Contains(env.Error.Message, "boom") {
		t.Fatalf("got %+v", env.Error)
	}
	if !strings.Contains(env.Error.Details["stack"], "abi_test.go") {
		t.Fatalf("the panic's stack is kept in details: %q", env.Error.Details["stack"])
	}
}

func TestCancelBeforeTheCallStarts(t *testing.T) {
	calls.cancel(4242)
	methods["test_wait"] = func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	defer delete(methods, "test_wait")
	env := call(t, `{"method":"test_wait"}`, 4242)
	if env.Error == nil || env.Error.Kind != KindCancelled {
		t.Fatalf("got %+v", env.Error)
	}
	if _, left := calls.preCanceled[4242]; left {
		t.Fatal("the pre-cancel mark is consumed by the call")
	}
}

func TestCancelDuringTheCall(t *testing.T) {
	started := make(chan struct{})
	methods["test_wait"] = func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	defer delete(methods, "test_wait")
	go func() {
		<-started
		calls.cancel(7)
	}()
	env := call(t, `{"method":"test_wait"}`, 7)
	if env.Error == nil || env.Error.Kind != KindCancelled {
		t.Fatalf("got %+v", env.Error)
	}
	if len(calls.running) != 0 {
		t.Fatalf("finished calls are unregistered, left: %v", calls.running)
	}
}

func TestVersionNamesTheSDK(t *testing.T) {
	env := call(t, `{"method":"version"}`, 0)
	if !env.OK {
		t.Fatalf("got %+v", env.Error)
	}
	var v versionInfo
	if err := json.Unmarshal(env.Result, &v); err != nil {
		t.Fatal(err)
	}
	if v.GoVersion == "" || v.DefaultKubeVersion == "" {
		t.Fatalf("incomplete version: %+v", v)
	}
}
