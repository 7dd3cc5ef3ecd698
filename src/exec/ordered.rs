//! Concurrent work whose results come out in input order.

use std::collections::BTreeMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::ops::ControlFlow;
use tokio::task::JoinSet;

/// How many tasks may run at once. helmfile's `--concurrency 0` means no
/// limit, which is [`Concurrency::Unlimited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Concurrency {
    /// No limit.
    #[default]
    Unlimited,
    /// At most this many.
    AtMost(NonZeroUsize),
}

impl Concurrency {
    /// helmfile's flag value: 0 is unlimited.
    pub fn from_flag(n: usize) -> Self {
        NonZeroUsize::new(n).map_or(Concurrency::Unlimited, Concurrency::AtMost)
    }

    /// In-process work is CPU-bound where helm's processes were not: "no
    /// limit" becomes `per_cpu` tasks per CPU, which is faster and keeps
    /// memory flat (a render or a schema parse per task in flight).
    /// An explicit limit is kept as given.
    pub fn for_in_process(self, per_cpu: usize) -> Concurrency {
        match self {
            Concurrency::Unlimited => {
                let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
                Concurrency::AtMost(NonZeroUsize::new((cpus * per_cpu).max(1)).unwrap_or(NonZeroUsize::MIN))
            }
            limited => limited,
        }
    }

    /// Permits for `tasks` tasks: never more than there are tasks, which
    /// also keeps an absurd `--concurrency` within what a semaphore holds.
    pub(super) fn permits(self, tasks: usize) -> usize {
        match self {
            Concurrency::Unlimited => tasks.max(1),
            Concurrency::AtMost(n) => n.get().min(tasks.max(1)),
        }
    }
}

/// Runs `task` on every item with at most `limit` running at once, and hands
/// each result to `emit` in input order as soon as every earlier result has
/// been emitted, so output streams while later items still run.
pub async fn run_ordered<T, R, F, Fut>(items: Vec<T>, limit: Concurrency, task: F, mut emit: impl FnMut(usize, R))
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    run_ordered_until(items, limit, task, |index, result| {
        emit(index, result);
        ControlFlow::Continue(())
    })
    .await;
}

/// [`run_ordered`], stopping when `emit` says so: the tasks still running
/// are dropped (their shim calls cancelled) and the rest never start (a
/// reader that went away, as with `template | head`).
pub async fn run_ordered_until<T, R, F, Fut>(
    items: Vec<T>,
    limit: Concurrency,
    task: F,
    mut emit: impl FnMut(usize, R) -> ControlFlow<()>,
) where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    // Tasks start in input order, one as another finishes: with a limit,
    // the first results come first (a reader sees output at once and
    // `| head` stops the run early) and finished results never pile up
    // behind a straggler started late.
    let permits = limit.permits(items.len());
    let mut waiting = items.into_iter().enumerate();
    let mut running = JoinSet::new();
    let mut pending = BTreeMap::new();
    let mut next = 0;
    loop {
        while running.len() < permits {
            let Some((index, item)) = waiting.next() else { break };
            let fut = task(item);
            running.spawn(async move { (index, fut.await) });
        }
        let Some(joined) = running.join_next().await else { break };
        // A panicking task is a bug; surface it rather than dropping a result.
        let (index, result) = match joined {
            Ok(done) => done,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        pending.insert(index, result);
        while let Some(result) = pending.remove(&next) {
            if emit(next, result).is_break() {
                running.abort_all();
                return;
            }
            next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn results_come_out_in_input_order_even_when_finishing_out_of_order() {
        let delays = vec![30u64, 1, 10, 0];
        let mut seen = Vec::new();
        run_ordered(
            delays.clone(),
            Concurrency::Unlimited,
            |ms| async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                ms
            },
            |i, r| seen.push((i, r)),
        )
        .await;
        assert_eq!(seen, vec![(0, 30), (1, 1), (2, 10), (3, 0)]);
    }

    #[tokio::test]
    async fn the_limit_bounds_how_many_run_at_once() {
        let active = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let limit = Concurrency::from_flag(2);
        run_ordered(
            (0..8).collect::<Vec<_>>(),
            limit,
            |_| {
                let (active, peak) = (Arc::clone(&active), Arc::clone(&peak));
                async move {
                    let now = active.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    peak.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    active.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            },
            |_, _| {},
        )
        .await;
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn with_a_limit_tasks_start_in_input_order() {
        // Spawned all at once from a worker thread (as commands run), tasks
        // would race for the permits, the newest first (tokio runs a
        // worker's latest spawn next), and the first result could come
        // last: a `template | head` rendering everything before printing.
        let started = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&started);
        tokio::spawn(async move {
            run_ordered(
                (0..40).collect::<Vec<_>>(),
                Concurrency::from_flag(1),
                |i| {
                    let log = Arc::clone(&log);
                    async move {
                        log.lock().unwrap().push(i);
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                },
                |_, _| {},
            )
            .await;
        })
        .await
        .unwrap();
        assert_eq!(*started.lock().unwrap(), (0..40).collect::<Vec<_>>());
    }
}
