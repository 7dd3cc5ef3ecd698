//! Running tasks that depend on each other: each task starts as soon as
//! every task it needs has succeeded (not batch by batch), at most `limit`
//! at once; a task whose need failed or was skipped is skipped, and the
//! others go on.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::ordered::Concurrency;

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome<R, E> {
    /// It ran and succeeded.
    Done(R),
    /// It ran and failed.
    Failed(E),
    /// It did not run: the task at this index, which it needs, failed or
    /// was skipped.
    Skipped {
        /// The need that did not succeed.
        because: usize,
    },
    /// It did not run: the run was cancelled before it could start.
    Cancelled,
}

/// One task: its input and the indices of the tasks it needs.
#[derive(Debug, Clone)]
pub struct Task<T> {
    /// What `work` gets.
    pub input: T,
    /// Indices (into the task list) of the tasks that must succeed first.
    pub needs: Vec<usize>,
}

/// Whether to start more tasks: checked before each start, so a Ctrl-C can
/// stop the run between tasks while the running ones finish.
pub trait StopSignal: Send + Sync {
    /// True once no new task should start.
    fn stopped(&self) -> bool;
}

/// Never stops.
#[derive(Debug, Default, Clone, Copy)]
pub struct NeverStop;

impl StopSignal for NeverStop {
    fn stopped(&self) -> bool {
        false
    }
}

