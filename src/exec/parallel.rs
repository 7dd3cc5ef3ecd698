//! CPU-bound work spread over threads, with the results in input order.
//!
//! For synchronous work between the async stages (resolving every release's
//! values before anything renders): each item is a call into the shim that
//! blocks its thread, so a thread per CPU keeps every core busy where one
//! loop would leave all but one idle.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `work` applied to every item on up to one thread per CPU; the results in
/// the order of `items`. A panic in `work` is propagated, as from a loop.
pub fn map_in_order<T, R, F>(items: &[T], work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let threads = cpus.min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    // Items are taken one at a time from a shared counter: their costs vary
    // (one release's values may fetch a remote file), so fixed chunks would
    // leave a thread idle while another still has a queue.
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else { break };
                        let result = work(item);
                        *results[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    }
                })
            })
            .collect();
        // Joined here, not by the scope, so that a panic reaches the caller
        // with its own message.
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was taken by a thread that finished (a panic would have propagated)")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let squares = map_in_order(&items, |n| n * n);
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
    }

    #[test]
    fn work_runs_on_more_than_one_thread_when_there_are_cpus() {
        let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let items: Vec<u32> = (0..64).collect();
        let threads = map_in_order(&items, |_| {
            // Long enough that one thread cannot take every item first.
            std::thread::sleep(std::time::Duration::from_millis(2));
            std::thread::current().id()
        });
        let distinct: HashSet<_> = threads.into_iter().collect();
        assert!(distinct.len() <= cpus, "at most one thread per CPU: {} threads for {cpus} CPUs", distinct.len());
        if cpus > 1 {
            assert!(distinct.len() > 1, "the items all ran on one thread with {cpus} CPUs");
        }
    }

    #[test]
    fn no_items_no_results() {
        let none: Vec<u8> = Vec::new();
        assert!(map_in_order(&none, |n| *n).is_empty());
    }

    #[test]
    #[should_panic(expected = "item 7")]
    fn a_panic_in_the_work_reaches_the_caller() {
        let items: Vec<u32> = (0..16).collect();
        map_in_order(&items, |n| if *n == 7 { panic!("item 7") } else { *n });
    }
}
