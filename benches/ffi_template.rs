//! Renders one release through the C boundary, from Rust, many times, and
//! prints the per-call time. Compare with the Go benchmarks of the same
//! render (go-shim/bench_test.go): `BenchmarkTemplateShim` is this call
//! without the boundary, `BenchmarkTemplateSDK` the SDK alone. The
//! difference is the cost of the ABI (docs/ARCHITECTURE.md records it).
//!
//! Run: `cargo bench --bench ffi_template` (set BENCH_ITERATIONS to change
//! the sample size).

#![allow(clippy::print_stdout)] // a bench's report is its output

use std::time::{Duration, Instant};

use helmfire::helm::{HelmBackend, ShimBackend, TemplateRequest};

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs us once, fast.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let iterations: usize =
        if smoke { 3 } else { std::env::var("BENCH_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000) };
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/charts/named-templates");
    let request = TemplateRequest { release_name: "bench".into(), chart: chart.into(), ..TemplateRequest::default() };
    let backend = ShimBackend::new();
    // As the CLI runs a command (src/main.rs).
    backend.tune_gc(helmfire::helm::ONE_SHOT_GC_PERCENT).expect("gc_tune");

    // Warm up: the first calls load the chart from a cold page cache and
    // initialise the Go runtime's pools.
    for _ in 0..iterations.min(50) {
        backend.template(backend.new_call(), &request).expect("render");
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        let out = backend.template(backend.new_call(), &request).expect("render");
        samples.push(start.elapsed());
        std::hint::black_box(out);
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    let p90 = samples[samples.len() * 9 / 10];
    println!("ffi_template: {iterations} calls, median {median:?}, mean {mean:?}, p90 {p90:?} per call");

    // The boundary alone: `version` does almost nothing in Go
    // (BenchmarkVersionShim measures that part without the boundary).
    let mut trips = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(backend.version().expect("version"));
        trips.push(start.elapsed());
    }
    trips.sort();
    let trip_mean = trips.iter().sum::<Duration>() / trips.len() as u32;
    println!("ffi_version: median {:?}, mean {trip_mean:?} per call", trips[trips.len() / 2]);
}
