//! Loads and plans a generated helmfile of 500 releases across 5
//! environments with layered values, release templates and templated
//! fields, through the real Go template engine (then a selector and the
//! needs graph), and reports the time and the peak memory of the process. Target (issue 3): under 1 s and 200 MB on 2 cores.
//!
//! Run: `cargo bench --bench state_load`.

#![allow(clippy::print_stdout)] // a bench's report is its output

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use helmfire::helm::{HelmBackend as _, ShimBackend};
use helmfire::pipeline::ShimEngine;
use helmfire::plan::{Criteria, NeedsMode, Selectors, plan_with_needs};
use helmfire::state::{LoadOptions, StateSource, load};

const RELEASES: usize = 500;
const ENVIRONMENTS: [&str; 5] = ["dev", "qa", "staging", "prod-eu", "prod-us"];

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let runs = if smoke { 1 } else { 7 };
    let dir = tempfile::tempdir().unwrap();
    let file = generate(dir.path());
    let backend = ShimBackend::new();
    // As the CLI runs a command (src/main.rs).
    backend.tune_gc(helmfire::helm::ONE_SHOT_GC_PERCENT).expect("gc_tune");
    let engine = ShimEngine::new(Arc::new(backend));
    let overrides = serde_yaml_ng::Value::Mapping(Default::default());

    let mut samples = Vec::new();
    for run in 0..runs {
        let env = ENVIRONMENTS[run % ENVIRONMENTS.len()];
        let opts = LoadOptions {
            environment: env,
            overrides: &overrides,
            namespace: "",
            chart: "",
            engine: &engine,
            render_yaml: false,
            selectors_conflict: &|_| false,
            inherited: None,
        };
        let start = Instant::now();
        let states = load(&StateSource::Path(file.clone()), &opts).expect("the generated state loads");
        let selectors = Selectors::parse(["tier!=t3"]).unwrap();
        let common = Default::default();
        let criteria =
            Criteria { selectors: &selectors, common_labels: &common, values: &states[0].environment.values };
        let plan =
            plan_with_needs(&states[0].releases, &criteria, NeedsMode::Include).expect("the generated state plans");
        samples.push(start.elapsed());
        assert_eq!(plan.batches.iter().map(Vec::len).sum::<usize>(), RELEASES, "needs pull every release in");
        assert_eq!(states[0].releases.len(), RELEASES);
        // Release templating really ran (it renders through the Go engine).
        assert_eq!(states[0].releases[8].namespace, format!("{env}-t1"));
        assert_eq!(states[0].releases[8].labels["app"], "svc-008");
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "state_load (load, render, plan): {RELEASES} releases, {} environments: median {median:?} over {runs} runs (min {:?}, max {:?}); peak RSS {} MB",
        ENVIRONMENTS.len(),
        samples[0],
        samples[samples.len() - 1],
        peak_rss_mb()
    );
    if !smoke && median > Duration::from_secs(1) {
        println!("state_load: above the 1 s target");
    }
}

/// A helmfile.yaml.gotmpl in the shape of a real platform repository.
fn generate(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("env")).unwrap();
    std::fs::create_dir_all(dir.join("charts/app/templates")).unwrap();
    std::fs::write(dir.join("charts/app/Chart.yaml"), "apiVersion: v2\nname: app\nversion: 1.0.0\n").unwrap();
    std::fs::write(dir.join("env/common.yaml"), "region: eu\nreplicas: 2\nfeatures: {a: true, b: false}\n").unwrap();
    let mut text = String::from("environments:\n");
    for env in ENVIRONMENTS {
        std::fs::write(
            dir.join(format!("env/{env}.yaml.gotmpl")),
            format!("name: {env}\nreplicas: {{{{ add 1 2 }}}}\ndomain: {env}.example.com\n"),
        )
        .unwrap();
        writeln!(text, "  {env}:\n    values:\n    - env/common.yaml\n    - env/{env}.yaml.gotmpl").unwrap();
    }
    text.push_str("---\ncommonLabels:\n  owner: platform\ntemplates:\n  default:\n    chart: ./charts/app\n    namespace: '{{ .Values.name }}-{{`{{ .Release.Labels.tier }}`}}'\n    labels:\n      env: '{{ .Environment.Name }}'\n      app: '{{`{{ .Release.Name }}`}}'\n    values:\n    - replicas: {{ .Values.replicas }}\n---\nreleases:\n");
    for i in 0..RELEASES {
        writeln!(
            text,
            "- name: svc-{i:03}\n  inherit: [{{template: default}}]\n  labels:\n    tier: t{}\n  needs: [{}]\n  values:\n  - image: registry.example.com/svc-{i:03}:{{{{ .Values.domain | sha256sum | trunc 8 }}}}\n  - host: '{{{{`{{{{ .Release.Name }}}}`}}}}.{{{{ .Values.domain }}}}'",
            i % 7,
            if i == 0 { String::new() } else { format!("'{{{{ .Values.name }}}}-t{}/svc-{:03}'", (i - 1) % 7, i - 1) }
        )
        .unwrap();
    }
    let path = dir.join("helmfile.yaml.gotmpl");
    std::fs::write(&path, text).unwrap();
    path
}

fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}
