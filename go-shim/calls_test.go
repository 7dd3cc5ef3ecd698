package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

func mustBeCancelled(t *testing.T, ctx context.Context, want bool, what string) {
	t.Helper()
	if got := ctx.Err() != nil; got != want {
		t.Errorf("%s: cancelled %v, want %v", what, got, want)
	}
}

// A cancel that comes before its call is remembered until the call begins.
func TestRegistryPreCancel(t *testing.T) {
	r := newCallRegistry()
	r.cancel(5)
	ctx, done := r.begin(5)
	mustBeCancelled(t, ctx, true, "pre-cancelled call")
	done()
	if r.preCanceled.len() != 0 {
		t.Errorf("the pre-cancel is consumed, %d left", r.preCanceled.len())
	}
	ctx, done = r.begin(6)
	defer done()
	mustBeCancelled(t, ctx, false, "another call")
}

// A cancel that comes after its call answered is dropped: it used to be
// kept as a pre-cancel forever.
func TestRegistryCancelAfterTheCallIsDropped(t *testing.T) {
	r := newCallRegistry()
	for id := uint64(1); id <= 100; id++ {
		_, done := r.begin(id)
		done()
		r.cancel(id)
	}
	if n := r.preCanceled.len(); n != 0 {
		t.Errorf("%d cancels of finished calls are kept", n)
	}
	if len(r.running) != 0 {
		t.Errorf("running: %v", r.running)
	}
}

// Cancels of calls that never begin, and finished ids, are bounded; the
// oldest are forgotten first.
func TestRegistryRecordsAreBounded(t *testing.T) {
	r := newCallRegistry()
	for id := uint64(1); id <= 3*maxPreCanceled; id++ {
		r.cancel(id)
	}
	if n := r.preCanceled.len(); n != maxPreCanceled {
		t.Errorf("%d pre-cancels kept, want %d", n, maxPreCanceled)
	}
	if r.preCanceled.has(1) || !r.preCanceled.has(3*maxPreCanceled) {
		t.Error("the oldest pre-cancel is the one forgotten")
	}
	ctx, done := r.begin(3 * maxPreCanceled)
	mustBeCancelled(t, ctx, true, "the newest pre-cancelled call")
	done()

	r = newCallRegistry()
	for id := uint64(1); id <= 2*maxFinished; id++ {
		_, done := r.begin(id)
		done()
	}
	if n := r.finished.len(); n != maxFinished {
		t.Errorf("%d finished ids kept, want %d", n, maxFinished)
	}
	// Calls begin out of order: a cancel for an id that has not begun is
	// kept even when later ids have finished.
	r.cancel(2*maxFinished + 7)
	ctx, done = r.begin(2*maxFinished + 7)
	mustBeCancelled(t, ctx, true, "an out-of-order call")
	done()
}

func TestIDSetForgetsTheOldestFirst(t *testing.T) {
	s := newIDSet(3)
	for _, id := range []uint64{1, 2, 3} {
		s.add(id)
	}
	s.add(2) // already there: no new slot
	if !s.remove(1) || s.remove(1) {
		t.Fatal("remove reports membership")
	}
	s.add(4) // takes 1's slot
	s.add(5) // forgets 2, the oldest left
	for id, want := range map[uint64]bool{1: false, 2: false, 3: true, 4: true, 5: true} {
		if s.has(id) != want {
			t.Errorf("has(%d) = %v", id, !want)
		}
	}
	if s.len() != 3 {
		t.Errorf("len %d", s.len())
	}
}

// helmfire_cancel(UINT64_MAX) cancels every running call, anonymous ones
// included, and every call that begins afterwards.
func TestRegistryCancelAll(t *testing.T) {
	r := newCallRegistry()
	running, doneRunning := r.begin(1)
	anonymous, doneAnonymous := r.begin(0)
	r.cancel(2) // a pre-cancel, made moot
	r.cancel(cancelAll)
	mustBeCancelled(t, running, true, "running call")
	mustBeCancelled(t, anonymous, true, "anonymous call")
	doneRunning()
	doneAnonymous()
	for _, id := range []uint64{0, 3, 1 << 40} {
		ctx, done := r.begin(id)
		mustBeCancelled(t, ctx, true, "a later call")
		done()
	}
	if r.preCanceled.len() != 0 || len(r.anonymous) != 0 || len(r.running) != 0 {
		t.Errorf("left: %d pre-cancels, %d anonymous, %d running", r.preCanceled.len(), len(r.anonymous), len(r.running))
	}
}

// The same through dispatch, on a registry of the test's own (the
// process's stays usable for the other tests).
func TestCancelAllThroughDispatch(t *testing.T) {
	saved := calls
	calls = newCallRegistry()
	t.Cleanup(func() { calls = saved })

	started := make(chan struct{})
	withMethod(t, "test_wait", typed(func(ctx context.Context, _ noParams) (any, error) {
		close(started)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(30 * time.Second):
			return "not cancelled", nil
		}
	}))
	answered := make(chan []byte, 1)
	go func() { answered <- dispatchGuarded([]byte(`{"method":"test_wait","params":{}}`), 0) }()
	<-started
	calls.cancel(cancelAll)
	var env struct {
		Error *fault.Error `json:"error"`
	}
	select {
	case raw := <-answered:
		if err := json.Unmarshal(raw, &env); err != nil || env.Error == nil || env.Error.Kind != fault.KindCancelled {
			t.Fatalf("running call: %s", raw)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the running call was not cancelled")
	}
	// Later calls start cancelled: a method that watches its context
	// fails at once.
	env2 := callMethod(t, "render", map[string]any{"name": "f", "text": `{{ exec "sleep" (list "30") }}`}, 42)
	if env2.Error == nil || env2.Error.Kind != fault.KindCancelled {
		t.Fatalf("later call: %+v", env2.Error)
	}
}
