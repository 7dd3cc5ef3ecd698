package main

import (
	"context"
	"math"
	"sync"
)

// cancelAll is the call id that, given to helmfire_cancel, cancels every
// call: the running ones at once, and every call that begins later, which
// starts cancelled. It is for a process that is shutting down (Ctrl-C):
// no new call may start work that would then have to be interrupted. It
// cannot be undone. It is a reserved id rather than a C function of its
// own so that the ABI (and the header Rust's bindings come from) stays as
// it is.
const cancelAll = math.MaxUint64

const (
	// maxPreCanceled bounds the cancels remembered for calls that have not
	// begun. Rust cancels a call from another thread, which can win the
	// race with the call's own start; the cancel of a call that never
	// reaches Go (Rust gave it up) would otherwise be kept forever. Past
	// the bound the oldest is forgotten.
	maxPreCanceled = 1024
	// maxFinished bounds the ids remembered as finished, so that a late
	// cancel of a call that has already answered is dropped instead of
	// being kept as a pre-cancel no call will ever consume.
	maxFinished = 4096
)

// callRegistry maps the call ids chosen by Rust to the cancel functions of
// the calls in flight. Ids come from a counter on the Rust side and are
// not reused, but calls begin out of order (each on a thread of its own),
// so no watermark tells an id that is done from one about to begin: the
// registry keeps bounded records of both kinds instead.
type callRegistry struct {
	mu          sync.Mutex
	running     map[uint64]context.CancelFunc // by Rust's call id
	anonymous   map[uint64]context.CancelFunc // calls with id 0, by a key of ours
	nextAnon    uint64
	preCanceled *idSet // cancelled before they began
	finished    *idSet // answered: a cancel for them comes too late
	allCanceled bool   // cancelAll was asked for
}

var calls = newCallRegistry()

func newCallRegistry() *callRegistry {
	return &callRegistry{
		running:     map[uint64]context.CancelFunc{},
		anonymous:   map[uint64]context.CancelFunc{},
		preCanceled: newIDSet(maxPreCanceled),
		finished:    newIDSet(maxFinished),
	}
}

// begin returns the context of call id and a function that unregisters
// it. Id 0 means "not cancellable" by id; cancelAll still reaches it.
func (r *callRegistry) begin(id uint64) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.allCanceled {
		cancel()
	}
	if id == 0 || id == cancelAll {
		r.nextAnon++
		key := r.nextAnon
		r.anonymous[key] = cancel
		return ctx, func() {
			r.mu.Lock()
			delete(r.anonymous, key)
			r.mu.Unlock()
			cancel()
		}
	}
	if r.preCanceled.remove(id) {
		cancel()
	}
	r.running[id] = cancel
	return ctx, func() {
		r.mu.Lock()
		delete(r.running, id)
		r.finished.add(id)
		r.mu.Unlock()
		cancel()
	}
}

// cancel cancels call id if it is running, or makes it start cancelled if
// it has not begun; a call that has already finished is left alone.
// cancelAll cancels every call, running or to come.
func (r *callRegistry) cancel(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case id == cancelAll:
		r.allCanceled = true
		for _, cancel := range r.running {
			cancel()
		}
		for _, cancel := range r.anonymous {
			cancel()
		}
		r.preCanceled.clear() // every later call starts cancelled anyway
	case id == 0:
	case r.running[id] != nil:
		r.running[id]()
	case r.finished.has(id):
	default:
		r.preCanceled.add(id)
	}
}

// idSet is a set of at most a fixed number of ids that forgets the oldest
// first: a ring of the ids in the order they were added, and their index.
type idSet struct {
	ring  []uint64
	next  int            // the slot the next id takes
	index map[uint64]int // id -> its slot in ring
}

func newIDSet(limit int) *idSet {
	return &idSet{ring: make([]uint64, limit), index: map[uint64]int{}}
}

func (s *idSet) add(id uint64) {
	if _, ok := s.index[id]; ok {
		return
	}
	// The slot's previous id is the oldest; it is forgotten unless it was
	// removed already.
	if old := s.ring[s.next]; s.index[old] == s.next {
		delete(s.index, old)
	}
	s.ring[s.next] = id
	s.index[id] = s.next
	s.next = (s.next + 1) % len(s.ring)
}

func (s *idSet) has(id uint64) bool {
	_, ok := s.index[id]
	return ok
}

// remove reports whether id was in the set.
func (s *idSet) remove(id uint64) bool {
	_, ok := s.index[id]
	delete(s.index, id)
	return ok
}

func (s *idSet) clear() { clear(s.index) }

func (s *idSet) len() int { return len(s.index) }
