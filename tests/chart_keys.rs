//! The chart keys of a release (and of helmDefaults and repositories):
//! `valuesPathPrefix`, `skipSchemaValidation`, `devel`, `plainHttp`,
//! `verify`, compared with helmfile v1.8.0 where it can run them.

use crate::chart_repo::ChartRepo;
use crate::oci_registry::Registry;
use crate::util::{Workspace, chart, helmfile};

fn both(ws: &Workspace, args: &[&str]) -> (String, String) {
    let ours = assert_success!(ws.run(args));
    let theirs = assert_success!(helmfile(ws.path(), args));
    (ours, theirs)
}

#[test]
fn values_path_prefix_is_prepended_as_written() {
    let ws = Workspace::new();
    ws.write("envs/prod/values.yaml", "tier: gold\n");
    ws.write("envs/prod/extra.yaml.gotmpl", "name: '{{ .Release.Name }}'\n");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: app\n  chart: {}\n  valuesPathPrefix: envs/prod/\n  values:\n  - values.yaml\n  - extra.yaml.gotmpl\n",
            chart("kinds").display()
        ),
    );
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("tier: \"string=gold\"") && ours.contains("name: \"string=app\""), "{ours}");
}

#[test]
fn schema_validation_is_skipped_when_any_level_says_so() {
    let ws = Workspace::new();
    let c = chart("schema");
    let state = |release_key: &str, defaults: &str| {
        format!(
            "{defaults}releases:\n- name: app\n  chart: {}\n{release_key}  values:\n  - mode: invalid\n",
            c.display()
        )
    };
    ws.write("helmfile.yaml", &state("", ""));
    let out = ws.run(&["template", "--skip-deps"]);
    assert_clean_failure!(out, "mode");
    assert!(!helmfile(ws.path(), &["template", "--skip-deps"]).status.success(), "helmfile refuses it too");

    let (ours, theirs) = both(&ws, &["template", "--skip-deps", "--skip-schema-validation"]);
    similar_asserts::assert_eq!(theirs, ours);

    ws.write("helmfile.yaml", &state("  skipSchemaValidation: true\n", ""));
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(theirs, ours);

    // A release's `false` does not undo helmDefaults' `true`.
    ws.write(
        "helmfile.yaml",
        &state("  skipSchemaValidation: false\n", "helmDefaults:\n  skipSchemaValidation: true\n"),
    );
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(theirs, ours);
}

#[test]
fn devel_takes_development_versions_when_no_version_is_given() {
    let repo = ChartRepo::serve(&[chart("raw-0.1.0"), chart("raw-0.2.0-rc.1")], None);
    let ws = Workspace::new();
    let release = |name: &str, devel: &str| {
        format!(
            "- name: {name}\n  chart: myrepo/raw\n{devel}  values:\n  - templates:\n    - |\n      kind: ConfigMap\n      metadata:\n        name: {name}\n      data:\n        version: {{{{ .Chart.Version }}}}\n"
        )
    };
    ws.write(
        "helmfile.yaml",
        &format!(
            "repositories:\n- name: myrepo\n  url: {}\nreleases:\n{}{}",
            repo.url,
            release("stable", ""),
            release("devel", "  devel: true\n")
        ),
    );
    let (ours, theirs) = both(&ws, &["template"]);
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("name: stable\ndata:\n  version: 0.1.0"), "{ours}");
    assert!(ours.contains("name: devel\ndata:\n  version: 0.2.0-rc.1"), "{ours}");
}

#[test]
fn a_release_asks_for_plain_http_to_its_registry() {
    let registry = Registry::start();
    registry.push_charts("myrepo", &[chart("raw-0.1.0")]);
    let ws = Workspace::new();
    let state = |plain: &str| {
        format!("releases:\n- name: app\n  chart: {}\n  version: 0.1.0\n{plain}", registry.url("myrepo/raw"))
    };
    ws.write("helmfile.yaml", &state(""));
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "plain HTTP");
    ws.write("helmfile.yaml", &state("  plainHttp: true\n"));
    assert_success!(ws.run(&["template"]));
}

#[test]
fn verify_refuses_a_chart_without_provenance_where_helmfile_verifies() {
    let repo = ChartRepo::serve(&[chart("raw-0.1.0")], None);
    let ws = Workspace::new();
    ws.write("keyring.gpg", "");
    ws.write(
        "helmfile.yaml",
        &format!(
            "repositories:\n- name: myrepo\n  url: {}\n  verify: true\n  keyring: keyring.gpg\nreleases:\n- name: app\n  chart: myrepo/raw\n  version: 0.1.0\n",
            repo.url
        ),
    );
    // helmfile passes --verify to `helm fetch` and `helm upgrade`, not to
    // `helm template`.
    assert_success!(ws.run(&["template"]));
    let out = ws.run(&["fetch", "--output-dir", "charts"]);
    assert_clean_failure!(out, "myrepo/raw", "provenance could not be fetched");
    // A release's own `verify: false` wins over its repository's.
    let text = std::fs::read_to_string(ws.path().join("helmfile.yaml")).unwrap();
    ws.write("helmfile.yaml", &(text + "  verify: false\n"));
    assert_success!(ws.run(&["fetch", "--output-dir", "charts"]));
}
