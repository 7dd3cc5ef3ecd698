//! `helmfire drift` against a real API server: a manual change and an
//! object deleted outside Helm are detected, reported to a webhook receiver
//! (signed), ignored when the state says so, and healed.

use crate::cluster::{api, helmfire, namespace, patch};
use crate::util::{Workspace, chart};
use crate::webhook_receiver::Receiver;

fn state(ns: &str, extra: &str) -> String {
    format!("{extra}releases:\n- name: cfg\n  namespace: {ns}\n  chart: {}\n", chart("files").display())
}

#[test]
fn manual_changes_and_deletions_are_detected_reported_and_healed() {
    let ns = namespace("drift-heal");
    let receiver = Receiver::start(&[500]);
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &state(&ns, &format!("helmfire:\n  webhooks:\n  - url: {}\n    secretEnv: HOOK_KEY\n", receiver.url)),
    );
    assert_success!(helmfire(&ws, &["sync"]));
    let clean = helmfire(&ws, &["drift"]);
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stderr));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("0 drifted object(s)"));

    patch(&format!("/api/v1/namespaces/{ns}/configmaps/cfg-config"), r#"{"data":{"banner-lines":"99"}}"#);
    api("DELETE", &format!("/api/v1/namespaces/{ns}/secrets/cfg-scripts"), "");

    let out = ws
        .helmfire()
        .env("KUBECONFIG", crate::cluster::kubeconfig())
        .env("HOOK_KEY", "k3y")
        .args(["drift"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "drift found: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("ConfigMap {ns}/cfg-config changed")), "{text}");
    assert!(text.contains("/data/banner-lines: \"2\" -> \"99\""), "{text}");
    assert!(text.contains(&format!("Secret {ns}/cfg-scripts deleted outside Helm")), "{text}");

    // Two objects, two notifications; the first answer (500) was retried.
    let received = receiver.received();
    assert_eq!(received.len(), 3, "{received:?}");
    let bodies: Vec<serde_json::Value> = received.iter().map(|r| serde_json::from_str(&r.body).unwrap()).collect();
    assert_eq!(bodies[0], bodies[1], "a retry sends the same event");
    let kinds: Vec<&str> = bodies[1..].iter().map(|b| b["object"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ConfigMap", "Secret"]);
    assert_eq!(bodies[1]["fields"][0]["declared"], "2");
    assert_eq!(bodies[1]["fields"][0]["live"], "99");
    for r in &received[1..] {
        let signature = r.header("X-Helmfire-Signature").expect("signed");
        assert_eq!(signature, format!("sha256={}", helmfire::notify::webhook::sign(b"k3y", r.body.as_bytes())));
        let secret = crate::diff_apply::secret_value();
        assert!(!r.body.contains(&secret), "no secret value (base64) in a payload: {}", r.body);
    }

    let json = helmfire(&ws, &["drift", "-o", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["releases"][0]["objects"].as_array().unwrap().len(), 2, "{report}");

    let healed = helmfire(&ws, &["drift", "--heal"]);
    assert_eq!(healed.status.code(), Some(2), "{}", String::from_utf8_lossy(&healed.stderr));
    assert!(String::from_utf8_lossy(&healed.stdout).contains("(healed"), "{}", String::from_utf8_lossy(&healed.stdout));
    let after = helmfire(&ws, &["drift"]);
    assert_eq!(after.status.code(), Some(0), "{}", String::from_utf8_lossy(&after.stdout));
    let live = api("GET", &format!("/api/v1/namespaces/{ns}/configmaps/cfg-config"), "");
    assert!(live.contains(r#""banner-lines": "2""#), "{live}");
    api("GET", &format!("/api/v1/namespaces/{ns}/secrets/cfg-scripts"), "");
}

#[test]
fn ignore_rules_in_the_state_silence_expected_drift() {
    let ns = namespace("drift-ignore");
    let ws = Workspace::new();
    let ignore = "helmfire:\n  drift:\n    ignore:\n    - kind: ConfigMap\n      paths: [/data/banner-lines]\n";
    ws.write("helmfile.yaml", &state(&ns, ignore));
    assert_success!(helmfire(&ws, &["sync"]));
    patch(&format!("/api/v1/namespaces/{ns}/configmaps/cfg-config"), r#"{"data":{"banner-lines":"99"}}"#);
    let out = helmfire(&ws, &["drift"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    ws.write("helmfile.yaml", &state(&ns, ""));
    let out = helmfire(&ws, &["drift"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_webhook_key_that_is_not_set_is_named() {
    let ns = namespace("drift-key");
    let receiver = Receiver::start(&[]);
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &state(&ns, &format!("helmfire:\n  webhooks:\n  - url: {}\n    secretEnv: NOT_SET_ANYWHERE\n", receiver.url)),
    );
    assert_success!(helmfire(&ws, &["sync"]));
    api("DELETE", &format!("/api/v1/namespaces/{ns}/secrets/cfg-scripts"), "");
    let out = helmfire(&ws, &["drift"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("NOT_SET_ANYWHERE, which is not set"), "{stderr}");
    assert!(receiver.received().is_empty(), "an unsigned delivery would be a mistake");
}
