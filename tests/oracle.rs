//! helmfire's `template` against `helm template` of the same SDK version:
//! the same chart, values and flags must give the same bytes.

use similar_asserts::assert_eq;

use crate::util::{Workspace, helm_template};

/// One release rendered both ways. `helmfile` uses `CHART` for the chart's
/// path; `helm` is the argument list after `helm template`.
struct Case<'a> {
    helmfile: &'a str,
    files: &'a [(&'a str, &'a str)],
    helmfire_args: &'a [&'a str],
    helm_runs: &'a [&'a [&'a str]],
}

/// helmfile prints each release's `helm template` output followed by a
/// newline; helmfire does the same, so the oracle's output gets one too.
fn as_helmfile_prints(helm_stdout: String) -> String {
    if helm_stdout.is_empty() { helm_stdout } else { helm_stdout + "\n" }
}

fn check(chart_name: &str, case: Case<'_>) {
    let ws = Workspace::new();
    let chart_path = ws.chart_copy(chart_name);
    let chart_path = chart_path.to_str().unwrap();
    ws.write("helmfile.yaml", &case.helmfile.replace("CHART", chart_path));
    for (name, content) in case.files {
        ws.write(name, content);
    }
    let mut args = vec!["template"];
    args.extend_from_slice(case.helmfire_args);
    let ours = assert_success!(ws.run(&args));

    let expected: String = case
        .helm_runs
        .iter()
        .map(|run| {
            let run: Vec<&str> = run.iter().map(|a| if *a == "CHART" { chart_path } else { a }).collect();
            as_helmfile_prints(helm_template(ws.path(), &run))
        })
        .collect();
    assert!(!expected.trim().is_empty(), "the oracle rendered nothing");
    assert_eq!(expected, ours);
}

#[test]
fn subchart_with_values_overriding_the_child() {
    check(
        "subchart",
        Case {
            helmfile: "releases:\n- name: shop\n  namespace: prod\n  chart: CHART\n  values:\n  - override.yaml\n  set:\n  - name: child.replicas\n    value: 5\n",
            files: &[("override.yaml", "child:\n  message: from a values file\nglobal:\n  region: us-east-2\n")],
            helmfire_args: &[],
            helm_runs: &[&["shop", "CHART", "-n", "prod", "-f", "override.yaml", "--set", "child.replicas=5"]],
        },
    );
}

#[test]
fn subchart_disabled_by_its_condition() {
    check(
        "subchart",
        Case {
            helmfile: "releases:\n- name: shop\n  chart: CHART\n  values:\n  - child:\n      enabled: false\n",
            files: &[("off.yaml", "child:\n  enabled: false\n")],
            helmfire_args: &[],
            helm_runs: &[&["shop", "CHART", "-f", "off.yaml"]],
        },
    );
}

#[test]
fn named_templates_include_tpl_and_helpers() {
    check(
        "named-templates",
        Case {
            helmfile: "releases:\n- name: api\n  namespace: team-a\n  chart: CHART\n  set:\n  - name: name\n    value: widget\n  - name: ports\n    values: [8080, 9090]\n",
            files: &[],
            helmfire_args: &[],
            helm_runs: &[&["api", "CHART", "-n", "team-a", "--set", "name=widget", "--set", "ports={8080,9090}"]],
        },
    );
}

#[test]
fn show_only_picks_one_template() {
    check(
        "hooks",
        Case {
            helmfile: "releases:\n- name: jobs\n  chart: CHART\n",
            files: &[],
            helmfire_args: &["--show-only", "templates/app.yaml"],
            helm_runs: &[&["jobs", "CHART", "--show-only", "templates/app.yaml"]],
        },
    );
}

#[test]
fn files_get_glob_and_as_config() {
    check(
        "files",
        Case {
            helmfile: "releases:\n- name: cfg\n  chart: CHART\n",
            files: &[],
            helmfire_args: &[],
            helm_runs: &[&["cfg", "CHART"]],
        },
    );
}

#[test]
fn capabilities_default() {
    check(
        "capabilities",
        Case {
            helmfile: "releases:\n- name: caps\n  namespace: kube-system\n  chart: CHART\n",
            files: &[],
            helmfire_args: &[],
            helm_runs: &[&["caps", "CHART", "-n", "kube-system"]],
        },
    );
}

#[test]
fn capabilities_with_kube_version_and_api_versions() {
    check(
        "capabilities",
        Case {
            helmfile: "releases:\n- name: caps\n  chart: CHART\n",
            files: &[],
            helmfire_args: &[
                "--kube-version",
                "v1.29.3",
                "--api-versions",
                "monitoring.coreos.com/v1",
                "--api-versions",
                "policy/v1/PodDisruptionBudget",
            ],
            helm_runs: &[&[
                "caps",
                "CHART",
                "--kube-version",
                "v1.29.3",
                "--api-versions",
                "monitoring.coreos.com/v1",
                "--api-versions",
                "policy/v1/PodDisruptionBudget",
            ]],
        },
    );
}

