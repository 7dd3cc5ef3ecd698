//! Ctrl-C and SIGTERM during cluster operations.
//!
//! The first signal stops new releases from starting and cancels the ones
//! in flight through the shim, which waits for Helm to settle them so that
//! no release is left `pending-install` or `pending-upgrade`. A second
//! signal exits at once, naming the releases that may be left pending.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::dag::StopSignal;
use crate::helm;

/// Exit code after a second interrupt (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Counts termination signals and tracks what is in flight.
#[derive(Default)]
pub struct Interrupts {
    count: AtomicUsize,
    notify: Notify,
    in_flight: Mutex<BTreeSet<String>>,
}

impl Interrupts {
    /// Catches SIGINT/SIGTERM (through the Go runtime, which owns them) for
    /// the rest of the process. `on_second` is called, before exiting, with
    /// the releases still being changed.
    pub fn install(
        on_first: impl Fn() + Send + Sync + 'static,
        on_second: impl Fn(&[String]) + Send + Sync + 'static,
    ) -> Arc<Self> {
        let interrupts = Arc::new(Interrupts::default());
        let handle = Arc::clone(&interrupts);
        helm::on_termination_signal(Box::new(move |_signal| {
            let previous = handle.count.fetch_add(1, Ordering::SeqCst);
            if previous == 0 {
                on_first();
                handle.notify.notify_waiters();
            } else {
                let left: Vec<String> =
                    handle.in_flight.lock().map(|s| s.iter().cloned().collect()).unwrap_or_default();
                on_second(&left);
                std::process::exit(EXIT_INTERRUPTED);
            }
        }));
        interrupts
    }

    /// Whether a signal came.
    pub fn interrupted(&self) -> bool {
        self.count.load(Ordering::SeqCst) > 0
    }

    /// Resolves when the first signal comes (at once if it already did).
    pub async fn wait(&self) {
        let notified = self.notify.notified();
        if self.interrupted() {
            return;
        }
        notified.await;
    }

    /// Records that `release` is being changed until the guard is dropped.
    pub fn track(self: &Arc<Self>, release: &str) -> InFlight {
        if let Ok(mut set) = self.in_flight.lock() {
            set.insert(release.to_string());
        }
        InFlight { interrupts: Arc::clone(self), release: release.to_string() }
    }
}

impl StopSignal for Interrupts {
    fn stopped(&self) -> bool {
        self.interrupted()
    }
}

/// A release being changed; see [`Interrupts::track`].
pub struct InFlight {
    interrupts: Arc<Interrupts>,
    release: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut set) = self.interrupts.in_flight.lock() {
            set.remove(&self.release);
        }
    }
}
