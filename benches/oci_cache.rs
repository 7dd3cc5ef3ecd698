//! Time to first render of 50 releases sharing 5 OCI charts, with a cold
//! chart cache (every chart version pulled from a real registry on
//! loopback) and a warm one (nothing pulled).
//!
//! Run: `cargo bench --bench oci_cache`. Without `--bench` (as
//! `cargo test --benches` runs it) it does one small round as a smoke test.

#![allow(clippy::print_stdout)] // a bench's report is its output

#[allow(dead_code)]
#[path = "../tests/oci_registry.rs"]
mod oci_registry;
#[allow(dead_code)]
#[path = "../tests/util.rs"]
mod util;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let (charts, releases, runs) = if smoke { (1, 5, 1) } else { (5, 50, 5) };
    let registry = oci_registry::Registry::start();
    let work = tempfile::tempdir().unwrap();
    let chart_dirs: Vec<_> = (0..charts).map(|i| make_chart(work.path(), i)).collect();
    registry.push_charts("bench", &chart_dirs);
    write_helmfile(work.path(), &registry, charts, releases);

    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for run in 0..runs {
        let cache = work.path().join(format!("cache-{run}"));
        cold.push(time_template(work.path(), &cache));
        warm.push(time_template(work.path(), &cache));
    }
    println!(
        "oci_cache: {releases} releases sharing {charts} OCI charts: time to render, cold cache median {:?}, warm cache median {:?} ({runs} runs)",
        median(cold),
        median(warm)
    );
}

/// A copy of the named-templates fixture chart under another name.
fn make_chart(dir: &Path, i: usize) -> std::path::PathBuf {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/charts/named-templates");
    let chart = dir.join(format!("chart-{i}"));
    copy_dir(Path::new(fixture), &chart);
    std::fs::write(chart.join("Chart.yaml"), format!("apiVersion: v2\nname: chart-{i}\nversion: 1.0.{i}\n")).unwrap();
    chart
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn write_helmfile(dir: &Path, registry: &oci_registry::Registry, charts: usize, releases: usize) {
    let mut text = format!(
        "repositories:\n- name: bench\n  url: {}/bench\n  oci: true\n  plainHttp: true\nreleases:\n",
        registry.host
    );
    for r in 0..releases {
        let c = r % charts;
        writeln!(
            text,
            "- name: r{r:02}\n  chart: bench/chart-{c}\n  version: \"~1.0\"\n  set:\n  - name: name\n    value: svc{r}"
        )
        .unwrap();
    }
    std::fs::write(dir.join("helmfile.yaml"), text).unwrap();
}

fn time_template(dir: &Path, cache: &Path) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_helmfire"))
        .args(["template", "-q"])
        .current_dir(dir)
        .env("HELMFIRE_CACHE_HOME", cache)
        .env("HELM_CONFIG_HOME", dir.join(".helm/config"))
        .env("HELM_CACHE_HOME", dir.join(".helm/cache"))
        .output()
        .expect("run helmfire");
    let elapsed = start.elapsed();
    assert!(out.status.success(), "helmfire template failed: {}", String::from_utf8_lossy(&out.stderr));
    elapsed
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
