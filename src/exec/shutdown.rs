//! SIGINT and SIGTERM, owned once for the whole process.
//!
//! `main` installs [`Shutdown`] before anything else runs, and every part of
//! helmfire (state loading, commands, the watch and daemon loops) sees the
//! same one through the command context; nothing installs a handler of its
//! own. The Go runtime catches the signals (a c-archive's runtime must own
//! them) and calls back.
//!
//! - The first signal stops new work and cancels every Helm call in flight
//!   (and every later one): the shim waits for Helm to settle a release
//!   being changed, so nothing is left `pending-*`, and `exec` children of
//!   templates are interrupted with their call. Children helmfire starts
//!   itself (hooks) are interrupted too. Commands then end with the
//!   signal's exit status.
//! - If helmfire has not ended 30 seconds later, or at a second signal, it
//!   exits at once, naming the releases still being changed, after running
//!   the registered clean-ups (the daemon's pid and token files).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

use super::dag::StopSignal;

/// How long after the first signal helmfire waits for work to settle
/// before it exits anyway.
pub const GRACE: Duration = Duration::from_secs(30);

/// A termination signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (systemd, Kubernetes, `kill`).
    Terminate,
}

impl Signal {
    /// 128 + the signal number, as shells report a process it ended.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    fn from_number(number: i32) -> Signal {
        if number == 15 { Signal::Terminate } else { Signal::Interrupt }
    }

    fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "interrupted",
            Signal::Terminate => "terminated",
        }
    }
}

/// What shutting down tells the user and cancels; given by `main`.
pub trait ShutdownHooks: Send + Sync {
    /// Cancels every Helm call in flight and every later one.
    fn cancel_calls(&self);
    /// Says something on stderr.
    fn say(&self, line: &str);
}

/// The process's signal state.
pub struct Shutdown {
    signal: OnceLock<Signal>,
    count: AtomicUsize,
    notify: Notify,
    in_flight: Mutex<BTreeSet<String>>,
    children: Mutex<BTreeMap<u32, String>>,
    cleanups: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    hooks: Box<dyn ShutdownHooks>,
}

impl Shutdown {
    /// A shutdown state that no signal reaches (tests, and the moment
    /// before [`Shutdown::install`]).
    pub fn detached(hooks: Box<dyn ShutdownHooks>) -> Arc<Shutdown> {
        Arc::new(Shutdown {
            signal: OnceLock::new(),
            count: AtomicUsize::new(0),
            notify: Notify::new(),
            in_flight: Mutex::new(BTreeSet::new()),
            children: Mutex::new(BTreeMap::new()),
            cleanups: Mutex::new(Vec::new()),
            hooks,
        })
    }

    /// Starts receiving SIGINT and SIGTERM (`on_signal` is the Go runtime's
    /// registration, `helm::on_termination_signal`).
    pub fn install(
        hooks: Box<dyn ShutdownHooks>,
        on_signal: impl FnOnce(Box<dyn Fn(i32) + Send + Sync>),
    ) -> Arc<Shutdown> {
        let shutdown = Shutdown::detached(hooks);
        let handle = Arc::clone(&shutdown);
        on_signal(Box::new(move |number| handle.receive(Signal::from_number(number))));
        shutdown
    }

    /// Acts on a signal: the first starts an orderly stop, a second one (or
    /// the grace period running out) exits.
    pub fn receive(self: &Arc<Self>, signal: Signal) {
        if self.count.fetch_add(1, Ordering::SeqCst) > 0 {
            self.exit_now("again");
        }
        let _ = self.signal.set(signal);
        self.hooks.say(&format!(
            "{}: stopping; work in flight is cancelled and Helm settles the releases being changed (signal again to exit at once)",
            signal.name()
        ));
        self.hooks.cancel_calls();
        self.interrupt_children();
        self.notify.notify_waiters();
        let handle = Arc::clone(self);
        std::thread::spawn(move || {
            std::thread::sleep(GRACE);
            handle.exit_now(&format!("and still busy after {}s", GRACE.as_secs()));
        });
    }

    fn exit_now(&self, why: &str) -> ! {
        let signal = self.signal.get().copied().unwrap_or(Signal::Interrupt);
        let left: Vec<String> = self.in_flight.lock().map(|s| s.iter().cloned().collect()).unwrap_or_default();
        self.hooks.say(&format!(
            "{} {why}: exiting now; {}",
            signal.name(),
            if left.is_empty() {
                "no release was being changed".to_string()
            } else {
                format!("these releases may be left pending: {}", left.join(", "))
            }
        ));
        self.kill_children();
        self.run_cleanups();
        std::process::exit(i32::from(signal.exit_code()));
    }

