//! Live tracking of what a release deploys (helmfile's trackMode and
//! track* keys), against the test cluster: its scheduler and kwok make
//! Pods run, or fail to schedule, for real.

use std::time::{Duration, Instant};

use crate::cluster::{helmfire, namespace};
use crate::util::{Workspace, chart};

/// A state of one release of the `rollout` chart with `keys`;
/// `schedulable: false` gives its Pods a node selector no node has.
fn state(ns: &str, schedulable: bool, keys: &str) -> String {
    format!(
        "releases:\n- name: web\n  namespace: {ns}\n  chart: {}\n  values:\n  - schedulable: {schedulable}\n{keys}",
        chart("rollout").display()
    )
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_deployment_that_never_becomes_ready_says_why_within_the_timeout() {
    let ws = Workspace::new();
    let ns = namespace("track-stuck");
    ws.write("helmfile.yaml", &state(&ns, false, "  wait: true\n  timeout: 5\n"));
    let started = Instant::now();
    let out = helmfire(&ws, &["sync"]);
    assert!(started.elapsed() < Duration::from_secs(40), "took {:?}", started.elapsed());
    assert_clean_failure!(
        out,
        "release `web`",
        "Deployment/web is not ready",
        "cannot be scheduled",
        "node affinity/selector"
    );
    let text = stderr(&out);
    // The same facts as they happened, before the error.
    assert!(text.contains("release web: tracking 2 objects"), "{text}");
    assert!(text.contains("release web: Deployment/web: Available: 0/2"), "{text}");
    assert!(text.contains("release web: pod/web-"), "{text}");
    // Two replicas failing alike are said once, not twice.
    assert!(text.contains("2 pods (web-"), "{text}");
}

#[test]
fn kubedog_mode_follows_a_rollout_until_it_is_ready() {
    let ws = Workspace::new();
    let ns = namespace("track-kubedog");
    ws.write("helmfile.yaml", &state(&ns, true, "  trackMode: kubedog\n"));
    let out = helmfire(&ws, &["sync"]);
    assert_success!(out);
    let text = stderr(&out);
    assert!(text.contains("release web: Deployment/web: ready (Deployment is available. Replicas: 2)"), "{text}");
    // A ConfigMap is ready from the start: no news, no line.
    assert!(!text.contains("ConfigMap/web-config"), "{text}");
}

#[test]
fn kubedog_tracking_that_does_not_converge_warns_or_fails_as_asked() {
    let ws = Workspace::new();
    let ns = namespace("track-converge");
    ws.write("helmfile.yaml", &state(&ns, false, "  trackMode: kubedog\n  trackTimeout: 3\n"));
    let warned = helmfire(&ws, &["sync"]);
    assert_success!(warned);
    let text = stderr(&warned);
    assert!(text.contains("tracking release web: Deployment/web not ready after 3s"), "{text}");
    assert!(text.contains("cannot be scheduled"), "{text}");

    // --track-fail-on-error (or trackFailOnError) makes it the release's
    // failure; --track-timeout applies where the release sets none.
    let failed = helmfire(&ws, &["sync", "--track-fail-on-error", "--track-timeout", "2"]);
    assert_clean_failure!(failed, "release `web`", "not ready after 3s");
    ws.write("helmfile.yaml", &state(&ns, false, "  trackMode: kubedog\n"));
    let failed = helmfire(&ws, &["sync", "--track-fail-on-error", "--track-timeout", "2"]);
    assert_clean_failure!(failed, "release `web`", "not ready after 2s", "cannot be scheduled");
}

#[test]
fn track_kinds_choose_what_is_followed() {
    let ws = Workspace::new();
    let ns = namespace("track-kinds");
    ws.write(
        "helmfile.yaml",
        &state(&ns, false, "  trackMode: kubedog\n  trackTimeout: 2\n  trackKinds: [ConfigMap]\n"),
    );
    let out = helmfire(&ws, &["sync"]);
    assert_success!(out);
    let text = stderr(&out);
    assert!(text.contains("release web: tracking 1 objects"), "{text}");
    assert!(!text.contains("Deployment/web") && !text.contains("not ready"), "{text}");
}

#[test]
fn an_unknown_track_mode_is_refused_before_anything_runs() {
    let ws = Workspace::new();
    let ns = namespace("track-mode");
    ws.write("helmfile.yaml", &state(&ns, true, "  trackMode: kubedogg\n"));
    assert_clean_failure!(
        helmfire(&ws, &["sync"]),
        "trackMode must be 'helm', 'helm-legacy', or 'kubedog', got: kubedogg"
    );
}
