//! helmfire never executes a helm binary: with a booby-trapped `helm` first
//! on PATH, rendering works and the trap is never sprung.

use std::os::unix::fs::PermissionsExt;

use crate::util::Workspace;

#[test]
fn template_never_runs_helm() {
    let ws = Workspace::new();
    let trap = ws.path().join("trap");
    let marker = ws.path().join("helm-was-run");
    let script = ws.write("trap/helm", &format!("#!/bin/sh\ntouch {}\nexit 1\n", marker.display()));
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    ws.write("helmfile.yaml", &format!("releases:\n- name: a\n  chart: {}\n", ws.chart_copy("subchart").display()));

    let out = ws.helmfire().env("PATH", format!("{}:/usr/bin:/bin", trap.display())).arg("template").output().unwrap();
    let stdout = assert_success!(out);
    assert!(stdout.contains("name: a-child"));
    assert!(!marker.exists(), "helmfire ran the helm on PATH");
}
