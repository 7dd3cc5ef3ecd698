package fault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestClassifyKeepsAFaultAndNamesCancellation(t *testing.T) {
	chart := Newf(KindChart, "chart %s is missing", "x").With("chart", "x")
	if got := Classify(fmt.Errorf("wrapped: %w", chart), KindInternal); got != chart {
		t.Errorf("a wrapped *Error is returned as is, got %+v", got)
	}
	got := Classify(fmt.Errorf("upgrade: %w", context.Canceled), KindRelease)
	if got.Kind != KindCancelled || got.Message != "the operation was cancelled" {
		t.Errorf("cancelled: %+v", got)
	}
	got = Classify(errors.New("boom"), KindRelease)
	if got.Kind != KindRelease || got.Message != "boom" || got.Details != nil {
		t.Errorf("fallback: %+v", got)
	}
}

// The JSON form is the wire's error object: details are left out when empty.
func TestErrorJSONIsTheWireShape(t *testing.T) {
	raw, err := json.Marshal(New(KindIO, "disk full"))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"kind":"io","message":"disk full"}` {
		t.Errorf("got %s", raw)
	}
	raw, _ = json.Marshal(New(KindReleaseNotFound, "m").With("release", "web"))
	if string(raw) != `{"kind":"release_not_found","message":"m","details":{"release":"web"}}` {
		t.Errorf("got %s", raw)
	}
}

func TestPanicKeepsTheStack(t *testing.T) {
	e := Panic("boom", []byte("goroutine 1 [running]:\nmain.f()"))
	if e.Kind != KindPanic || e.Message != "the Go shim panicked: boom" || e.Details["stack"] != "goroutine 1 [running]:\nmain.f()" {
		t.Errorf("got %+v", e)
	}
}
