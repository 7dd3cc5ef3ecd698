//! The Helm SDK floor: the template workload rendered by the Helm SDK alone
//! (go-shim/internal/floor), two ways: inside a warm Go benchmark process by
//! `BenchmarkFloorTemplate` (go-shim/bench_floor_test.go), which leaves out
//! starting a process, and as a process of its own, go-shim/cmd/helm-floor,
//! started and timed as helmfire is: what any program that renders with the
//! SDK pays (start, the SDK's package initialisation), and nothing more.
//!
//! The floor gets each release's values already merged and rendered (the
//! `.gotmpl` file included) by `helmfire write-values`, so it measures chart
//! loading, values merging and rendering only: what no helmfile-compatible
//! tool can avoid. It is handed a manifest, `floor.json` in the workload
//! directory, and run with `go test -bench` in go-shim/.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use super::measure::{self, Sample};
use super::report::Floor;
use super::workload;

const GO_SHIM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/go-shim");

/// Writes the manifest for the workload in `dir` (generated with namespace
/// `bench`) and runs the Go benchmark, `runs` iterations each.
pub fn measure(helmfire: &Path, dir: &Path, runs: usize) -> Floor {
    eprintln!("vs_helmfile: Helm SDK floor (go test -bench BenchmarkFloorTemplate)");
    match prepare(helmfire, dir).and_then(|n| run_go(dir, n, runs)) {
        Ok(mut floor) => {
            if let Floor::Measured { process, .. } = &mut floor {
                *process = run_process(dir, runs);
            }
            floor
        }
        Err(why) => {
            eprintln!("vs_helmfile: floor: {why}");
            Floor::NotMeasured(why.lines().next().unwrap_or("").to_string())
        }
    }
}

/// Writes `floor.json`: every release with its chart and merged values file.
/// Returns the number of releases.
fn prepare(helmfire: &Path, dir: &Path) -> Result<usize, String> {
    let values_dir = dir.join("floor-values");
    let template = format!("{}/{{{{ .Release.Name }}}}.yaml", values_dir.display());
    let out = Command::new(helmfire)
        .args(["-q", "-e", workload::ENVIRONMENT, "write-values", "--output-file-template", &template])
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("helmfire write-values failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let mut releases = Vec::new();
    for i in 0.. {
        let name = workload::release_name(i);
        let values = values_dir.join(format!("{name}.yaml"));
        if !values.is_file() {
            break;
        }
        let chart = dir.join("charts").join(workload::chart_of(i));
        releases.push(json!({ "name": name, "namespace": "bench", "chart": chart, "values": [values] }));
    }
    if releases.is_empty() {
        return Err(format!("helmfire write-values wrote nothing into {}", values_dir.display()));
    }
    let manifest = serde_json::to_string_pretty(&json!({ "releases": releases })).unwrap();
    std::fs::write(dir.join("floor.json"), manifest).map_err(|e| e.to_string())?;
    Ok(releases.len())
}

/// Runs the Go benchmark and reads its sequential and parallel results.
fn run_go(dir: &Path, n: usize, runs: usize) -> Result<Floor, String> {
    let out = Command::new("go")
        .args(["test", "-count", "1", "-run", "^$", "-bench", "^BenchmarkFloorTemplate$"])
        .arg(format!("-benchtime={runs}x"))
        .current_dir(GO_SHIM)
        .env("HELMFIRE_FLOOR_DIR", dir)
        .env("GOTOOLCHAIN", "local")
        .output()
        .map_err(|e| format!("cannot run go: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("go test failed: {}{}", stdout.trim(), String::from_utf8_lossy(&out.stderr).trim()));
    }
    let sequential = parse(&stdout, "sequential");
    let parallel = parse(&stdout, "parallel");
    // The parallel run uses GOMAXPROCS goroutines; go test suffixes the
    // name with GOMAXPROCS (none when it is 1).
    let workers = stdout
        .lines()
        .find_map(|l| l.split_whitespace().next()?.strip_prefix("BenchmarkFloorTemplate/parallel"))
        .map_or(1, |suffix| suffix.trim_start_matches('-').parse().unwrap_or(1));
    match (sequential, parallel) {
        (Some(sequential), Some(parallel)) => {
            Ok(Floor::Measured { n, sequential, parallel, workers, process: Err("not run yet".into()) })
        }
        _ => Err(format!("no BenchmarkFloorTemplate results in the output of go test:\n{stdout}")),
    }
}

/// Builds go-shim/cmd/helm-floor into the workload directory and runs it
/// `runs` times on the workload; the medians.
fn run_process(dir: &Path, runs: usize) -> Result<Sample, String> {
    eprintln!("vs_helmfile: Helm SDK floor as a process (go-shim/cmd/helm-floor, {runs} runs)");
    let binary = dir.join("helm-floor");
    let out = Command::new("go")
        .args(["build", "-trimpath", "-o"])
        .arg(&binary)
        .arg("./cmd/helm-floor")
        .current_dir(GO_SHIM)
        .env("GOTOOLCHAIN", "local")
        .output()
        .map_err(|e| format!("cannot run go: {e}"))?;
    if !out.status.success() {
        return Err(format!("go build ./cmd/helm-floor failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let samples =
        (0..runs).map(|_| measure::run(Command::new(&binary).arg(dir), &[0])).collect::<Result<Vec<_>, _>>()?;
    Ok(measure::median(&samples))
}

/// One sub-benchmark's line, e.g.
/// `BenchmarkFloorTemplate/parallel-2  5  812345678 ns/op  1.6e+09 cpu-ns/op  9.1e+07 peak-rss-bytes`.
fn parse(stdout: &str, sub: &str) -> Option<Sample> {
    let prefix = format!("BenchmarkFloorTemplate/{sub}");
    let line = stdout.lines().find(|l| l.split_whitespace().next().is_some_and(|t| t.starts_with(&prefix)))?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    // name, iterations, then (value, unit) pairs.
    let metric = |unit: &str| -> Option<f64> {
        fields.windows(2).skip(2).find(|w| w[1] == unit).and_then(|w| w[0].parse::<f64>().ok())
    };
    Some(Sample {
        wall: Duration::from_nanos(metric("ns/op")? as u64),
        cpu: Duration::from_nanos(metric("cpu-ns/op")? as u64),
        rss: metric("peak-rss-bytes")? as u64,
    })
}