#[test]
fn crds_are_left_out_by_default() {
    check(
        "crds",
        Case {
            helmfile: "releases:\n- name: w\n  chart: CHART\n",
            files: &[],
            helmfire_args: &[],
            helm_runs: &[&["w", "CHART"]],
        },
    );
}

#[test]
fn crds_with_include_crds() {
    check(
        "crds",
        Case {
            helmfile: "releases:\n- name: w\n  chart: CHART\n  setString:\n  - name: size\n    value: 7\n",
            files: &[],
            helmfire_args: &["--include-crds"],
            helm_runs: &[&["w", "CHART", "--include-crds", "--set-string", "size=7"]],
        },
    );
}

#[test]
fn hooks_and_test_hooks() {
    check(
        "hooks",
        Case {
            helmfile: "releases:\n- name: jobs\n  chart: CHART\n",
            files: &[],
            helmfire_args: &[],
            helm_runs: &[&["jobs", "CHART"]],
        },
    );
}

#[test]
fn hooks_with_skip_tests() {
    check(
        "hooks",
        Case {
            helmfile: "releases:\n- name: jobs\n  chart: CHART\n",
            files: &[],
            helmfire_args: &["--skip-tests"],
            helm_runs: &[&["jobs", "CHART", "--skip-tests"]],
        },
    );
}

#[test]
fn schema_valid_values_and_notes() {
    check(
        "schema",
        Case {
            helmfile: "releases:\n- name: s\n  chart: CHART\n  values:\n  - mode: ha\n    replicas: 3\n",
            files: &[("ha.yaml", "mode: ha\nreplicas: 3\n")],
            helmfire_args: &[],
            helm_runs: &[&["s", "CHART", "-f", "ha.yaml"]],
        },
    );
}

#[test]
fn command_line_set_and_values_come_after_the_releases_own() {
    check(
        "named-templates",
        Case {
            helmfile: "releases:\n- name: api\n  chart: CHART\n  values:\n  - a.yaml\n  set:\n  - name: name\n    value: from-release\n",
            files: &[("a.yaml", "name: from-a\nlabels:\n  team: a\n"), ("cli.yaml", "labels:\n  team: cli\n")],
            helmfire_args: &["--set", "name=from-cli", "--values", "cli.yaml"],
            helm_runs: &[&[
                "api",
                "CHART",
                "-f",
                "a.yaml",
                "-f",
                "cli.yaml",
                "--set",
                "name=from-release",
                "--set",
                "name=from-cli",
            ]],
        },
    );
}

#[test]
fn the_quickstart_example_renders_as_helm_does() {
    let ws = Workspace::new();
    let example = crate::util::repo_root().join("examples/quickstart");
    let ours = assert_success!(ws.run(&["template", "-f", example.join("helmfile.yaml").to_str().unwrap()]));
    ws.write("inline-frontend.yaml", "replicaCount: 2\n");
    ws.write("inline-backend.yaml", "service:\n  port: 8080\n");
    let chart = example.join("charts/hello");
    let chart = chart.to_str().unwrap();
    let frontend_values = example.join("values/frontend.yaml");
    let mut expected = as_helmfile_prints(helm_template(
        ws.path(),
        &[
            "frontend",
            chart,
            "-n",
            "web",
            "-f",
            frontend_values.to_str().unwrap(),
            "-f",
            "inline-frontend.yaml",
            "--set",
            "image.tag=1.27",
        ],
    ));
    expected += &as_helmfile_prints(helm_template(
        ws.path(),
        &["backend", chart, "-n", "api", "-f", "inline-backend.yaml", "--set-string", "podAnnotations.build=20261125"],
    ));
    assert_eq!(expected, ours);
}

#[test]
fn state_and_release_kube_version_and_api_versions() {
    check(
        "capabilities",
        Case {
            helmfile: "kubeVersion: v1.26.0\napiVersions: [monitoring.coreos.com/v1]\nreleases:\n- name: caps\n  chart: CHART\n- name: own\n  chart: CHART\n  kubeVersion: v1.31.2\n  apiVersions: [policy/v1/PodDisruptionBudget]\n",
            files: &[],
            helmfire_args: &[],
            helm_runs: &[
                &["caps", "CHART", "--kube-version", "v1.26.0", "--api-versions", "monitoring.coreos.com/v1"],
                &["own", "CHART", "--kube-version", "v1.31.2", "--api-versions", "policy/v1/PodDisruptionBudget"],
            ],
        },
    );
}
