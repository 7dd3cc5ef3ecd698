//! helmfire against helmfile + helm on the same generated workloads, side by
//! side: wall time, CPU time of the process tree, peak memory of the process
//! tree. See bench/README.md.
//!
//! Run everything (peers, test cluster, this bench, the table): `bench/run`.
//! Just this harness: `cargo bench --bench vs_helmfile [-- --quick]`; it
//! writes `target/bench/vs_helmfile.md` and `.json`.
//!
//! Without `--bench` (as under `cargo test --benches`) it does a smoke run
//! that needs neither helmfile nor a cluster: renders a 3-release workload
//! with helmfire once.
//!
//! Environment:
//! - `HELMFIRE_BENCH_HELM`, `HELMFIRE_BENCH_HELMFILE`: the peers (default:
//!   where bench/build-peers caches them).
//! - `HELM_DIFF_PLUGIN_DIR`: an installed helm-diff plugin; without it
//!   helmfile's diff and apply are reported as not measured.
//! - `HELMFIRE_TEST_KUBECONFIG`: the test cluster to use; without it the
//!   harness starts one (scripts/test-cluster) and stops it at the end.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench's report is its output
#![allow(missing_docs)]

// The crate root's modules live in benches/vs_helmfile/ (one job each).
#[path = "vs_helmfile/floor.rs"]
mod floor;
#[path = "vs_helmfile/measure.rs"]
mod measure;
#[path = "vs_helmfile/report.rs"]
mod report;
#[path = "vs_helmfile/workload.rs"]
mod workload;

use std::path::{Path, PathBuf};
use std::process::Command;

use measure::Sample;
use report::{Cell, Floor, Report, Row};

