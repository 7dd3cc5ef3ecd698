//! Selectors, needs and the commands that show the plan: `list`, `show-dag`.

use crate::util::{Workspace, chart};

fn workspace() -> Workspace {
    let ws = Workspace::new();
    let c = chart("named-templates");
    let c = c.display();
    ws.write(
        "helmfile.yaml",
        &format!(
            "commonLabels:\n  owner: platform\nreleases:\n\
             - name: db\n  namespace: data\n  chart: {c}\n  labels: {{tier: backend}}\n\
             - name: api\n  namespace: app\n  chart: {c}\n  labels: {{tier: backend}}\n  needs: [data/db]\n\
             - name: web\n  namespace: app\n  chart: {c}\n  labels: {{tier: frontend}}\n  needs: [api]\n\
             - name: old\n  namespace: app\n  chart: {c}\n  installed: false\n"
        ),
    );
    ws
}

fn rendered_releases(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  name: ").and_then(|n| n.strip_suffix("-demo")).map(str::to_string))
        .collect()
}

#[test]
fn selectors_and_and_or_pick_releases() {
    let ws = workspace();
    let out = assert_success!(ws.run(&["template", "-l", "tier=backend"]));
    assert_eq!(rendered_releases(&out), ["db", "api"]);
    let out = assert_success!(ws.run(&["template", "-l", "tier=backend,name!=db", "-l", "name=web"]));
    assert_eq!(rendered_releases(&out), ["api", "web"]);
    let out = assert_success!(ws.run(&["template", "-l", "namespace=app"]));
    assert_eq!(rendered_releases(&out), ["api", "web"], "installed: false releases are not templated");
}

#[test]
fn include_needs_adds_what_the_selection_needs_in_dependency_order() {
    let ws = workspace();
    // As helmfile's template: --include-needs brings the needs of needs too.
    let out = assert_success!(ws.run(&["template", "-l", "name=web", "--include-needs"]));
    assert_eq!(rendered_releases(&out), ["db", "api", "web"]);
    let out = assert_success!(ws.run(&["template", "-l", "name=web", "--include-transitive-needs"]));
    assert_eq!(rendered_releases(&out), ["db", "api", "web"]);
}

#[test]
fn an_unselected_need_is_an_error_when_needs_are_not_skipped() {
    let ws = workspace();
    let out = ws.run(&["template", "-l", "name=web", "--skip-needs=false"]);
    assert_clean_failure!(out, "which does not match the selectors");
}

#[test]
fn no_match_exits_3_unless_allowed() {
    let ws = workspace();
    let out = ws.run(&["template", "-l", "tier=nope"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no releases found that match the selectors `tier=nope`"));
    let out = ws.run(&["template", "-l", "tier=nope", "--allow-no-matching-release"]);
    assert!(out.status.success());
}

#[test]
fn a_malformed_selector_is_named() {
    let ws = workspace();
    let out = ws.run(&["template", "-l", "tier"]);
    assert_clean_failure!(out, "tier", "Expected label in form k=v or k!=v");
}

#[test]
fn list_shows_helmfiles_table_and_json() {
    let ws = workspace();
    let out = assert_success!(ws.run(&["list"]));
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').map(str::trim_end).collect()).collect();
    assert_eq!(rows[0], ["NAME", "NAMESPACE", "ENABLED", "INSTALLED", "LABELS", "CHART", "VERSION"]);
    let old = rows.iter().find(|r| r[0] == "old").expect("a row for `old`");
    assert_eq!(
        old[..5],
        ["old", "app", "true", "false", "chart:named-templates,name:old,namespace:app,owner:platform"]
    );
    // Sorted by namespace, then name, as helmfile 1.8 lists.
    let keys: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[1], r[0])).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Cells are padded to their column, as helmfile's table.
    assert!(out.lines().next().unwrap().starts_with("NAME\tNAMESPACE\tENABLED\tINSTALLED\tLABELS   "));
    let json: serde_json::Value =
        serde_json::from_str(&assert_success!(ws.run(&["list", "-o", "json", "-l", "name=api"]))).unwrap();
    assert_eq!(json[0]["name"], "api");
    assert_eq!(json[0]["labels"], "chart:named-templates,name:api,namespace:app,owner:platform,tier:backend");
}

#[test]
fn show_dag_prints_the_batches() {
    let ws = workspace();
    let out = assert_success!(ws.run(&["show-dag"]));
    assert_eq!(
        out,
        "GROUP RELEASE DEPENDENCIES\n1     data/db\n1     app/old\n2     app/api data/db\n3     app/web app/api\n"
    );
    let dot = assert_success!(ws.run(&["show-dag", "-o", "dot"]));
    assert!(dot.contains("\"data/db\" -> \"app/api\";"), "{dot}");
}

#[test]
fn a_needs_cycle_prints_the_cycle() {
    let ws = Workspace::new();
    let c = chart("files");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: a\n  chart: {0}\n  needs: [b]\n- name: b\n  chart: {0}\n  needs: [a]\n",
            c.display()
        ),
    );
    let out = ws.run(&["show-dag"]);
    assert_clean_failure!(out, "a -> b -> a");
}

#[test]
fn a_missing_need_is_named() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: a\n  chart: {}\n  needs: [ghost]\n", chart("files").display()),
    );
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "ghost");
}

fn sub_helmfile_workspace() -> Workspace {
    let ws = Workspace::new();
    let c = chart("files");
    let c = c.display();
    let sub = format!(
        "releases:\n- name: a\n  chart: {c}\n  labels: {{tier: x}}\n- name: b\n  chart: {c}\n  labels: {{tier: y}}\n"
    );
    ws.write("subs/explicit.yaml", &sub);
    ws.write("subs/all.yaml", &sub.replace("name: a", "name: c").replace("name: b", "name: d"));
    ws.write("subs/inherited.yaml", &sub.replace("name: a", "name: e").replace("name: b", "name: f"));
    ws.write(
        "helmfile.yaml",
        "helmfiles:\n- path: subs/explicit.yaml\n  selectors: [tier=x]\n- path: subs/all.yaml\n  selectors: []\n- path: subs/inherited.yaml\n  selectorsInherited: true\n",
    );
    ws
}

fn listed(ws: &Workspace, args: &[&str]) -> Vec<String> {
    let mut full = args.to_vec();
    full.extend(["list", "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&assert_success!(ws.run(&full))).unwrap();
    json.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn sub_helmfile_selectors_replace_or_inherit_the_command_lines() {
    let ws = sub_helmfile_workspace();
    assert_eq!(listed(&ws, &[]), ["a", "c", "d", "e", "f"]);
    // tier=y conflicts with the explicit tier=x: that sub-helmfile is skipped;
    // `selectors: []` keeps all; the inheriting one applies tier=y.
    assert_eq!(listed(&ws, &["-l", "tier=y"]), ["c", "d", "f"]);
}
