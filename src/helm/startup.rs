//! Lets Rust work while Go starts.
//!
//! Go initialises the shim's packages on a thread of its own when the
//! process starts (30-40 ms, docs/ARCHITECTURE.md), and a call into Go
//! blocks until that is done. The calls that only hand Go a setting (the
//! signal and log sinks, the collector's heap growth) need no answer, so
//! they are queued here and made in order by one thread of their own,
//! while the main thread parses the command line and loads the state.
//! Every other call waits until that queue is empty: Go never works for a
//! command before its sinks and collector are set, and a command that
//! needs no Go at all (`list` of a state without templates) never waits
//! for it.
//!
//! Until Go has initialised, SIGINT and SIGTERM have no handler, as when
//! the main thread blocked in the registration. What may run in that
//! window is main's own reading: commands that would change something
//! before their first call into Go (write a file, start a hook) wait for
//! the queue first (`main.rs`, `changes_nothing_before_go`; hooks.rs).

use std::cell::Cell;
use std::sync::mpsc::{self, Sender};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// A registration to make once Go has started.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How many queued jobs have not finished.
static PENDING: Mutex<usize> = Mutex::new(0);
static DRAINED: Condvar = Condvar::new();
/// The starter thread's queue, made with the first job.
static STARTER: Mutex<Option<Sender<Job>>> = Mutex::new(None);

thread_local! {
    /// Set on the starter thread, whose own calls must not wait for the
    /// queue they are part of.
    static ON_STARTER: Cell<bool> = const { Cell::new(false) };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A job's panic is caught, so poisoning only means "a holder panicked":
    // the count itself is always consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Queues `job` to run on the starter thread after the jobs queued before
/// it. Returns at once (the job runs inline if no thread can be started).
pub(crate) fn defer(job: Job) {
    *lock(&PENDING) += 1;
    let mut starter = lock(&STARTER);
    if starter.is_none() {
        *starter = spawn_starter();
    }
    let undelivered = match starter.as_ref() {
        Some(sender) => sender.send(job).err().map(|returned| returned.0),
        None => Some(job),
    };
    drop(starter);
    if let Some(job) = undelivered {
        run_in_place_of_starter(job);
    }
}

/// Runs a queued job on this thread (no starter thread could take it):
/// the thread stands in for the starter while it does, or the job's own
/// call into Go would wait for the queue the job is counted in.
fn run_in_place_of_starter(job: Job) {
    let was_starter = ON_STARTER.replace(true);
    run(job);
    ON_STARTER.set(was_starter);
}

fn spawn_starter() -> Option<Sender<Job>> {
    let (sender, jobs) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("helmfire-shim-start".into())
        .spawn(move || {
            ON_STARTER.set(true);
            for job in jobs {
                run(job);
            }
        })
        .ok()?;
    Some(sender)
}

/// Runs a job and counts it done, whatever it does.
fn run(job: Job) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    let mut pending = lock(&PENDING);
    *pending -= 1;
    if *pending == 0 {
        DRAINED.notify_all();
    }
}

/// Blocks until every queued job has run; at once on the starter thread.
pub(crate) fn wait_for_queued() {
    if ON_STARTER.get() {
        return;
    }
    let mut pending = lock(&PENDING);
    while *pending > 0 {
        pending = DRAINED.wait(pending).unwrap_or_else(PoisonError::into_inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    // One test: the queue is process-wide, and tests run in parallel.
    #[test]
    fn jobs_run_in_order_off_the_caller_and_waiting_ends_when_they_are_done() {
        let (release, gate) = mpsc::channel::<()>();
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = Arc::clone(&order);
        defer(Box::new(move || {
            // Stands for Go's initialisation: blocks until released.
            gate.recv().ok();
            first.lock().unwrap().push("first");
        }));
        defer(Box::new(|| panic!("a failing registration must not wedge the queue")));
        let second = Arc::clone(&order);
        let waited_inside = Arc::new(AtomicBool::new(false));
        let inside = Arc::clone(&waited_inside);
        defer(Box::new(move || {
            // A job's own call into Go must not wait for its queue.
            wait_for_queued();
            inside.store(true, Ordering::SeqCst);
            second.lock().unwrap().push("second");
        }));
        // defer returned while the first job is blocked: the caller goes on.
        assert!(order.lock().unwrap().is_empty());

        let waiter = std::thread::spawn(wait_for_queued);
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "waiting ended before the queued jobs ran");
        release.send(()).unwrap();
        waiter.join().unwrap();
        assert_eq!(*order.lock().unwrap(), ["first", "second"]);
        assert!(waited_inside.load(Ordering::SeqCst));
        assert_eq!(*lock(&PENDING), 0);

        // A job no starter thread could take runs where it was queued, and
        // its own call into Go must not wait for itself.
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            *lock(&PENDING) += 1;
            run_in_place_of_starter(Box::new(wait_for_queued));
            done.send(ON_STARTER.get()).unwrap();
        });
        let still_starter = finished
            .recv_timeout(Duration::from_secs(10))
            .expect("a job run in place of the starter waited for itself");
        assert!(!still_starter, "the thread must stop standing in for the starter with the job");
        assert_eq!(*lock(&PENDING), 0);
    }
}