const HELMFILE_VERSION: &str = "v1.8.0";
const NO_HELM_DIFF: &str = "helm-diff is not available from the Go module proxy (set HELM_DIFF_PLUGIN_DIR)";
/// The workload sizes of the cluster rows.
const CLUSTER_RELEASES: [usize; 2] = [50, 200];
/// The scale rows (helmfire only): the first N of 1,000 releases spread over
/// 20 namespaces, to show the cost per release stays flat as N grows.
const SCALE_RELEASES: [usize; 3] = [250, 500, 1000];
const SCALE_NAMESPACES: usize = 20;
const SCALE_LIST: &str = "scale: list (load and plan), 20 namespaces (helmfire only)";
const SCALE_APPLY: &str = "scale: apply (no-op), 20 namespaces (helmfire only)";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let temp = tempfile::tempdir().expect("temp dir");
    if !args.iter().any(|a| a == "--bench") {
        smoke(temp.path());
        if std::env::var_os("HELMFIRE_BENCH_KEEP").is_some() {
            println!("workload kept in {}", temp.keep().display());
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let runs = if quick { 1 } else { 5 };
    // `--only OP`: only the rows whose operation starts with OP (e.g. `template`, `diff`).
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let wanted = |op: &str| only.as_ref().is_none_or(|o| op.starts_with(o.as_str()));
    let tools = Tools::new(temp.path());

    let load_before = loadavg();
    let mut rows = Vec::new();
    let offline_ops = [("template", 10), ("template", 100), ("template", 500), ("build", 100), ("list", 100)];
    for (op, n) in offline_ops.into_iter().filter(|(op, _)| wanted(op)) {
        rows.push(offline(&tools, temp.path(), op, n, runs));
    }
    let mut checks = Vec::new();
    if wanted("template") {
        // Where helmfire's time goes at scale: the same render with the
        // concurrency capped at the CPU count (helmfire only).
        for n in [100, 500] {
            rows.push(helmfire_capped_template(&tools, temp.path(), n, runs));
        }
        checks.push(same_template_output(&tools, temp.path(), 10));
    }
    let floor = if wanted("template") {
        floor::measure(&tools.helmfire, &offline_workload(temp.path(), 100), runs)
    } else {
        Floor::NotMeasured("not selected (--only)".into())
    };

    let cluster_ops = ["diff (no-op)", "apply (no-op)", "sync (no-op)", "apply (10% changed)"];
    let compared = cluster_ops.iter().any(|op| wanted(op));
    let scale = wanted(SCALE_LIST) || wanted(SCALE_APPLY);
    if compared || scale {
        match Cluster::start(temp.path()) {
            Ok(cluster) => {
                for n in CLUSTER_RELEASES.into_iter().filter(|_| compared) {
                    rows.extend(cluster_rows(&tools, &cluster, temp.path(), n, runs, &wanted));
                }
                if scale {
                    let scale_rows = scale_rows(&tools, &cluster, temp.path(), runs);
                    checks.extend(per_release_cost(&scale_rows));
                    rows.extend(scale_rows);
                }
                cluster.stop();
            }
            Err(why) => {
                let scale_ops = [SCALE_LIST, SCALE_APPLY].map(|op| (op, SCALE_RELEASES.to_vec()));
                let compared_ops = cluster_ops.map(|op| (op, CLUSTER_RELEASES.to_vec()));
                for (op, sizes) in compared_ops.into_iter().chain(scale_ops).filter(|(op, _)| wanted(op)) {
                    for n in sizes {
                        let cell = || Cell::NotMeasured(format!("no test cluster: {why}"));
                        rows.push(Row { op, n, helmfire: cell(), helmfile: cell() });
                    }
                }
            }
        }
    }

    let mut notes = tools.notes(runs);
    notes.extend(checks);
    notes.push(format!("load average (1, 5, 15 min) before: {load_before}; after: {}", loadavg()));
    let report = Report { rows, floor, notes };
    let out_dir = target_dir().join("bench");
    std::fs::create_dir_all(&out_dir).expect("create target/bench");
    let markdown = report.markdown();
    std::fs::write(out_dir.join("vs_helmfile.md"), &markdown).expect("write vs_helmfile.md");
    let json = serde_json::to_string_pretty(&report.json()).expect("json");
    std::fs::write(out_dir.join("vs_helmfile.json"), json + "\n").expect("write vs_helmfile.json");
    println!("{markdown}");
    println!("written: {}", out_dir.join("vs_helmfile.{md,json}").display());
    if std::env::var_os("HELMFIRE_BENCH_KEEP").is_some() {
        println!("workloads kept in {}", temp.keep().display());
    }
}

/// The smoke run: a 3-release workload rendered once by helmfire.
fn smoke(temp: &Path) {
    // A bigger workload to keep for profiling: HELMFIRE_BENCH_SMOKE_RELEASES.
    let n = std::env::var("HELMFIRE_BENCH_SMOKE_RELEASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    workload::write(temp, n, "bench", 0);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_helmfire"));
    cmd.args(["-e", workload::ENVIRONMENT, "template"]).current_dir(temp);
    match measure::run(&mut cmd, &[0]) {
        Ok(s) => {
            println!("vs_helmfile smoke: helmfire template of {n} releases: {:?}, peak RSS {} kB", s.wall, s.rss / 1000)
        }
        Err(e) => panic!("vs_helmfile smoke run failed: {e}"),
    }
    if let Err(e) = measure::check_tree_sampling() {
        panic!("vs_helmfile smoke: the memory sampler does not see a process tree: {e}");
    }
}

/// target/ (or CARGO_TARGET_DIR): two levels above the helmfire binary.
fn target_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_helmfire"));
    bin.ancestors().nth(2).expect("target dir").to_path_buf()
}

// --- the tools ----------------------------------------------------------------

