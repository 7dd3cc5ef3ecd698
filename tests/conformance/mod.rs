//! Runs helmfile's own snapshot suite (../shared/conformance/helmfile-snapshot)
//! against helmfire and prints a table of case, result and reason.
//!
//! The comparison follows the suite's README: the same YAML documents in the
//! same order, byte for byte (`---` and `# Source:` lines included); log
//! lines are not compared, except for `fetch`, whose only output is the
//! log of what it pulled. The test fails when a case listed in
//! `tests/conformance/baseline.txt` does not pass (a regression) or is no
//! longer in the suite, and reports cases that pass without being listed,
//! so the baseline can grow. Without the suite at hand (a clone without
//! `../shared`), it says so and counts the baseline as skipped.

mod expected;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::chart_repo::ChartRepo;
use crate::oci_registry::Registry;
use crate::util::repo_root;

/// Cases that cannot run on a machine without internet access.
const NEEDS_INTERNET: &[(&str, &str)] = &[
    ("issue_498_template_go_getter_with_selector", "clones a public git repository"),
    ("pr_560", "clones a public git repository"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail(String),
    Skipped(String),
}

fn suite_dir() -> PathBuf {
    repo_root().join("../shared/conformance/helmfile-snapshot")
}

#[test]
#[allow(clippy::print_stdout)] // the table is the runner's report (see scripts/test)
fn helmfile_snapshot_suite() {
    let suite = suite_dir();
    let baseline = baseline();
    if !suite.join("snapshot").is_dir() {
        println!("helmfile snapshot conformance: the suite is not at hand ({} is missing); not run", suite.display());
        println!("conformance summary: 0 pass / 0 fail / {} skipped (suite missing)", baseline.len());
        return;
    }
    let mut cases: Vec<String> = std::fs::read_dir(suite.join("snapshot"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let gone: Vec<&String> = baseline.iter().filter(|b| !cases.contains(b)).collect();
    assert!(gone.is_empty(), "cases listed in tests/conformance/baseline.txt are no longer in the suite: {gone:?}");

    let mut table = String::from("| case | result | reason |\n| --- | --- | --- |\n");
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut regressions = Vec::new();
    let mut newly_passing = Vec::new();
    for case in &cases {
        let outcome = run_case(&suite, case);
        let (result, reason) = match &outcome {
            Outcome::Pass => {
                passed += 1;
                ("pass", String::new())
            }
            Outcome::Fail(reason) => {
                failed += 1;
                ("fail", reason.clone())
            }
            Outcome::Skipped(reason) => {
                skipped += 1;
                ("skipped", reason.clone())
            }
        };
        table += &format!("| {case} | {result} | {} |\n", reason.replace('|', "\\|"));
        let expected_pass = baseline.contains(case.as_str());
        if expected_pass && outcome != Outcome::Pass {
            regressions.push(case.clone());
        }
        if !expected_pass && outcome == Outcome::Pass {
            newly_passing.push(case.clone());
        }
    }
    println!("helmfile snapshot conformance:\n{table}");
    println!(
        "conformance summary: {passed} pass / {failed} fail / {skipped} skipped (fails are features not built yet)"
    );
    if !newly_passing.is_empty() {
        println!("passing but not in tests/conformance/baseline.txt (add them): {newly_passing:?}");
    }
    assert!(regressions.is_empty(), "conformance regressions (listed in baseline.txt, now failing): {regressions:?}");
}

fn baseline() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_root().join("tests/conformance/baseline.txt")).unwrap();
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

/// The parts of a case's config.yaml the runner understands.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CaseConfig {
    #[serde(default)]
    helmfile_args: Vec<String>,
    #[serde(default)]
    local_chart_repo_server: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    local_docker_registry: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    chartify_temp_dir: Option<String>,
}

fn registry_enabled(config: &CaseConfig) -> bool {
    config.local_docker_registry.as_ref().is_some_and(|r| r["enabled"].as_bool() == Some(true))
}

fn suite_charts(suite: &Path) -> Vec<PathBuf> {
    let mut charts: Vec<PathBuf> =
        std::fs::read_dir(suite.join("charts")).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
    charts.sort();
    charts
}

fn repo_port(config: &CaseConfig) -> Option<u16> {
    let server = config.local_chart_repo_server.as_ref()?;
    if server["enabled"].as_bool() != Some(true) {
        return None;
    }
    server["port"].as_u64().and_then(|p| u16::try_from(p).ok())
}

fn run_case(suite: &Path, case: &str) -> Outcome {
    if let Some((_, why)) = NEEDS_INTERNET.iter().find(|(name, _)| *name == case) {
        return Outcome::Skipped(format!("needs the internet: {why}"));
    }
    let dir = suite.join("snapshot").join(case);
    let config: CaseConfig = match std::fs::read_to_string(dir.join("config.yaml")) {
        Ok(text) => match serde_yaml_ng::from_str(&text) {
            Ok(config) => config,
            Err(e) => return Outcome::Fail(format!("unreadable config.yaml: {e}")),
        },
        Err(_) => CaseConfig { helmfile_args: vec!["build".into()], ..CaseConfig::default() },
    };
    // The suite's OCI registry: every chart under charts/, packaged and
    // pushed to oci://HOST/myrepo; the input file gets the port, and the
    // absolute paths of charts/ and of our post-renderer fixtures.
    let registry = registry_enabled(&config).then(|| {
        let registry = Registry::start();
        registry.push_charts("myrepo", &suite_charts(suite));
        registry
    });
    // The suite's chart repository: every chart under charts/, packaged, on
    // the port the case names.
    let _repo = repo_port(&config).map(|port| ChartRepo::serve_on(&suite_charts(suite), None, port));
    let Some(expected_file) = expected::expected_output_file(&dir) else {
        return Outcome::Fail("the case has no expected output".into());
    };
    let expected_text = std::fs::read_to_string(&expected_file).unwrap();

    let scratch = tempfile::tempdir().unwrap();
    let mut input = format!("{case}/input.yaml.gotmpl");
    let mut args = Vec::new();
    if let Some(registry) = &registry {
        // As helmfile's own driver does: the input with the port and paths
        // filled in, and --oci-plain-http for the plain-HTTP registry.
        let text = std::fs::read_to_string(dir.join("input.yaml.gotmpl")).unwrap();
        let text = text
            .replace("$REGISTRY_PORT", &registry.port.to_string())
            .replace("../../charts/", &format!("{}/", suite.join("charts").display()))
            .replace(
                "../../postrenderers/",
                &format!("{}/", repo_root().join("tests/fixtures/postrenderers").display()),
            );
        let prepared = scratch.path().join("input.yaml.gotmpl");
        std::fs::write(&prepared, text).unwrap();
        input = prepared.display().to_string();
        args.push("--oci-plain-http".to_string());
    }
    args.extend(["-f".to_string(), input]);
    args.extend(config.helmfile_args.iter().cloned());
    let output = Command::new(env!("CARGO_BIN_EXE_helmfire"))
        .args(&args)
        .current_dir(suite.join("snapshot"))
        .env("HELMFIRE_CACHE_HOME", scratch.path().join("charts-cache"))
        .env("NO_COLOR", "1")
        .env("PATH", "/usr/bin:/bin")
        .env("HELM_CONFIG_HOME", scratch.path().join("config"))
        .env("HELM_CACHE_HOME", scratch.path().join("cache"))
        .env("HELM_DATA_HOME", scratch.path().join("data"))
        .output()
        .expect("run helmfire");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    const COMMANDS: &[&str] = &["template", "build", "list", "lint", "fetch", "deps", "write-values", "show-dag"];
    let command = config.helmfile_args.iter().map(String::as_str).find(|a| COMMANDS.contains(a)).unwrap_or("");
    if !output.status.success() {
        let first_error = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or("exited non-zero").to_string();
        return Outcome::Fail(first_error);
    }
    match command {
        // fetch prints no documents; helmfile's snapshot holds its log of
        // the charts it pulled, which helmfire must say too.
        "fetch" => {
            let port = registry.as_ref().map(|r| r.port.to_string()).unwrap_or_default();
            let expected = expected_text.replace("$REGISTRY_PORT", &port);
            let said = format!("{stdout}{stderr}");
            // `$DIGEST` stands for whatever digest the registry gave.
            let says = |line: &str| match line.split_once("$DIGEST") {
                Some((before, _)) => {
                    said.lines().any(|l| l.trim().starts_with(before) && l.trim().len() > before.len())
                }
                None => said.contains(line),
            };
            match expected.lines().map(str::trim).filter(|l| !l.is_empty()).find(|l| !says(l)) {
                None => Outcome::Pass,
                Some(missing) => Outcome::Fail(format!("fetch did not say `{missing}`")),
            }
        }
        "template" => {
            let expected = expected::manifests(&expected_text);
            if expected == stdout {
                Outcome::Pass
            } else {
                Outcome::Fail(format!("manifests differ: {}", expected::first_difference(&expected, &stdout)))
            }
        }
        "list" if expected::same_table(&expected_text, &stdout) => Outcome::Pass,
        "build" if expected::same_documents(&expected_text, &stdout) => Outcome::Pass,
        "list" | "build" => Outcome::Fail(format!("{command} output differs as data")),
        other => Outcome::Fail(format!("the runner does not compare `{other}` yet")),
    }
}
