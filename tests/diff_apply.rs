//! diff and apply against a real API server: the diff sees the live
//! objects, so manual changes show up and apply takes them back.

use crate::cluster::{helmfire, namespace, patch, revision};
use crate::util::{Workspace, chart};

fn workspace(ns: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: cfg\n  namespace: {ns}\n  chart: {}\n", chart("files").display()),
    );
    ws
}

/// The chart's Secret holds scripts/start.sh; what the API server stores
/// (and a diff that leaked it would print) is its base64.
pub(crate) fn secret_value() -> String {
    use base64::Engine as _;
    let script = std::fs::read(chart("files").join("scripts/start.sh")).unwrap();
    base64::engine::general_purpose::STANDARD.encode(script)
}

#[test]
fn diff_shows_new_objects_and_nothing_once_synced() {
    let ns = namespace("diff");
    let ws = workspace(&ns);
    let out = helmfire(&ws, &["diff", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cfg-config, ConfigMap (v1) has been added:"), "{stdout}");
    assert!(stdout.contains("start.sh: '++++++++ # (23 bytes)'"), "Secret data is redacted: {stdout}");
    let coloured = helmfire(&ws, &["--color", "diff"]);
    assert!(String::from_utf8_lossy(&coloured.stdout).contains("\x1b[32m+ apiVersion: v1"), "--color colours diffs");
    let plain = helmfire(&ws, &["--no-color", "diff"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\x1b'), "--no-color does not");
    let secret = secret_value();
    assert!(!stdout.contains(&secret), "the Secret's data (base64) is never shown: {stdout}");
    // Without validation for a release not installed yet, the same diff.
    let unvalidated = helmfire(&ws, &["diff", "--skip-diff-validation-on-install"]);
    assert_eq!(String::from_utf8_lossy(&unvalidated.stdout), stdout);

    assert_success!(helmfire(&ws, &["sync"]));
    let out = helmfire(&ws, &["diff", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_manual_change_shows_in_diff_and_apply_takes_it_back() {
    let ns = namespace("drift");
    let ws = workspace(&ns);
    assert_success!(helmfire(&ws, &["sync"]));
    patch(&format!("/api/v1/namespaces/{ns}/configmaps/cfg-config"), r#"{"data":{"banner-lines":"99"}}"#);

    let out = helmfire(&ws, &["diff", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("has changed")
            && stdout.contains("-   banner-lines: \"99\"")
            && stdout.contains("+   banner-lines: \"2\""),
        "{stdout}"
    );

    // Server-side apply refuses fields another manager owns, and says so.
    let refused = helmfire(&ws, &["apply"]);
    assert_clean_failure!(refused, "release `cfg`");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--force-conflicts"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let before = revision(&ws, &ns, "cfg");
    assert_success!(helmfire(&ws, &["apply", "--force-conflicts"]));
    assert_eq!(revision(&ws, &ns, "cfg"), before + 1);
    let out = helmfire(&ws, &["diff", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "apply took the change back: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn apply_with_nothing_to_do_upgrades_nothing() {
    let ns = namespace("noop");
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: cfg\n  namespace: {ns}\n  chart: {}\n  hooks:\n  - events: [preapply]\n    command: sh\n    args: [-c, 'echo {{{{ .Event.Name }}}} >> hooks.log']\n",
            chart("files").display()
        ),
    );
    let out = helmfire(&ws, &["apply", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "a first apply installs: {}", String::from_utf8_lossy(&out.stderr));
    let out = helmfire(&ws, &["apply", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No affected releases"));
    assert_eq!(revision(&ws, &ns, "cfg"), 1);
    assert_eq!(std::fs::read_to_string(ws.path().join("hooks.log")).unwrap(), "preapply\npreapply\n");
}

#[test]
fn diff_json_carries_the_changes_and_the_failures() {
    let ns = namespace("diffjson");
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: cfg\n  namespace: {ns}\n  chart: {}\n- name: bad\n  namespace: {ns}\n  chart: {}\n",
            chart("files").display(),
            chart("broken").display()
        ),
    );
    let out = helmfire(&ws, &["diff", "--output", "json", "--suppress", "Secret"]);
    assert_eq!(out.status.code(), Some(1), "a failed release fails the diff");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = report["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["release"] == "cfg" && c["kind"] == "ConfigMap"), "{report}");
    assert!(changes.iter().all(|c| c["kind"] != "Secret"), "--suppress Secret leaves Secrets out: {report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(errors[0]["release"], "bad");
    assert!(errors[0]["message"].as_str().unwrap().contains("broken/templates/bad.yaml"), "{report}");
}

#[test]
fn a_release_suppress_output_line_regex_makes_matching_changes_no_change() {
    let ns = namespace("suppressre");
    let ws = Workspace::new();
    let state = |name: &str| {
        format!(
            "helmDefaults:\n  suppressOutputLineRegex: ['^\\s*team:', '^\\s*sha:']\nreleases:\n- name: cfg\n  namespace: {ns}\n  chart: {}\n  set:\n  - name: labels.team\n    value: {name}\n",
            chart("named-templates").display()
        )
    };
    ws.write("helmfile.yaml", &state("one"));
    assert_success!(helmfire(&ws, &["sync"]));
    // Only a suppressed line changes: no change, and apply upgrades nothing.
    ws.write("helmfile.yaml", &state("two"));
    let out = helmfire(&ws, &["diff", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_success!(helmfire(&ws, &["apply"]));
    assert_eq!(revision(&ws, &ns, "cfg"), 1);
}
