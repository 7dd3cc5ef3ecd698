//! Webhook delivery: `POST url` with a JSON body, `Content-Type:
//! application/json`, `X-Helmfire-Event: drift`, and, when the webhook has
//! a key, `X-Helmfire-Signature: sha256=<hex HMAC-SHA256 of the body>`.
//! A failure (network error or a non-2xx answer) is retried with
//! exponential backoff; the last error is returned.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::helm::{DriftField, DriftObject};

/// A receiver, with its key resolved from the environment.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Where to POST.
    pub url: String,
    /// HMAC key, when the webhook is signed.
    pub secret: Option<Vec<u8>>,
    /// Attempts before giving up (at least 1).
    pub attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Webhook {
    /// A webhook from the state's spec: the key comes from the environment
    /// variable it names (an unset variable is an error: a signed webhook
    /// sent unsigned would be refused or, worse, trusted).
    pub fn from_spec(spec: &crate::state::WebhookSpec) -> anyhow::Result<Webhook> {
        let secret = if spec.secret_env.is_empty() {
            None
        } else {
            let value = std::env::var(&spec.secret_env).map_err(|_| {
                anyhow::anyhow!(
                    "webhook {}: its secretEnv names {}, which is not set; export it or drop secretEnv",
                    spec.url,
                    spec.secret_env
                )
            })?;
            Some(value.into_bytes())
        };
        Ok(Webhook { url: spec.url.clone(), secret, attempts: 4, backoff: Duration::from_millis(500) })
    }
}

/// One notification: an object of a release that drifted (and whether it
/// was healed).
#[derive(Debug, Clone, Serialize)]
pub struct WebhookEvent<'a> {
    /// Always `drift`.
    pub event: &'static str,
    /// Release name.
    pub release: &'a str,
    /// Release namespace.
    pub namespace: &'a str,
    /// The deployed revision compared.
    pub revision: i64,
    /// The object.
    pub object: ObjectRef<'a>,
    /// `changed` or `deleted`.
    pub state: &'a str,
    /// The fields, with the declared (before) and live (after) values.
    pub fields: &'a [DriftField],
    /// Whether helmfire re-applied it.
    pub healed: bool,
    /// Managers whose changes healing took back.
    pub taken_from: &'a [String],
}

/// Names an object.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectRef<'a> {
    /// apiVersion.
    pub api_version: &'a str,
    /// kind.
    pub kind: &'a str,
    /// Namespace.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
}

impl<'a> WebhookEvent<'a> {
    /// The event of a drifted object.
    pub fn drift(release: &'a str, namespace: &'a str, revision: i64, object: &'a DriftObject) -> Self {
        WebhookEvent {
            event: "drift",
            release,
            namespace,
            revision,
            object: ObjectRef {
                api_version: &object.api_version,
                kind: &object.kind,
                namespace: &object.namespace,
                name: &object.name,
            },
            state: &object.state,
            fields: &object.fields,
            healed: object.healed,
            taken_from: &object.taken_from,
        }
    }
}

/// POSTs an event, retrying with backoff. Blocking: call it from a
/// blocking thread.
pub fn deliver(hook: &Webhook, event: &WebhookEvent<'_>) -> anyhow::Result<()> {
    deliver_value(hook, &serde_json::to_value(event)?, std::time::Instant::now() + super::outbox::EVENT_DEADLINE)
}

/// [`deliver`] of an event already turned into JSON (it can then move to
/// another thread), giving up at `deadline`.
pub fn deliver_value(hook: &Webhook, event: &serde_json::Value, deadline: std::time::Instant) -> anyhow::Result<()> {
    let body = serde_json::to_vec(event)?;
    let kind = event.get("event").and_then(|e| e.as_str()).unwrap_or("drift").to_string();
    let signature = hook.secret.as_deref().map(|key| sign(key, &body));
    let remaining = deadline.saturating_duration_since(std::time::Instant::now());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(remaining.min(Duration::from_secs(10))))
        .http_status_as_error(false)
        .build()
        .into();
    let mut delay = hook.backoff;
    let mut last = String::new();
    for attempt in 1..=hook.attempts.max(1) {
        let mut request = agent
            .post(&hook.url)
            .header("Content-Type", "application/json")
            .header("X-Helmfire-Event", &kind)
            .header("X-Helmfire-Delivery-Attempt", attempt.to_string());
        if let Some(signature) = &signature {
            request = request.header("X-Helmfire-Signature", format!("sha256={signature}"));
        }
        match request.send(&body[..]) {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => last = format!("it answered {}", response.status()),
            Err(e) => last = e.to_string(),
        }
        if attempt < hook.attempts {
            if std::time::Instant::now() + delay >= deadline {
                anyhow::bail!("webhook {} gave up after {attempt} attempt(s) at its deadline: {last}", hook.url);
            }
            std::thread::sleep(delay);
            delay *= 2;
        }
    }
    anyhow::bail!("webhook {} failed after {} attempts: {last}", hook.url, hook.attempts.max(1))
}

/// Hex HMAC-SHA256 of `body` under `key`.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