/// helmfire, and helmfile with its helm (or why they cannot be run).
struct Tools {
    helmfire: PathBuf,
    /// helmfile and the directory of its helm binary.
    helmfile: Result<(PathBuf, PathBuf), String>,
    /// Whether helm-diff is installed into the isolated HELM_PLUGINS.
    helm_diff: Result<(), String>,
    /// HELM_CONFIG_HOME etc., isolated for this run, both tools.
    helm_env: Vec<(&'static str, PathBuf)>,
}

impl Tools {
    fn new(temp: &Path) -> Self {
        let helm_home = temp.join("helm-home");
        let helm_env: Vec<(&str, PathBuf)> = ["config", "cache", "data", "plugins"]
            .iter()
            .map(|d| {
                std::fs::create_dir_all(helm_home.join(d)).unwrap();
                let var = match *d {
                    "config" => "HELM_CONFIG_HOME",
                    "cache" => "HELM_CACHE_HOME",
                    "data" => "HELM_DATA_HOME",
                    _ => "HELM_PLUGINS",
                };
                (var, helm_home.join(d))
            })
            .collect();
        let helm = peer_path("HELMFIRE_BENCH_HELM", &format!("helm-{}/helm", embedded_helm_version()));
        let helmfile = peer_path("HELMFIRE_BENCH_HELMFILE", &format!("helmfile-{HELMFILE_VERSION}/helmfile"));
        let helmfile = match (helmfile.is_file(), helm.is_file()) {
            (true, true) => Ok((helmfile, helm.parent().unwrap().to_path_buf())),
            (false, _) => Err(format!("helmfile not found at {} (run bench/build-peers)", helmfile.display())),
            (_, false) => Err(format!("helm not found at {} (run bench/build-peers)", helm.display())),
        };
        let mut tools =
            Tools { helmfire: env!("CARGO_BIN_EXE_helmfire").into(), helmfile, helm_diff: Ok(()), helm_env };
        tools.helm_diff = tools.install_helm_diff();
        tools
    }

    /// Links HELM_DIFF_PLUGIN_DIR into the isolated plugins directory and
    /// checks that helm sees it.
    fn install_helm_diff(&self) -> Result<(), String> {
        let Some(src) = std::env::var_os("HELM_DIFF_PLUGIN_DIR") else { return Err(NO_HELM_DIFF.into()) };
        let (_, helm_dir) = self.helmfile.as_ref().map_err(Clone::clone)?;
        let plugins = &self.helm_env.iter().find(|(k, _)| *k == "HELM_PLUGINS").unwrap().1;
        std::os::unix::fs::symlink(&src, plugins.join("diff")).map_err(|e| e.to_string())?;
        let out = Command::new(helm_dir.join("helm")).args(["plugin", "list"]).envs(self.helm_env.clone()).output();
        match out {
            Ok(o) if String::from_utf8_lossy(&o.stdout).lines().any(|l| l.starts_with("diff")) => Ok(()),
            _ => Err(format!(
                "HELM_DIFF_PLUGIN_DIR={} is not a helm-diff plugin helm can load",
                Path::new(&src).display()
            )),
        }
    }

    /// A command of `tool` (helmfire or helmfile) run in `dir`.
    fn command(&self, tool: Tool, dir: &Path, kubeconfig: &Path, args: &[&str]) -> Command {
        let mut cmd = match tool {
            Tool::Helmfire => Command::new(&self.helmfire),
            Tool::Helmfile => {
                let (helmfile, helm_dir) = self.helmfile.as_ref().expect("helmfile checked by the caller");
                let mut cmd = Command::new(helmfile);
                let path = std::env::var_os("PATH").unwrap_or_default();
                let mut paths = vec![helm_dir.clone()];
                paths.extend(std::env::split_paths(&path));
                cmd.env("PATH", std::env::join_paths(paths).unwrap());
                cmd.env("HELMFILE_UPGRADE_NOTICE_DISABLED", "1");
                cmd
            }
        };
        cmd.args(["-e", workload::ENVIRONMENT]).args(args).current_dir(dir);
        cmd.envs(self.helm_env.clone()).env("KUBECONFIG", kubeconfig);
        cmd
    }

