//! The layers stay layered: lower layers never reach up, and a newcomer can
//! trust the "must not import" column of docs/ARCHITECTURE.md.

use std::path::{Path, PathBuf};

use crate::util::repo_root;

/// Every `.rs` file under `src/<layer>` (recursively), with its text.
fn sources(layer: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let dir = repo_root().join("src").join(layer);
    let mut paths = Vec::new();
    walk(&dir, &mut paths);
    assert!(!paths.is_empty(), "no sources in {}", dir.display());
    paths.into_iter().map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap())).collect()
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
fn yaml_stands_alone() {
    for (path, text) in sources("yaml") {
        let uses: Vec<&str> = text.lines().filter(|l| l.contains("crate::") && !l.contains("crate::yaml")).collect();
        assert!(uses.is_empty(), "{path} reaches into the crate: {uses:?}");
    }
}

#[test]
fn state_reads_files_only() {
    assert_does_not_use("state", &["exec", "helm", "output", "commands", "cli", "pipeline", "watch", "daemon"]);
}

#[test]
fn plan_is_pure() {
    assert_does_not_use("plan", &["exec", "helm", "output", "commands", "cli", "pipeline", "watch", "daemon"]);
}

#[test]
fn helm_knows_nothing_of_helmfile() {
    assert_does_not_use("helm", &["state", "exec", "output", "commands", "cli", "pipeline", "watch", "daemon"]);
}

#[test]
fn exec_runs_work_without_knowing_what_it_is() {
    assert_does_not_use("exec", &["state", "output", "commands", "cli", "pipeline", "watch", "daemon"]);
}

#[test]
fn the_pipeline_never_calls_a_command_or_a_loop() {
    assert_does_not_use("pipeline", &["commands", "watch", "daemon"]);
}

#[test]
fn the_loops_use_the_pipeline_not_the_commands() {
    assert_does_not_use("watch", &["commands", "daemon"]);
    assert_does_not_use("daemon", &["commands"]);
}

#[test]
fn the_cli_grammar_does_not_know_the_commands() {
    assert_does_not_use("cli", &["commands", "pipeline", "watch", "daemon"]);
    let args = std::fs::read_to_string(repo_root().join("src/cli/args.rs")).unwrap();
    assert!(!args.contains("settings::"), "cli/args.rs parses only; settings.rs resolves what it parsed");
}

#[test]
fn unsafe_code_lives_only_in_the_ffi_module() {
    let mut offenders = Vec::new();
    for (path, text) in sources("") {
        if text.contains("unsafe ") && !path.ends_with("helm/ffi.rs") && !path.ends_with("helm/bindings.rs") {
            offenders.push(path);
        }
    }
    assert!(offenders.is_empty(), "unsafe outside helm/ffi.rs: {offenders:?}");
}