    /// The signal that came, if one did.
    pub fn signal(&self) -> Option<Signal> {
        self.signal.get().copied()
    }

    /// Whether a signal came.
    pub fn requested(&self) -> bool {
        self.signal().is_some()
    }

    /// Resolves when the first signal comes (at once if it already did).
    pub async fn wait(&self) {
        let notified = self.notify.notified();
        if self.requested() {
            return;
        }
        notified.await;
    }

    /// Records that `release` is being changed until the guard is dropped.
    pub fn track(self: &Arc<Self>, release: &str) -> InFlight {
        if let Ok(mut set) = self.in_flight.lock() {
            set.insert(release.to_string());
        }
        InFlight { shutdown: Arc::clone(self), release: release.to_string() }
    }

    /// Registers a child process (a hook's command) to interrupt on the
    /// first signal and kill when exiting at once; unregistered by the guard.
    pub fn adopt(self: &Arc<Self>, pid: u32, what: &str) -> Adopted {
        if let Ok(mut children) = self.children.lock() {
            children.insert(pid, what.to_string());
        }
        if self.requested() {
            send(pid, rustix::process::Signal::INT);
        }
        Adopted { shutdown: Arc::clone(self), pid }
    }

    /// Runs `cleanup` when helmfire exits at once (its normal end runs its
    /// own clean-up).
    pub fn on_forced_exit(&self, cleanup: impl FnOnce() + Send + 'static) {
        if let Ok(mut cleanups) = self.cleanups.lock() {
            cleanups.push(Box::new(cleanup));
        }
    }

    fn interrupt_children(&self) {
        for pid in self.children.lock().map(|c| c.keys().copied().collect::<Vec<_>>()).unwrap_or_default() {
            send(pid, rustix::process::Signal::INT);
        }
    }

    fn kill_children(&self) {
        for pid in self.children.lock().map(|c| c.keys().copied().collect::<Vec<_>>()).unwrap_or_default() {
            send(pid, rustix::process::Signal::KILL);
        }
    }

    fn run_cleanups(&self) {
        let cleanups = self.cleanups.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default();
        for cleanup in cleanups {
            cleanup();
        }
    }
}

fn send(pid: u32, signal: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

impl StopSignal for Shutdown {
    fn stopped(&self) -> bool {
        self.requested()
    }
}

/// A release being changed; see [`Shutdown::track`].
pub struct InFlight {
    shutdown: Arc<Shutdown>,
    release: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut set) = self.shutdown.in_flight.lock() {
            set.remove(&self.release);
        }
    }
}

/// A child process helmfire started; see [`Shutdown::adopt`].
pub struct Adopted {
    shutdown: Arc<Shutdown>,
    pid: u32,
}

impl Drop for Adopted {
    fn drop(&mut self) {
        if let Ok(mut children) = self.shutdown.children.lock() {
            children.remove(&self.pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder {
        cancelled: std::sync::atomic::AtomicBool,
        said: Mutex<Vec<String>>,
    }

    impl ShutdownHooks for Arc<Recorder> {
        fn cancel_calls(&self) {
            self.cancelled.store(true, Ordering::SeqCst);
        }
        fn say(&self, line: &str) {
            self.said.lock().unwrap().push(line.to_string());
        }
    }

    #[tokio::test]
    async fn the_first_signal_cancels_calls_and_wakes_waiters() {
        let recorder = Arc::new(Recorder::default());
        let shutdown = Shutdown::detached(Box::new(Arc::clone(&recorder)));
        let waiter = {
            let shutdown = Arc::clone(&shutdown);
            tokio::spawn(async move { shutdown.wait().await })
        };
        tokio::task::yield_now().await;
        shutdown.receive(Signal::Terminate);
        waiter.await.unwrap();
        assert_eq!(shutdown.signal(), Some(Signal::Terminate));
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert!(recorder.cancelled.load(Ordering::SeqCst));
        assert!(recorder.said.lock().unwrap()[0].starts_with("terminated: stopping"));
        assert!(shutdown.stopped());
    }

    #[test]
    fn in_flight_releases_are_tracked_until_dropped() {
        let shutdown = Shutdown::detached(Box::new(Arc::new(Recorder::default())));
        let guard = shutdown.track("web");
        assert!(shutdown.in_flight.lock().unwrap().contains("web"));
        drop(guard);
        assert!(shutdown.in_flight.lock().unwrap().is_empty());
    }
}