/// Runs `tasks` as their needs allow and returns each one's outcome, in
/// task order. Needs must point at other tasks (a cycle leaves its tasks
/// `Cancelled`; the plan layer refuses cycles before this runs).
pub async fn run_dag<T, R, E, F, Fut>(
    tasks: Vec<Task<T>>,
    limit: Concurrency,
    stop: Arc<dyn StopSignal>,
    work: F,
) -> Vec<TaskOutcome<R, E>>
where
    T: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
{
    let count = tasks.len();
    let mut needs_left: Vec<usize> = tasks.iter().map(|t| t.needs.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (index, task) in tasks.iter().enumerate() {
        for &need in &task.needs {
            dependents[need].push(index);
        }
    }
    let mut inputs: Vec<Option<T>> = tasks.into_iter().map(|t| Some(t.input)).collect();
    let mut outcomes: Vec<Option<TaskOutcome<R, E>>> = (0..count).map(|_| None).collect();
    let mut ready: VecDeque<usize> = (0..count).filter(|&i| needs_left[i] == 0).collect();

    // A task starts only when a slot is free, in the order it became
    // ready: declaration order among equals, and a stop seen before a task
    // starts cancels it rather than letting it run later.
    let permits = limit.permits(count);
    let mut running = JoinSet::new();
    loop {
        while running.len() < permits {
            let Some(index) = ready.pop_front() else { break };
            if stop.stopped() {
                outcomes[index] = Some(TaskOutcome::Cancelled);
                continue;
            }
            let Some(input) = inputs[index].take() else { continue };
            let fut = work(input);
            running.spawn(async move { (index, fut.await) });
        }
        let Some(joined) = running.join_next().await else { break };
        let (index, result) = match joined {
            Ok(done) => done,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        let succeeded = result.is_ok();
        outcomes[index] = Some(match result {
            Ok(r) => TaskOutcome::Done(r),
            Err(e) => TaskOutcome::Failed(e),
        });
        if succeeded {
            for &dependent in &dependents[index] {
                needs_left[dependent] -= 1;
                if needs_left[dependent] == 0 {
                    ready.push_back(dependent);
                }
            }
        } else {
            skip_dependents(index, &dependents, &mut outcomes, &mut inputs);
        }
    }
    outcomes.into_iter().map(|o| o.unwrap_or(TaskOutcome::Cancelled)).collect()
}

/// Marks every task that (transitively) needs `failed` as skipped.
fn skip_dependents<T, R, E>(
    failed: usize,
    dependents: &[Vec<usize>],
    outcomes: &mut [Option<TaskOutcome<R, E>>],
    inputs: &mut [Option<T>],
) {
    let mut stack = vec![failed];
    while let Some(index) = stack.pop() {
        for &dependent in &dependents[index] {
            if outcomes[dependent].is_none() && inputs[dependent].take().is_some() {
                outcomes[dependent] = Some(TaskOutcome::Skipped { because: index });
                stack.push(dependent);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    /// A stop signal a task can raise.
    struct Flag(AtomicBool);

    impl StopSignal for Flag {
        fn stopped(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn task(input: u32, needs: &[usize]) -> Task<u32> {
        Task { input, needs: needs.to_vec() }
    }

    #[tokio::test]
    async fn needs_run_first_and_independent_tasks_do_not_wait_for_batches() {
        // 0 is slow; 1 needs 0; 2 is independent and should finish before 1.
        let order = Arc::new(Mutex::new(Vec::new()));
        let tasks = vec![task(0, &[]), task(1, &[0]), task(2, &[])];
        let log = Arc::clone(&order);
        let outcomes = run_dag(tasks, Concurrency::Unlimited, Arc::new(NeverStop), move |n| {
            let log = Arc::clone(&log);
            async move {
                tokio::time::sleep(Duration::from_millis(if n == 0 { 30 } else { 1 })).await;
                log.lock().unwrap().push(n);
                Ok::<u32, ()>(n)
            }
        })
        .await;
        assert_eq!(outcomes, vec![TaskOutcome::Done(0), TaskOutcome::Done(1), TaskOutcome::Done(2)]);
        assert_eq!(*order.lock().unwrap(), vec![2, 0, 1]);
    }

    #[tokio::test]
    async fn a_failure_skips_its_dependents_only() {
        let tasks = vec![task(0, &[]), task(1, &[0]), task(2, &[1]), task(3, &[])];
        let outcomes = run_dag(tasks, Concurrency::from_flag(1), Arc::new(NeverStop), |n| async move {
            if n == 0 { Err("boom") } else { Ok(n) }
        })
        .await;
        assert_eq!(
            outcomes,
            vec![
                TaskOutcome::Failed("boom"),
                TaskOutcome::Skipped { because: 0 },
                TaskOutcome::Skipped { because: 1 },
                TaskOutcome::Done(3),
            ]
        );
    }

    #[tokio::test]
    async fn a_stop_lets_running_tasks_finish_and_starts_no_more() {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let tasks = vec![task(0, &[]), task(1, &[0])];
        let setter = Arc::clone(&flag);
        let outcomes = run_dag(tasks, Concurrency::Unlimited, flag, move |n| {
            let setter = Arc::clone(&setter);
            async move {
                setter.0.store(true, Ordering::SeqCst);
                Ok::<u32, ()>(n)
            }
        })
        .await;
        assert_eq!(outcomes, vec![TaskOutcome::Done(0), TaskOutcome::Cancelled]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn with_a_limit_a_stop_cancels_the_tasks_still_waiting_for_a_slot() {
        // Ten independent tasks, one at a time; the third stops the run.
        // Tasks start in declaration order and the seven behind it never do.
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let started = Arc::new(Mutex::new(Vec::new()));
        let (setter, log) = (Arc::clone(&flag), Arc::clone(&started));
        let tasks = (0..10).map(|n| task(n, &[])).collect();
        let outcomes = run_dag(tasks, Concurrency::from_flag(1), flag, move |n| {
            let (setter, log) = (Arc::clone(&setter), Arc::clone(&log));
            async move {
                log.lock().unwrap().push(n);
                if n == 2 {
                    setter.0.store(true, Ordering::SeqCst);
                }
                Ok::<u32, ()>(n)
            }
        })
        .await;
        assert_eq!(*started.lock().unwrap(), vec![0, 1, 2]);
        assert_eq!(outcomes[..3], [TaskOutcome::Done(0), TaskOutcome::Done(1), TaskOutcome::Done(2)]);
        assert!(outcomes[3..].iter().all(|o| *o == TaskOutcome::Cancelled), "{outcomes:?}");
    }
}