    /// Whether `tool` can run an operation (that `needs_diff` or not).
    fn available(&self, tool: Tool, needs_diff: bool) -> Result<(), String> {
        match tool {
            Tool::Helmfire => Ok(()),
            Tool::Helmfile => {
                self.helmfile.as_ref().map_err(Clone::clone)?;
                if needs_diff { self.helm_diff.clone() } else { Ok(()) }
            }
        }
    }

    fn notes(&self, runs: usize) -> Vec<String> {
        let version = |cmd: &mut Command| {
            cmd.output().map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").trim().to_string())
        };
        let mut notes = vec![
            format!("{runs} runs per cell (median); tools alternate within each run"),
            version(Command::new(&self.helmfire).arg("version")).unwrap_or_default(),
        ];
        match &self.helmfile {
            Ok((helmfile, helm_dir)) => {
                notes.push(format!("helmfile {HELMFILE_VERSION} ({})", helmfile.display()));
                let helm = version(Command::new(helm_dir.join("helm")).args(["version", "--short"]));
                notes.push(format!("helm {} ({})", helm.unwrap_or_default(), helm_dir.join("helm").display()));
            }
            Err(why) => notes.push(format!("helmfile: {why}")),
        }
        notes.push(match &self.helm_diff {
            Ok(()) => "helm-diff: from HELM_DIFF_PLUGIN_DIR".into(),
            Err(why) => format!("helm-diff: {why}"),
        });
        notes.push(format!("machine: {} CPUs, {}", cpus(), cpu_model()));
        notes.push(
            "both tools run with their default flags (default --concurrency 0, no limit), `-e production`, \
             an isolated HELM_CONFIG_HOME/HELM_CACHE_HOME/HELM_DATA_HOME/HELM_PLUGINS; stdout discarded"
                .into(),
        );
        notes.push(
            "workload: two local charts (10 templates + _helpers.tpl, a subchart under charts/), \
             environment values in 2 layered files, 3 release values files (one .gotmpl), \
             half the releases `needs` another"
                .into(),
        );
        notes.push(
            "cluster rows: the local test cluster (scripts/test-cluster: real kube-apiserver, kwok node), \
             each tool in its own namespace"
                .into(),
        );
        notes
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Helmfire,
    Helmfile,
}

const TOOLS: [Tool; 2] = [Tool::Helmfire, Tool::Helmfile];

/// `$var`, or the file `rel` in bench/build-peers' cache.
fn peer_path(var: &str, rel: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return path.into();
    }
    let cache = std::env::var_os("HELMFIRE_BENCH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/helmfire-bench"));
    cache.join(rel)
}

/// The helm.sh/helm/v4 version in go-shim/go.mod.
fn embedded_helm_version() -> String {
    let gomod = include_str!("../go-shim/go.mod");
    gomod
        .lines()
        .find_map(|l| l.trim().strip_prefix("helm.sh/helm/v4 "))
        .map(|v| v.split_whitespace().next().unwrap().to_string())
        .expect("helm.sh/helm/v4 in go-shim/go.mod")
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("?".into(), |m| m.trim_start_matches([' ', '\t', ':']).into())
}

// --- running and comparing -----------------------------------------------------

/// Runs each available tool `runs` times, alternately (helmfire, helmfile,
/// helmfire, ...). `run_once(tool)` does one measured run. A tool's first
/// failure ends its measurements and becomes its cell.
fn compare(
    op: &'static str,
    n: usize,
    runs: usize,
    available: [Result<(), String>; 2],
    mut run_once: impl FnMut(Tool) -> Result<Sample, String>,
) -> Row {
    eprintln!("vs_helmfile: {op} N={n} ({runs} runs)");
    let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
    let mut failed: [Option<String>; 2] = [None, None];
    for _ in 0..runs {
        for (i, tool) in TOOLS.into_iter().enumerate() {
            if available[i].is_err() || failed[i].is_some() {
                continue;
            }
            match run_once(tool) {
                Ok(s) => samples[i].push(s),
                Err(e) => {
                    eprintln!("vs_helmfile: {op} N={n}: {e}");
                    failed[i] = Some(format!("failed: {}", e.lines().last().unwrap_or("").trim()));
                }
            }
        }
    }
    let cell = |i: usize| match (&available[i], &failed[i]) {
        (Err(why), _) => Cell::NotMeasured(why.clone()),
        (_, Some(why)) => Cell::NotMeasured(why.clone()),
        _ => Cell::Measured { median: measure::median(&samples[i]), runs: samples[i].len() },
    };
    Row { op, n, helmfire: cell(0), helmfile: cell(1) }
}

