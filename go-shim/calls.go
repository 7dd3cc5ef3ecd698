package main

import (
	"context"
	"sync"
)

// callRegistry maps the call ids chosen by Rust to the cancel functions of
// calls in flight. A cancel that arrives before its call has registered (the
// Rust side cancels from another thread) is remembered, and the call starts
// already cancelled.
type callRegistry struct {
	mu          sync.Mutex
	running     map[uint64]context.CancelFunc
	preCanceled map[uint64]struct{}
}

var calls = &callRegistry{
	running:     map[uint64]context.CancelFunc{},
	preCanceled: map[uint64]struct{}{},
}

// begin returns the context of call id and a function that unregisters it.
// Id 0 means "not cancellable".
func (r *callRegistry) begin(id uint64) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if id == 0 {
		return ctx, cancel
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.preCanceled[id]; ok {
		delete(r.preCanceled, id)
		cancel()
	}
	r.running[id] = cancel
	return ctx, func() {
		r.mu.Lock()
		delete(r.running, id)
		r.mu.Unlock()
		cancel()
	}
}

func (r *callRegistry) cancel(id uint64) {
	if id == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cancel, ok := r.running[id]; ok {
		cancel()
		return
	}
	r.preCanceled[id] = struct{}{}
}
