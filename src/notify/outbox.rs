//! Deliveries off the caller's path: events are queued (a bounded queue)
//! and one worker thread posts them, so a slow or dead receiver never
//! stalls the daemon's loop, which also serves syncs and its API. A full
//! queue drops the event with a warning; each event has an overall
//! deadline across its retries. A one-shot command waits for the queue to
//! drain (with a deadline) before it exits.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::webhook::{Webhook, deliver_value};

/// Events waiting at most; more are dropped with a warning.
pub const QUEUE: usize = 256;

/// How long one event may take, retries included.
pub const EVENT_DEADLINE: Duration = Duration::from_secs(30);

/// Where warnings about deliveries go.
pub type Warn = Arc<dyn Fn(&str) + Send + Sync>;

/// The delivery queue; its worker starts with the first event.
pub struct Outbox {
    warn: Warn,
    sender: OnceLock<SyncSender<(Webhook, serde_json::Value)>>,
    pending: Arc<(Mutex<usize>, Condvar)>,
    context: Mutex<serde_json::Map<String, serde_json::Value>>,
}

impl Outbox {
    /// An outbox that warns through `warn`.
    pub fn new(warn: Warn) -> Outbox {
        Outbox {
            warn,
            sender: OnceLock::new(),
            pending: Arc::new((Mutex::new(0), Condvar::new())),
            context: Mutex::new(serde_json::Map::new()),
        }
    }

    /// Adds `key: value` to every event sent from now on (the daemon's
    /// source revision), where the event has no such key of its own.
    pub fn annotate(&self, key: &str, value: serde_json::Value) {
        if let Ok(mut context) = self.context.lock() {
            context.insert(key.to_string(), value);
        }
    }

    /// Queues one event for `hook`; never blocks.
    pub fn send(&self, hook: Webhook, mut event: serde_json::Value) {
        if let (Some(fields), Ok(context)) = (event.as_object_mut(), self.context.lock()) {
            for (key, value) in context.iter() {
                fields.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        let sender = self.sender.get_or_init(|| self.start());
        let (count, _) = &*self.pending;
        if let Ok(mut n) = count.lock() {
            *n += 1;
        }
        if let Err(e) = sender.try_send((hook, event)) {
            self.done();
            let why = match e {
                TrySendError::Full(_) => "the queue is full (a receiver is slow)",
                TrySendError::Disconnected(_) => "the delivery worker stopped",
            };
            (self.warn)(&format!("drift notification dropped: {why}"));
        }
    }

    /// Waits until every queued event was delivered or given up, at most
    /// `deadline`; says how many were left.
    pub fn flush(&self, deadline: Duration) {
        let (count, drained) = &*self.pending;
        let Ok(guard) = count.lock() else { return };
        let (left, _) = drained.wait_timeout_while(guard, deadline, |n| *n > 0).unwrap_or_else(|e| e.into_inner());
        if *left > 0 {
            (self.warn)(&format!("{} drift notification(s) not delivered before helmfire exits", *left));
        }
    }

    fn start(&self) -> SyncSender<(Webhook, serde_json::Value)> {
        let (sender, receiver) = sync_channel(QUEUE);
        let warn = Arc::clone(&self.warn);
        let pending = Arc::clone(&self.pending);
        std::thread::Builder::new()
            .name("helmfire-webhooks".into())
            .spawn(move || work(receiver, warn, pending))
            .expect("spawning a thread for webhook deliveries");
        sender
    }

    fn done(&self) {
        finished(&self.pending);
    }
}

fn finished(pending: &(Mutex<usize>, Condvar)) {
    let (count, drained) = pending;
    if let Ok(mut n) = count.lock() {
        *n = n.saturating_sub(1);
        drained.notify_all();
    }
}

fn work(receiver: Receiver<(Webhook, serde_json::Value)>, warn: Warn, pending: Arc<(Mutex<usize>, Condvar)>) {
    for (hook, event) in receiver {
        let started = Instant::now();
        if let Err(e) = deliver_value(&hook, &event, started + EVENT_DEADLINE) {
            warn(&format!("drift notification not delivered: {e}"));
        }
        finished(&pending);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_receiver_never_blocks_the_sender_and_flush_gives_up_on_time() {
        let warnings = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&warnings);
        let outbox = Outbox::new(Arc::new(move |w: &str| log.lock().unwrap().push(w.to_string())));
        // Nothing listens on port 9 of loopback: every attempt fails fast.
        let hook = Webhook {
            url: "http://127.0.0.1:9/".into(),
            secret: None,
            attempts: 2,
            backoff: Duration::from_millis(10),
        };
        let started = Instant::now();
        for _ in 0..3 {
            outbox.send(hook.clone(), serde_json::json!({"event": "drift"}));
        }
        assert!(started.elapsed() < Duration::from_millis(100), "sending queues, never waits");
        outbox.flush(Duration::from_secs(20));
        let warnings = warnings.lock().unwrap();
        assert_eq!(warnings.iter().filter(|w| w.contains("not delivered")).count(), 3, "{warnings:?}");
    }
}