/// The N-release workload of the offline operations, written once into
/// `temp/offline-N` (the floor reuses offline-100).
fn offline_workload(temp: &Path, n: usize) -> PathBuf {
    let dir = temp.join(format!("offline-{n}"));
    if !dir.join("helmfile.yaml").is_file() {
        workload::write(&dir, n, "bench", 0);
    }
    dir
}

/// Offline commands must not reach a cluster: they get a kubeconfig that
/// does not exist.
fn no_kubeconfig(temp: &Path) -> PathBuf {
    temp.join("no-kubeconfig")
}

/// An offline operation (`template`, `build`, `list`) on an N-release workload.
fn offline(tools: &Tools, temp: &Path, op: &'static str, n: usize, runs: usize) -> Row {
    let dir = offline_workload(temp, n);
    let kubeconfig = no_kubeconfig(temp);
    let available = TOOLS.map(|t| tools.available(t, false));
    compare(op, n, runs, available, |tool| measure::run(&mut tools.command(tool, &dir, &kubeconfig, &[op]), &[0]))
}

/// helmfire's `template` with `--concurrency` set to the CPU count instead
/// of its default (no limit): a diagnostic row, helmfire only.
fn helmfire_capped_template(tools: &Tools, temp: &Path, n: usize, runs: usize) -> Row {
    let dir = offline_workload(temp, n);
    let kubeconfig = no_kubeconfig(temp);
    let cpus = cpus().to_string();
    let available = [Ok(()), Err("diagnostic row: helmfire only".to_string())];
    compare("template --concurrency <CPUs> (helmfire only)", n, runs, available, |tool| {
        measure::run(&mut tools.command(tool, &dir, &kubeconfig, &["template", "--concurrency", &cpus]), &[0])
    })
}

/// The scale rows: SCALE_RELEASES' largest size installed once (unmeasured)
/// across SCALE_NAMESPACES namespaces, then for each size `list` and a no-op
/// `apply` of the first N releases (the rest are installed and untouched).
fn scale_rows(tools: &Tools, cluster: &Cluster, temp: &Path, runs: usize) -> Vec<Row> {
    let prefix = format!("scale-{}", std::process::id());
    let dir = |n: usize| temp.join(format!("{prefix}-{n}"));
    let kc = &cluster.kubeconfig;
    let run = |n: usize, args: &[&str]| measure::run(&mut tools.command(Tool::Helmfire, &dir(n), kc, args), &[0]);
    let biggest = SCALE_RELEASES[SCALE_RELEASES.len() - 1];
    for n in SCALE_RELEASES {
        workload::write_spread(&dir(n), n, &prefix, SCALE_NAMESPACES);
    }
    eprintln!("vs_helmfile: installing {biggest} releases across {SCALE_NAMESPACES} namespaces");
    let installed = run(biggest, &["sync"]).map(|_| ()).map_err(|e| {
        eprintln!("vs_helmfile: {e}");
        format!("the first sync failed: {}", e.lines().last().unwrap_or(""))
    });
    let helmfire_only = || Err("helmfire only: the scale rows".to_string());
    let mut rows = Vec::new();
    for n in SCALE_RELEASES {
        rows.push(compare(SCALE_LIST, n, runs, [Ok(()), helmfire_only()], |_| run(n, &["list"])));
        // --detailed-exitcode: an apply that finds changes (exit 2) is a failure.
        let available = [installed.clone(), helmfire_only()];
        rows.push(compare(SCALE_APPLY, n, runs, available, |_| run(n, &["apply", "--detailed-exitcode"])));
    }
    if installed.is_ok()
        && let Err(e) = run(biggest, &["destroy"])
    {
        eprintln!("vs_helmfile: cleaning up the scale releases: {e}");
    }
    rows
}

