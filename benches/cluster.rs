//! `diff` and a no-op `apply` of 50 releases against the test cluster
//! (scripts/test-cluster), timed end to end with the helmfire binary.
//!
//! Run: `cargo bench --bench cluster` (starts the test cluster unless
//! HELMFIRE_TEST_KUBECONFIG points at one; stop it with
//! `scripts/test-cluster stop`).

#![allow(clippy::print_stdout)] // a bench's report is its output

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RELEASES: usize = 50;

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let runs = if smoke { 1 } else { 5 };
    let kubeconfig = kubeconfig();
    let dir = tempfile::tempdir().unwrap();
    let namespace = format!("bench-{}", std::process::id());
    let releases = if smoke { 3 } else { RELEASES };
    write_helmfile(dir.path(), &namespace, releases);

    run(dir.path(), &kubeconfig, &["sync", "--concurrency", "8"]);
    let diff = time(runs, || run(dir.path(), &kubeconfig, &["diff", "--concurrency", "8", "--detailed-exitcode"]));
    let apply = time(runs, || run(dir.path(), &kubeconfig, &["apply", "--concurrency", "8"]));
    println!(
        "cluster: {releases} releases: diff (nothing changed) median {diff:?}; no-op apply median {apply:?} over {runs} runs"
    );
    run(dir.path(), &kubeconfig, &["destroy", "--concurrency", "8"]);
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn run(dir: &Path, kubeconfig: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_helmfire"))
        .args(args)
        .arg("-q")
        .current_dir(dir)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .expect("run helmfire");
    assert!(out.status.success(), "helmfire {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn write_helmfile(dir: &Path, namespace: &str, releases: usize) {
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/charts/named-templates");
    let mut text = String::from("releases:\n");
    for i in 0..releases {
        writeln!(
            text,
            "- name: r{i:02}\n  namespace: {namespace}\n  chart: {chart}\n  set:\n  - name: name\n    value: svc{i}"
        )
        .unwrap();
    }
    std::fs::write(dir.join("helmfile.yaml"), text).unwrap();
}

fn kubeconfig() -> PathBuf {
    if let Some(path) = std::env::var_os("HELMFIRE_TEST_KUBECONFIG") {
        return PathBuf::from(path);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-cluster");
    assert!(Command::new(script).arg("build").status().unwrap().success(), "building the test cluster failed");
    let dir = std::env::temp_dir().join("helmfire-test-cluster-cargo");
    let out = Command::new(script).arg("start").arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}
