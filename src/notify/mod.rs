//! Telling others about drift: webhooks (a JSON POST per drifted object,
//! retried with backoff, optionally signed with HMAC-SHA256) and log lines.
//!
//! Payloads carry what the drift report carries, which the shim has
//! already redacted for Secrets: secret values never leave the process.

pub mod webhook;

pub use webhook::{Webhook, WebhookEvent, deliver};
