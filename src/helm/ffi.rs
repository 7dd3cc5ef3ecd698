//! The only module with `unsafe` code: calls into the Go c-archive through
//! the C ABI declared in `bindings.rs` (generated from the cgo header).
//!
//! The contract (docs/ARCHITECTURE.md, "The ABI"):
//! - `helmfire_call` takes a NUL-terminated JSON request and returns a
//!   NUL-terminated JSON envelope that Rust owns and frees with
//!   `helmfire_free`. It blocks the calling thread.
//! - Go keeps no pointer to Rust memory past a call.
//! - `helmfire_cancel` may be called from any thread, before or during the
//!   call it names.
//! - The log and signal sinks are plain functions: they are called from Go
//!   threads and must never unwind into Go.
//! - SIGINT and SIGTERM are caught by Go (`helmfire_set_signal_sink`): a
//!   handler installed from Rust without SA_ONSTACK could crash the Go
//!   runtime.
//! - The sinks are registered from a thread of their own while Go starts,
//!   and every other call waits for that (startup.rs).

#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char};
use std::sync::RwLock;

use super::startup;

#[allow(non_camel_case_types, non_snake_case, dead_code, missing_docs)]
mod sys {
    include!("bindings.rs");
}

/// A call could not even be made: the request contained a NUL byte.
#[derive(Debug, thiserror::Error)]
#[error("the request to the Go shim contains a NUL byte at offset {0}")]
pub struct InteriorNul(pub usize);

/// Sends one JSON request to the shim and returns its JSON envelope.
pub(crate) fn call(request: &str, call_id: u64) -> Result<String, InteriorNul> {
    let request = CString::new(request).map_err(|e| InteriorNul(e.nul_position()))?;
    startup::wait_for_queued();
    // SAFETY: `request` is a valid NUL-terminated string that outlives the
    // call; Go copies it (C.GoString) and keeps no pointer to it. The mutable
    // pointer type is cgo's spelling of `char*`; Go never writes through it.
    let response = unsafe { sys::helmfire_call(request.as_ptr().cast_mut(), call_id) };
    let response = GoString(response);
    Ok(response.to_owned_string())
}

/// Asks the shim to cancel call `call_id` (a no-op for a finished call).
pub(crate) fn cancel(call_id: u64) {
    startup::wait_for_queued();
    // SAFETY: takes a plain integer; safe to call from any thread at any time.
    unsafe { sys::helmfire_cancel(call_id) }
}

/// A string allocated by Go (C.CString) and freed by Go when dropped.
struct GoString(*mut c_char);

impl GoString {
    fn to_owned_string(&self) -> String {
        if self.0.is_null() {
            return String::new();
        }
        // SAFETY: the shim returns a NUL-terminated string that stays valid
        // until helmfire_free is called in Drop.
        unsafe { CStr::from_ptr(self.0) }.to_string_lossy().into_owned()
    }
}

impl Drop for GoString {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from helmfire_call and is freed once.
            unsafe { sys::helmfire_free(self.0) }
        }
    }
}

/// Receives the shim's log lines: slog level and text.
pub(crate) type LogSink = Box<dyn Fn(i32, &str) + Send + Sync>;

static LOG_SINK: RwLock<Option<LogSink>> = RwLock::new(None);

/// Routes the shim's log lines at or above `min_level` (a slog level) to
/// `sink`, or silences them when `sink` is None.
pub(crate) fn set_log_sink(sink: Option<LogSink>, min_level: i32) {
    let enabled = sink.is_some();
    if let Ok(mut slot) = LOG_SINK.write() {
        *slot = sink;
    }
    let callback: sys::helmfire_log_fn = if enabled { Some(forward_log) } else { None };
    // Made once Go has started, before any call (startup.rs).
    startup::defer(Box::new(move || {
        // SAFETY: `forward_log` has the C signature the shim expects and
        // stays valid for the life of the process.
        unsafe { sys::helmfire_set_log_sink(callback, min_level) }
    }));
}

/// Called by Go on its own threads. It must not unwind across the C
/// boundary, so any panic in the sink is caught and dropped.
unsafe extern "C" fn forward_log(level: i32, message: *const c_char, len: usize) {
    if message.is_null() {
        return;
    }
    // SAFETY: Go passes a pointer to `len` readable bytes that stay valid for
    // the duration of this call; we copy them before returning.
    let bytes = unsafe { std::slice::from_raw_parts(message.cast::<u8>(), len) };
    let text = String::from_utf8_lossy(bytes);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if let Ok(slot) = LOG_SINK.read()
            && let Some(sink) = slot.as_ref()
        {
            sink(level, &text);
        }
    }));
}

/// Receives a termination signal number.
pub(crate) type SignalSink = Box<dyn Fn(i32) + Send + Sync>;

static SIGNAL_SINK: RwLock<Option<SignalSink>> = RwLock::new(None);

/// Makes the Go runtime own SIGINT and SIGTERM and forward them to `sink`
/// (None restores their default behaviour).
pub(crate) fn set_signal_sink(sink: Option<SignalSink>) {
    let enabled = sink.is_some();
    if let Ok(mut slot) = SIGNAL_SINK.write() {
        *slot = sink;
    }
    let callback: sys::helmfire_signal_fn = if enabled { Some(forward_signal) } else { None };
    // Made once Go has started, before any call (startup.rs).
    startup::defer(Box::new(move || {
        // SAFETY: `forward_signal` has the C signature the shim expects and
        // stays valid for the life of the process.
        unsafe { sys::helmfire_set_signal_sink(callback) }
    }));
}

/// Called by Go on its own threads; must not unwind into Go.
unsafe extern "C" fn forward_signal(signal: i32) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if let Ok(slot) = SIGNAL_SINK.read()
            && let Some(sink) = slot.as_ref()
        {
            sink(signal);
        }
    }));
}
