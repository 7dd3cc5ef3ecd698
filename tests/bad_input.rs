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
        "repositories:\n  - name: r\n    url: https://charts.example\n    managed: acr\nreleases:\n  - name: a\n    chart: {}\n",
        chart("files").display()
    ));
    let out = ws.run(&["template"]);
    assert_clean_failure!(
        out,
        "helmfile.yaml:4: `managed`",
        "is not supported by helmfire yet",
        "az acr helm repo add",
        "oci: true"
    );
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
    // helmfile makes a chart of it that renders nothing; helmfire says so.
    let out = ws.run(&["template"]);
    assert!(out.status.success() && out.stdout.trim_ascii().is_empty(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Chart.yaml and no manifests"), "{out:?}");
}

#[test]
fn a_missing_values_file() {
    let ws = workspace_with(&format!(
        "releases:\n  - name: a\n    chart: {}\n    values:\n    - missing.yaml\n",
        chart("files").display()
    ));
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "values file matching \"missing.yaml\"", "does not exist");
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

#[test]
fn helmfiles_that_include_themselves_name_the_cycle() {
    let ws = workspace_with("helmfiles:\n- helmfile.yaml\n");
    assert_clean_failure!(ws.run(&["list"]), "`helmfiles:` include a cycle", "helmfile.yaml -> ");

    let ws = workspace_with("helmfiles:\n- a.yaml\n");
    ws.write("a.yaml", "helmfiles:\n- b.yaml\n");
    ws.write("b.yaml", "helmfiles:\n- a.yaml\n");
    let out = ws.run(&["list"]);
    assert_clean_failure!(out, "a.yaml -> ", "b.yaml -> ");

    let ws = workspace_with("helmfiles:\n- '*.yaml'\nreleases: []\n");
    assert_clean_failure!(ws.run(&["list"]), "include a cycle");
}

#[test]
fn release_names_and_namespaces_follow_helm_and_kubernetes_rules() {
    let c = chart("files");
    for (release, complaint) in [
        (format!("- name: ../../x\n  chart: {}\n", c.display()), "release name `../../x` is not valid"),
        (format!("- name: a\n  namespace: ../../x\n  chart: {}\n", c.display()), "namespace `../../x` of release `a`"),
        (format!("- name: Web\n  chart: {}\n", c.display()), "release name `Web` is not valid"),
        (format!("- name: {}\n  chart: {}\n", "a".repeat(54), c.display()), "helm allows at most 53"),
    ] {
        let ws = workspace_with(&format!("releases:\n{release}"));
        for command in ["template", "write-values", "fetch"] {
            assert_clean_failure!(ws.run(&[command]), complaint, "helmfile.yaml:2");
        }
        // helmfile's list and build show whatever is written (its own
        // snapshot suite builds a release in `myNamespace`).
        for command in ["list", "build"] {
            assert_success!(ws.run(&[command]));
        }
    }
}

#[test]
fn devices_and_huge_files_are_refused_as_values() {
    let c = chart("files");
    let ws = workspace_with(&format!(
        "environments:\n  default:\n    values:\n    - /dev/zero\n---\nreleases:\n- name: a\n  chart: {}\n",
        c.display()
    ));
    assert_clean_failure!(ws.run(&["list"]), "/dev/zero is not a regular file");

    let ws =
        workspace_with(&format!("releases:\n- name: a\n  chart: {}\n  values:\n  - big.yaml.gotmpl\n", c.display()));
    let big = std::fs::File::create(ws.path().join("big.yaml.gotmpl")).unwrap();
    big.set_len(helmfire::state::MAX_INPUT_BYTES + 1).unwrap();
    assert_clean_failure!(ws.run(&["template"]), "big.yaml.gotmpl is larger than helmfire reads");
}

#[test]
fn a_template_that_fails_says_why() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml.gotmpl", "{{ fail \"set DEPLOY_ENV first\" }}\n");
    assert_clean_failure!(ws.run(&["list"]), "set DEPLOY_ENV first");
}

#[test]
fn an_absurd_concurrency_is_just_no_limit() {
    let ws = workspace_with(&format!("releases:\n- name: a\n  chart: {}\n", chart("files").display()));
    let out = ws.run(&["template", "--concurrency", "4611686018427387904"]);
    assert_success!(out);
}

#[test]
fn a_usage_error_exits_3_never_the_changes_code() {
    let ws = Workspace::new();
    let out = ws.run(&["diff", "--detailed-exitcode", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(3), "helmfile exits 3 on a usage error; 2 means changes");
    assert_clean_failure!(out, "--no-such-flag");
    assert!(ws.run(&["--help"]).status.success());
}

#[test]
fn mistakes_are_named_where_they_are_written() {
    let c = chart("files");
    let cases: [(String, &[&str]); 7] = [
        (
            format!("releases:\n- name: a\n  chart: {}\n- chart: {}\n", c.display(), c.display()),
            &["helmfile.yaml:4:", "no `name`"],
        ),
        (
            format!("releases:\n- name: a\n  chart: {}\n  needs: [dbb]\n", c.display()),
            &["helmfile.yaml:2:", "undefined release `dbb`"],
        ),
        (
            "repositories:\n- name: r\n  ulr: https://charts.example\n".to_string(),
            &["unknown key `ulr`", "did you mean `url`?"],
        ),
        ("helmDefaults:\n  timeout: 5m\n".to_string(), &["`timeout` is `5m`", "seconds"]),
        (
            format!("releases:\n- name: a\n  chart: {}\n  historyMax: ten\n", c.display()),
            &["helmfile.yaml:2:", "`historyMax`"],
        ),
        (
            "bases: [missing.yaml]\n---\nreleases: []\n".to_string(),
            &["helmfile.yaml:1:", "the base `missing.yaml` does not exist"],
        ),
        (
            format!("releases:\n- name: a\n  chart: {}\n  version: {{{{ .Values.v }}}}\n", c.display()),
            &["helmfile.yaml:4:", "rename it to end in .gotmpl"],
        ),
    ];
    for (helmfile, fragments) in cases {
        let ws = workspace_with(&helmfile);
        let out = ws.run(&["template"]);
        for fragment in fragments {
            assert_clean_failure!(out, *fragment);
        }
    }
}

#[test]
fn a_recursive_template_fails_in_a_few_lines() {
    let ws = workspace_with(&format!(
        "releases:\n- name: a\n  chart: {}\n  values:\n  - v.yaml.gotmpl\n",
        chart("files").display()
    ));
    ws.write("v.yaml.gotmpl", "{{ define \"x\" }}{{ include \"x\" . }}{{ end }}{{ include \"x\" . }}\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "v.yaml.gotmpl", "times]");
    assert!(out.stderr.len() < 2000, "{} bytes of error", out.stderr.len());
}