/// A note per scale operation: wall and CPU time per release at each size,
/// and how the cost per release at the largest size compares with the
/// smallest (1.0 is linear growth).
fn per_release_cost(rows: &[Row]) -> Vec<String> {
    let mut notes = Vec::new();
    for op in [SCALE_LIST, SCALE_APPLY] {
        let measured: Vec<(usize, &Sample)> = rows
            .iter()
            .filter(|r| r.op == op)
            .filter_map(|r| match &r.helmfire {
                Cell::Measured { median, .. } => Some((r.n, median)),
                Cell::NotMeasured(_) => None,
            })
            .collect();
        let per = |n: usize, d: std::time::Duration| d.as_secs_f64() * 1000.0 / n as f64;
        let sizes: Vec<String> = measured
            .iter()
            .map(|(n, s)| {
                format!(
                    "N={n}: {:.1} ms wall, {:.1} ms CPU, peak RSS {} MB",
                    per(*n, s.wall),
                    per(*n, s.cpu),
                    s.rss / 1_000_000
                )
            })
            .collect();
        let growth = match (measured.first(), measured.last()) {
            (Some((n0, s0)), Some((n1, s1))) if n1 > n0 => {
                format!("; CPU per release at N={n1} is {:.2}x that at N={n0}", per(*n1, s1.cpu) / per(*n0, s0.cpu))
            }
            _ => String::new(),
        };
        if !sizes.is_empty() {
            notes.push(format!("{op}, per release: {}{growth}", sizes.join("; ")));
        }
    }
    notes
}

/// Checks (unmeasured) that both tools print the same manifests for the
/// N-release workload, so the rows compare the same work. A note line.
fn same_template_output(tools: &Tools, temp: &Path, n: usize) -> String {
    if let Err(why) = tools.available(Tool::Helmfile, false) {
        return format!("template output comparison: not done ({why})");
    }
    let dir = offline_workload(temp, n);
    let kubeconfig = no_kubeconfig(temp);
    let outputs: Vec<Vec<u8>> = TOOLS
        .iter()
        .map(|&t| tools.command(t, &dir, &kubeconfig, &["template"]).output().map(|o| o.stdout).unwrap_or_default())
        .collect();
    if outputs[0].is_empty() {
        "template output comparison: helmfire printed nothing".into()
    } else if outputs[0] == outputs[1] {
        format!("template output of N={n}: byte-identical between helmfire and helmfile ({} bytes)", outputs[0].len())
    } else {
        format!(
            "template output of N={n}: DIFFERS between helmfire ({} bytes) and helmfile ({} bytes)",
            outputs[0].len(),
            outputs[1].len()
        )
    }
}

fn loadavg() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

// --- the cluster ---------------------------------------------------------------

/// The test cluster: HELMFIRE_TEST_KUBECONFIG's, or one this run started.
struct Cluster {
    kubeconfig: PathBuf,
    /// Set when this run started it (and must stop it).
    started: Option<PathBuf>,
}

