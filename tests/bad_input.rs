//! Bad input gets one clear message naming the culprit, a non-zero exit and
//! no panic.

use crate::util::{Workspace, chart};

fn workspace_with(helmfile: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", helmfile);
    ws
}

#[test]
fn no_helmfile_in_the_directory() {
    let ws = Workspace::new();
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "no helmfile.yaml, helmfile.yaml.gotmpl or helmfile.d/ found in", "hint:", "-f FILE");
}

#[test]
fn a_state_file_given_with_f_that_does_not_exist() {
    let ws = Workspace::new();
    let out = ws.run(&["template", "-f", "nope.yaml"]);
    assert_clean_failure!(out, "the state file nope.yaml does not exist");
}

#[test]
fn malformed_yaml_names_the_line_and_column() {
    let ws = workspace_with("releases:\n  - name: a\n    chart: ./c\n   namespace: x\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "helmfile.yaml:4:");
}

#[test]
fn a_wrongly_typed_value_names_the_field_and_line() {
    let ws = workspace_with("releases:\n  - name: a\n    chart: ./c\n    values: not-a-list\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "helmfile.yaml:4:", "releases[0].values");
}

#[test]
fn an_unknown_key_suggests_the_closest_valid_one() {
    let ws = workspace_with("releases:\n  - name: a\n    chartt: ./c\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "helmfile.yaml:3:5: unknown key `chartt` in a release", "hint: did you mean `chart`?");
}

#[test]
fn an_unknown_top_level_key() {
    let ws = workspace_with("relases:\n  - name: a\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "unknown key `relases` in the top level", "did you mean `releases`?");
}

#[test]
fn a_helmfile_key_not_implemented_yet_is_not_silently_ignored() {
    let ws = workspace_with(&format!(
        "releases:\n  - name: a\n    chart: {}\n    secrets: [s.yaml]\n",
        chart("files").display()
    ));
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "helmfile.yaml:4: `secrets` in release `a` is not supported by helmfire yet");
}

#[test]
fn a_missing_chart_path() {
    let ws = workspace_with("releases:\n  - name: a\n    chart: ./charts/missing\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "charts/missing");
}

#[test]
fn a_directory_that_is_not_a_chart() {
    let ws = workspace_with("releases:\n  - name: a\n    chart: ./empty\n");
    std::fs::create_dir_all(ws.path().join("empty")).unwrap();
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "has no Chart.yaml");
}

#[test]
fn a_missing_values_file() {
    let ws = workspace_with(&format!(
        "releases:\n  - name: a\n    chart: {}\n    values:\n    - missing.yaml\n",
        chart("files").display()
    ));
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "missing.yaml does not exist");
}

#[test]
fn a_malformed_values_file() {
    let ws = workspace_with(&format!(
        "releases:\n  - name: a\n    chart: {}\n    values:\n    - bad.yaml\n",
        chart("files").display()
    ));
    ws.write("bad.yaml", "a: [unclosed\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "failed to parse", "bad.yaml");
}

#[test]
fn a_template_error_inside_a_chart_names_the_template() {
    let ws = workspace_with(&format!("releases:\n  - name: a\n    chart: {}\n", chart("broken").display()));
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "broken/templates/bad.yaml");
}

#[test]
fn a_values_schema_violation_names_the_field() {
    let ws = workspace_with(&format!(
        "releases:\n  - name: a\n    chart: {}\n    set:\n    - name: mode\n      value: weird\n",
        chart("schema").display()
    ));
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "values don't meet the specifications of the schema", "mode", "hint:");
}

#[test]
fn a_chart_from_an_undefined_repository() {
    let ws = workspace_with("releases:\n  - name: a\n    chart: nowhere/nginx\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "repository \"nowhere\" is defined neither in the state's repositories");
}

#[test]
fn a_release_declared_twice() {
    let c = chart("files");
    let ws = workspace_with(&format!("releases:\n- name: a\n  chart: {0}\n- name: a\n  chart: {0}\n", c.display()));
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a` in namespace `` is declared twice");
}

#[test]
fn one_failing_release_does_not_hide_the_others() {
    let ws = workspace_with(&format!(
        "releases:\n- name: good\n  chart: {}\n- name: bad\n  chart: {}\n",
        chart("files").display(),
        chart("broken").display()
    ));
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `bad`");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("name: good-config"), "the good release's manifests are printed:\n{stdout}");
}
