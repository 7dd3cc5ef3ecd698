package main

/*
#include <stdint.h>

typedef void (*helmfire_signal_fn)(int32_t signal);

// Go cannot call a C function pointer directly; this trampoline does.
static inline void helmfire_emit_signal(helmfire_signal_fn sink, int32_t signal) {
	sink(signal);
}
*/
import "C"

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Signals are owned by Go: a c-archive's runtime must see SIGINT/SIGTERM
// through handlers it installed (with SA_ONSTACK), so Rust asks Go to catch
// them and to call back, instead of installing its own handlers.
var signalState struct {
	mu      sync.Mutex
	channel chan os.Signal
	done    chan struct{}
}

func setSignalSink(sink C.helmfire_signal_fn) {
	signalState.mu.Lock()
	defer signalState.mu.Unlock()
	if signalState.channel != nil {
		signal.Stop(signalState.channel)
		close(signalState.done)
		signalState.channel, signalState.done = nil, nil
	}
	if sink == nil {
		return
	}
	ch := make(chan os.Signal, 4)
	done := make(chan struct{})
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	signalState.channel, signalState.done = ch, done
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				if s, ok := sig.(syscall.Signal); ok {
					C.helmfire_emit_signal(sink, C.int32_t(s))
				}
			}
		}
	}()
}