impl Cluster {
    fn start(temp: &Path) -> Result<Self, String> {
        if let Some(path) = std::env::var_os("HELMFIRE_TEST_KUBECONFIG") {
            return Ok(Cluster { kubeconfig: path.into(), started: None });
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-cluster");
        let ok = Command::new(script).arg("build").status().map(|s| s.success()).unwrap_or(false);
        if !ok {
            return Err("scripts/test-cluster build failed".into());
        }
        let dir = temp.join("cluster");
        let out = Command::new(script).arg("start").arg(&dir).output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("scripts/test-cluster start failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        let kubeconfig = String::from_utf8_lossy(&out.stdout).trim().into();
        Ok(Cluster { kubeconfig, started: Some(dir) })
    }

    fn stop(self) {
        if let Some(dir) = self.started {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-cluster");
            let _ = Command::new(script).arg("stop").arg(dir).output();
        }
    }
}

/// diff, apply and sync of 50 releases against the cluster, each tool in its
/// own namespace (so one tool's changes are never the other's no-op). The
/// releases are installed first and destroyed at the end, unmeasured.
fn cluster_rows(
    tools: &Tools,
    cluster: &Cluster,
    temp: &Path,
    n: usize,
    runs: usize,
    wanted: &dyn Fn(&str) -> bool,
) -> Vec<Row> {
    let ns = |tool: Tool| {
        format!("bench-{}-{n}-{}", std::process::id(), if tool == Tool::Helmfire { "hfire" } else { "hfile" })
    };
    let dir = |tool: Tool| temp.join(format!("cluster-{}", ns(tool)));
    let kc = &cluster.kubeconfig;
    let run = |tool: Tool, args: &[&str], ok: &[i32]| measure::run(&mut tools.command(tool, &dir(tool), kc, args), ok);

    // Install, unmeasured. A tool that cannot install is not measured.
    let mut installed = TOOLS.map(|t| tools.available(t, false));
    for (i, tool) in TOOLS.into_iter().enumerate() {
        workload::write(&dir(tool), n, &ns(tool), 0);
        if installed[i].is_ok() {
            eprintln!("vs_helmfile: installing {n} releases in {}", ns(tool));
            installed[i] = run(tool, &["sync"], &[0]).map(|_| ()).map_err(|e| {
                eprintln!("vs_helmfile: {e}");
                format!("the first sync failed: {}", e.lines().last().unwrap_or(""))
            });
        }
    }
    // The cluster keeps making the releases' pods after the installs
    // return; cells measured meanwhile measured that too (2026-12-07: a
    // no-op diff took twice its CPU time in wall time, against 1.08 s once
    // the cluster had settled).
    let (waited, quiet) = measure::wait_until_quiet(3, std::time::Duration::from_secs(180));
    eprintln!(
        "vs_helmfile: waited {:.0} s for the machine to go quiet after installing{}",
        waited.as_secs_f64(),
        if quiet { "" } else { " (it did not; measuring anyway)" }
    );
    let with_diff = |i: usize, tool: Tool| installed[i].clone().and_then(|()| tools.available(tool, true));
    let diff_ok = [with_diff(0, Tool::Helmfire), with_diff(1, Tool::Helmfile)];

    let mut rows = Vec::new();
    // --detailed-exitcode: a no-op diff or apply that finds changes (exit 2) is a failure.
    if wanted("diff (no-op)") {
        rows.push(compare("diff (no-op)", n, runs, diff_ok.clone(), |t| {
            run(t, &["diff", "--detailed-exitcode"], &[0])
        }));
    }
    if wanted("apply (no-op)") {
        rows.push(compare("apply (no-op)", n, runs, diff_ok.clone(), |t| {
            run(t, &["apply", "--detailed-exitcode"], &[0])
        }));
    }
    if wanted("sync (no-op)") {
        rows.push(compare("sync (no-op)", n, runs, installed.clone(), |t| run(t, &["sync"], &[0])));
    }
    // Each run first changes the `rollout` value of 10% of the releases.
    if wanted("apply (10% changed)") {
        let mut generation = [0u32; 2];
        rows.push(compare("apply (10% changed)", n, runs, diff_ok, |t| {
            let i = if t == Tool::Helmfire { 0 } else { 1 };
            generation[i] += 1;
            workload::set_generation(&dir(t), n, &ns(t), generation[i]);
            run(t, &["apply"], &[0])
        }));
    }

    for (i, tool) in TOOLS.into_iter().enumerate() {
        if installed[i].is_ok()
            && let Err(e) = run(tool, &["destroy"], &[0])
        {
            eprintln!("vs_helmfile: cleaning up {}: {e}", ns(tool));
        }
    }
    rows
}
