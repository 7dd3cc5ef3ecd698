package main

/*
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

// helmfire_log_fn receives one log line from the shim. level is a slog level
// (-4 debug, 0 info, 4 warn, 8 error); message is not NUL-terminated and is
// only valid for the duration of the call.
typedef void (*helmfire_log_fn)(int32_t level, const char *message, size_t len);

// helmfire_signal_fn receives the number of a termination signal (SIGINT,
// SIGTERM) the process got. It is called on a Go thread and must return
// quickly.
typedef void (*helmfire_signal_fn)(int32_t signal);
*/
import "C"

import (
	"unsafe"
)

// The exported functions below are the whole C ABI. They stay few and
// generic: every operation is a JSON request naming a method, answered by a
// JSON envelope, so adding an action never changes the ABI.

// helmfire_call runs one request and returns a JSON envelope, never NULL.
// request is a NUL-terminated JSON document {"method": ..., "params": ...}.
// call_id, when non-zero, lets helmfire_cancel cancel the call from another
// thread. The caller owns the returned string and frees it with helmfire_free.
//
//export helmfire_call
func helmfire_call(request *C.char, callID C.uint64_t) *C.char {
	raw := C.GoString(request)
	response := dispatchGuarded([]byte(raw), uint64(callID))
	return C.CString(string(response))
}

// helmfire_cancel cancels the call with this id if it is running, or makes it
// start cancelled if it has not reached Go yet; a call that has answered is
// left alone. The id UINT64_MAX cancels every call, running or to come (for
// a process shutting down; see cancelAll in calls.go).
//
//export helmfire_cancel
func helmfire_cancel(callID C.uint64_t) {
	calls.cancel(uint64(callID))
}

// helmfire_free frees a string returned by helmfire_call.
//
//export helmfire_free
func helmfire_free(s *C.char) {
	C.free(unsafe.Pointer(s))
}

// helmfire_set_log_sink routes the shim's log lines at or above min_level to
// sink; a NULL sink discards them. The sink may be called from any thread.
//
//export helmfire_set_log_sink
func helmfire_set_log_sink(sink C.helmfire_log_fn, minLevel C.int32_t) {
	setLogSink(sink, int32(minLevel))
}

// helmfire_set_signal_sink makes the Go runtime own SIGINT and SIGTERM (so
// no handler installed outside Go can crash it) and forward each one to
// sink. A NULL sink restores the default behaviour of both signals.
//
//export helmfire_set_signal_sink
func helmfire_set_signal_sink(sink C.helmfire_signal_fn) {
	setSignalSink(sink)
}
