// Package safe runs code in goroutines without letting a panic escape.
//
// In a c-archive an unrecovered panic in any goroutine aborts the whole
// Rust process, and the recover in the shim's entry point only covers the
// goroutine of the call itself. Every goroutine started on a call's path
// therefore goes through this package, which turns a panic into the error
// of the work that panicked (a fault.KindPanic error with the Go stack in
// its details, as the entry point reports its own panics).
package safe

import (
	"context"
	"runtime/debug"

	"golang.org/x/sync/errgroup"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// Call runs f and returns its error, or the panic it raised as an error.
func Call(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fault.Panic(r, debug.Stack())
		}
	}()
	return f()
}

// Go runs f in a goroutine. The channel receives its error (nil on
// success, a panic as a fault.KindPanic error) and is then closed; it is
// buffered, so nobody has to read it.
func Go(f func() error) <-chan error {
	done := make(chan error, 1)
	go func() {
		defer close(done)
		done <- Call(f)
	}()
	return done
}

// Group is errgroup.Group whose goroutines cannot panic: a panic becomes
// the error of its function, so Wait returns it (and, for a group made by
// WithContext, the group's context is cancelled as for any error).
type Group struct {
	group *errgroup.Group
}

// NewGroup is a group without a context: every function runs to its end.
func NewGroup() *Group { return &Group{group: &errgroup.Group{}} }

// WithContext is errgroup.WithContext: the context is cancelled when a
// function fails (or panics) or when Wait returns.
func WithContext(ctx context.Context) (*Group, context.Context) {
	g, gctx := errgroup.WithContext(ctx)
	return &Group{group: g}, gctx
}

// SetLimit bounds the goroutines running at once (errgroup's SetLimit).
func (g *Group) SetLimit(n int) { g.group.SetLimit(n) }

// Go runs f in a goroutine of the group.
func (g *Group) Go(f func() error) {
	g.group.Go(func() error { return Call(f) })
}

// Wait waits for every function and returns the first error.
func (g *Group) Wait() error { return g.group.Wait() }
