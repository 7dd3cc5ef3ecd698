//! The layers stay layered: lower layers never reach up.

use crate::util::repo_root;

fn sources(layer: &str) -> Vec<(String, String)> {
    let dir = repo_root().join("src").join(layer);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            files.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    assert!(!files.is_empty(), "no sources in {}", dir.display());
    files
}

fn assert_does_not_use(layer: &str, forbidden: &[&str]) {
    for (path, text) in sources(layer) {
        for module in forbidden {
            assert!(
                !text.contains(&format!("crate::{module}")),
                "{path} uses crate::{module}; `{layer}` must not depend on it"
            );
        }
    }
}

#[test]
fn state_reads_files_only() {
    assert_does_not_use("state", &["exec", "helm", "output", "commands", "cli"]);
}

#[test]
fn plan_is_pure() {
    assert_does_not_use("plan", &["exec", "helm", "output", "commands", "cli"]);
}

#[test]
fn helm_knows_nothing_of_helmfile() {
    assert_does_not_use("helm", &["state", "exec", "output", "commands", "cli"]);
}

#[test]
fn exec_runs_work_without_knowing_what_it_is() {
    assert_does_not_use("exec", &["state", "output", "commands", "cli"]);
}

#[test]
fn unsafe_code_lives_only_in_the_ffi_module() {
    let mut offenders = Vec::new();
    for layer in ["", "cli", "commands", "exec", "helm", "output", "plan", "state"] {
        let dir = repo_root().join("src").join(layer);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("helm/ffi.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                if text.contains("unsafe ") && !path.ends_with("helm/bindings.rs") {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(offenders.is_empty(), "unsafe outside helm/ffi.rs: {offenders:?}");
}
