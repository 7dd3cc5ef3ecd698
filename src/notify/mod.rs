//! Telling others about drift: webhooks (a JSON POST per drifted object,
//! retried with backoff, optionally signed with HMAC-SHA256) and log lines.
//!
//! Deliveries go through an [`Outbox`]: queued, posted by a worker thread,
//! never on the path of the caller.
//!
//! Payloads carry what the drift report carries, which the shim has
//! already redacted for Secrets: secret values never leave the process.

mod outbox;
pub mod webhook;

pub use outbox::{EVENT_DEADLINE, Outbox, QUEUE};
pub use webhook::{Webhook, WebhookEvent, deliver};
