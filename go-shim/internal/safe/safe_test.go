package safe

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

func mustPanicError(t *testing.T, err error, value string) {
	t.Helper()
	e, ok := errors.AsType[*fault.Error](err)
	if !ok || e.Kind != fault.KindPanic || e.Message != "the Go shim panicked: "+value {
		t.Fatalf("want the panic %q as an error, got %v", value, err)
	}
	if !strings.Contains(e.Details["stack"], "safe_test.go") {
		t.Errorf("the stack names the panicking code: %q", e.Details["stack"])
	}
}

func TestCallTurnsAPanicIntoAnError(t *testing.T) {
	mustPanicError(t, Call(func() error { panic("boom") }), "boom")
	want := errors.New("plain")
	if err := Call(func() error { return want }); err != want {
		t.Errorf("an error passes through: %v", err)
	}
}

func TestGoDeliversTheErrorOrThePanic(t *testing.T) {
	if err := <-Go(func() error { return nil }); err != nil {
		t.Errorf("success: %v", err)
	}
	var nilMap map[string]int
	mustPanicError(t, <-Go(func() error { nilMap["x"] = 1; return nil }), "assignment to entry in nil map")
	// Nobody reads: the goroutine still finishes (the channel is buffered).
	finished := make(chan struct{})
	Go(func() error { defer close(finished); return errors.New("unread") })
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("the goroutine blocked on an unread result")
	}
}

// A panic in one function of a group is the group's error, cancels the
// group's context, and leaves the other functions running to their end.
func TestGroupPanicCancelsTheOthers(t *testing.T) {
	g, ctx := WithContext(context.Background())
	g.SetLimit(2)
	var others atomic.Int32
	g.Go(func() error { panic("worker 0") })
	for range 3 {
		g.Go(func() error {
			<-ctx.Done()
			others.Add(1)
			return ctx.Err()
		})
	}
	mustPanicError(t, g.Wait(), "worker 0")
	if others.Load() != 3 {
		t.Errorf("%d of 3 other functions ran to their end", others.Load())
	}
}

func TestNewGroupRunsEverything(t *testing.T) {
	g := NewGroup()
	var n atomic.Int32
	for range 5 {
		g.Go(func() error { n.Add(1); return nil })
	}
	if err := g.Wait(); err != nil || n.Load() != 5 {
		t.Errorf("err %v, ran %d", err, n.Load())
	}
}
