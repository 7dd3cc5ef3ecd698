//! What helmfile does with a state, compared with helmfile v1.8.0 itself
//! (built from Go modules, with the helm CLI oracle as its helm): YAML
//! typing on every path values take, `bases:` paths, values templates.

use crate::util::{Workspace, chart, copy_dir, helmfile};

/// Every spelling YAML 1.1, YAML 1.2 and go-yaml v3 disagree about.
const SPELLINGS: &[&str] = &[
    "off",
    "on",
    "yes",
    "no",
    "y",
    "n",
    "Y",
    "N",
    "Yes",
    "NO",
    "On",
    "OFF",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "tRUE",
    "~",
    "null",
    "Null",
    "NULL",
    "",
    "0",
    "-0",
    "+1",
    "017",
    "0o17",
    "0x1F",
    "0X1F",
    "-0x1F",
    "0b101",
    "1_000",
    "08",
    "09.5",
    "1e3",
    "1.0",
    "1.",
    ".5",
    "-.5",
    "1.50",
    "1e400",
    "0x",
    "1.2.3",
    "12:30",
    "12:30:45",
    "v1.2",
    "2001-12-14",
    "2001-12-14T21:59:43Z",
    "2001-12-14 21:59:43.10",
    "1000000",
    "123456789012",
];

/// `k00: <spelling>` lines, then `q00: "<spelling>"` lines, indented.
fn spelling_lines(indent: &str) -> String {
    let mut out = String::new();
    for (i, s) in SPELLINGS.iter().enumerate() {
        out += &format!("{indent}k{i:02}: {s}\n{indent}q{i:02}: \"{s}\"\n");
    }
    out
}

/// The manifests both tools print for `args`, asserting both succeed.
fn both(ws: &Workspace, args: &[&str]) -> (String, String) {
    let ours = assert_success!(ws.run(args));
    let theirs = assert_success!(helmfile(ws.path(), args));
    (ours, theirs)
}

#[test]
fn scalars_reach_the_chart_as_they_do_through_helmfile() {
    let ws = Workspace::new();
    let c = chart("kinds");
    ws.write("values.yaml", &spelling_lines(""));
    ws.write("values.yaml.gotmpl", &format!("# {{{{ .Release.Name }}}}\n{}", spelling_lines("")));
    let inline = spelling_lines("    ");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n\
             - name: inline\n  chart: {c}\n  values:\n  - \n{inline}\
             - name: file\n  chart: {c}\n  values:\n  - values.yaml\n\
             - name: gotmpl\n  chart: {c}\n  values:\n  - values.yaml.gotmpl\n\
             - name: template\n  chart: {c}\n  valuesTemplate:\n  - \n{inline}\
             - name: set\n  chart: {c}\n  set:\n{sets}",
            c = c.display(),
            sets = SPELLINGS
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.is_empty())
                .map(|(i, s)| format!("  - name: k{i:02}\n    value: {s}\n  - name: q{i:02}\n    value: \"{s}\"\n"))
                .collect::<String>(),
        ),
    );
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(ours, theirs);
    assert!(ours.contains("q00: \"string=off\""), "a quoted off stays a string: {ours}");
}

#[test]
fn paths_inside_bases_resolve_from_the_including_state_file() {
    let ws = Workspace::new();
    let c = chart("kinds");
    // The base lives two directories down; everything it names is written
    // relative to the directory of the helmfile that includes it.
    ws.write(
        "layers/common/base.yaml",
        &format!(
            "environments:\n  default:\n    values:\n    - env/default.yaml\n    - env/*.glob.yaml\n---\n\
             releases:\n- name: from-base\n  chart: {}\n  values:\n  - values/from-base.yaml\n",
            pathdiff(&c, ws.path())
        ),
    );
    ws.write("env/default.yaml", "region: eu\n");
    ws.write("env/a.glob.yaml", "tier: gold\n");
    ws.write("values/from-base.yaml", "origin: including-dir\n");
    // Decoys where the base's own directory would lead.
    ws.write("layers/common/env/default.yaml", "region: wrong\n");
    ws.write("layers/common/values/from-base.yaml", "origin: base-dir\n");
    ws.write("own.yaml.gotmpl", "region: {{ .Values.region }}\ntier: {{ .Values.tier }}\n");
    ws.write(
        "helmfile.yaml",
        "bases:\n- layers/common/base.yaml\nreleases:\n- name: own\n  chart: ./charts/kinds\n  values:\n  - own.yaml.gotmpl\n",
    );
    std::fs::create_dir_all(ws.path().join("charts")).unwrap();
    copy_dir(&c, &ws.path().join("charts/kinds"));
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(ours, theirs);
    assert!(ours.contains("origin: \"string=including-dir\""), "{ours}");
    assert!(ours.contains("region: \"string=eu\"") && ours.contains("tier: \"string=gold\""), "{ours}");
}

#[test]
fn list_and_build_leave_values_templates_unrendered() {
    let ws = Workspace::new();
    ws.write("fails.yaml.gotmpl", "{{ fail \"rendered a values template\" }}\n");
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: r\n  chart: {}\n  values:\n  - fails.yaml.gotmpl\n", chart("kinds").display()),
    );
    let list = assert_success!(ws.run(&["list", "-o", "json"]));
    let theirs = assert_success!(helmfile(ws.path(), &["list", "--output", "json"]));
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert_eq!(parse(&list), parse(&theirs));
    let build = assert_success!(ws.run(&["build"]));
    assert!(build.contains("- fails.yaml.gotmpl"), "build shows the file name: {build}");
    assert_clean_failure!(ws.run(&["template"]), "rendered a values template");
}

#[test]
fn include_in_a_values_template_uses_the_helpers_beside_it() {
    let ws = Workspace::new();
    ws.write("values/_helpers.tpl", "{{ define \"greeting\" }}hello from {{ .Release.Name }}{{ end }}\n");
    ws.write("values/app.yaml.gotmpl", "greeting: {{ include \"greeting\" . | quote }}\n");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: app\n  chart: {}\n  values:\n  - values/app.yaml.gotmpl\n",
            chart("kinds").display()
        ),
    );
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(ours, theirs);
    assert!(ours.contains("greeting: \"string=hello from app\""), "{ours}");
}

#[test]
fn release_templates_merge_as_in_helmfile() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "templates:\n  base: &base\n    chart: {c}\n    namespace: base-ns\n    labels: {{a: base, b: base}}\n    values:\n    - {{from: template}}\n  \
             named: &named\n    <<: *base\n    namespace: named-ns\n  \
             other:\n    namespace: other-ns\n    labels: {{a: other}}\n\
             defaultInherit: base\n\
             releases:\n- name: by-default\n- <<: *named\n  name: by-merge\n\
             - name: own-wins\n  namespace: own-ns\n  labels: {{a: own}}\n  inherit: [{{template: other}}]\n\
             - name: later-template-wins\n  inherit: [{{template: other}}]\n",
            c = chart("kinds").display()
        ),
    );
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(ours, theirs);
    assert!(ours.contains("from: \"string=template\""), "{ours}");
    let list = |out: String| {
        let mut rows: Vec<serde_json::Value> =
            serde_json::from_str::<serde_json::Value>(&out).unwrap().as_array().unwrap().clone();
        rows.sort_by_key(|r| r["name"].as_str().unwrap().to_string());
        rows
    };
    let ours = list(assert_success!(ws.run(&["list", "-o", "json"])));
    let theirs = list(assert_success!(helmfile(ws.path(), &["list", "--output", "json"])));
    similar_asserts::assert_eq!(ours, theirs);
    let by_name = |name: &str| ours.iter().find(|r| r["name"] == name).unwrap()["namespace"].clone();
    assert_eq!(by_name("by-merge"), "named-ns", "a merge inside a merged anchor applies");
    assert_eq!(by_name("own-wins"), "own-ns", "the release's own fields win over its templates");
    assert_eq!(by_name("later-template-wins"), "other-ns", "a later template wins over defaultInherit");
}

/// `path` relative to `base`, both absolute.
fn pathdiff(path: &std::path::Path, base: &std::path::Path) -> String {
    let up = base.components().count();
    let mut rel = std::path::PathBuf::new();
    for _ in 0..up {
        rel.push("..");
    }
    rel.join(path.strip_prefix("/").unwrap()).display().to_string()
}

#[test]
fn write_values_writes_what_helmfile_writes() {
    let ws = Workspace::new();
    ws.write("values.yaml", &spelling_lines(""));
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: r\n  chart: {}\n  values:\n  - values.yaml\n  - \n{}",
            chart("kinds").display(),
            spelling_lines("    ").replace(": ", ": inline-").replace("inline-\"", "\"inline-")
        ),
    );
    let template = "out-{{ .Release.Name }}.yaml";
    assert_success!(ws.run(&["write-values", "--output-file-template", template]));
    let ours = std::fs::read_to_string(ws.path().join("out-r.yaml")).unwrap();
    std::fs::remove_file(ws.path().join("out-r.yaml")).unwrap();
    assert_success!(helmfile(ws.path(), &["write-values", "--output-file-template", template]));
    let theirs = std::fs::read_to_string(ws.path().join("out-r.yaml")).unwrap();
    similar_asserts::assert_eq!(ours, theirs);
}

#[test]
fn missing_values_files_follow_missing_file_handler() {
    let ws = Workspace::new();
    let c = chart("kinds");
    ws.write("present.yaml", "here: yes\n");
    ws.write(
        "helmfile.yaml",
        &format!(
            "missingFileHandler: Warn\nreleases:\n- name: skips\n  chart: {c}\n  values:\n  - present.yaml\n  - absent.yaml\n  - absent-*.yaml\n\
             - name: own-info\n  chart: {c}\n  missingFileHandler: Info\n  values:\n  - absent.yaml.gotmpl\n  - present.yaml\n",
            c = c.display()
        ),
    );
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(ours, theirs);
    let out = ws.run(&["template", "--skip-deps"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipping missing values file matching \"absent.yaml\""));

    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: strict\n  chart: {}\n  values:\n  - absent.yaml\n", c.display()),
    );
    assert_clean_failure!(ws.run(&["template"]), "values file matching \"absent.yaml\"", "missingFileHandler");
    assert!(!helmfile(ws.path(), &["template", "--skip-deps"]).status.success(), "helmfile refuses it too");
}

#[test]
fn top_level_namespace_kube_context_and_chart_apply_to_every_release() {
    let ws = Workspace::new();
    let c = chart("kinds");
    ws.write(
        "helmfile.yaml",
        &format!(
            "namespace: everyone\nkubeContext: shared\nchart: {c}\nreleases:\n- name: a\n  namespace: own\n  chart: ./nowhere\n- name: b\n  chart: other/chart\n",
            c = c.display()
        ),
    );
    let list = |out: String| -> serde_json::Value { serde_json::from_str(&out).unwrap() };
    let ours = list(assert_success!(ws.run(&["list", "-o", "json"])));
    let theirs = list(assert_success!(helmfile(ws.path(), &["list", "--output", "json"])));
    assert_eq!(ours, theirs);
    assert_eq!(ours[0]["namespace"], "everyone");
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    similar_asserts::assert_eq!(ours, theirs);
    assert_clean_failure!(ws.run(&["-n", "other", "list"]), "sets `namespace: everyone`");
}

#[test]
fn a_sub_helmfile_inherits_what_its_entry_names() {
    let repo = crate::chart_repo::ChartRepo::serve(&[chart("raw-0.1.0")], None);
    let ws = Workspace::new();
    ws.write("env/prod.yaml", "region: eu\ntier: gold\n");
    ws.write(
        "helmfile.yaml",
        &format!(
            "environments:\n  default:\n  prod:\n    values:\n    - env/prod.yaml\n---\n\
             repositories:\n- name: myrepo\n  url: {url}\n\
             commonLabels:\n  team: platform\n\
             apiVersions: [example.com/v1]\n\
             templates:\n  base:\n    chart: myrepo/raw\n    version: 0.1.0\n\
             helmfiles:\n\
             - path: child/inherits.yaml.gotmpl\n  inherits: [repositories, commonLabels, templates, apiVersions, environments]\n\
             - path: child/alone.yaml.gotmpl\n",
            url = repo.url
        ),
    );
    let release = |name: &str| {
        format!(
            "- name: {name}\n  inherit: [{{template: base}}]\n  chart: myrepo/raw\n  version: 0.1.0\n  values:\n  - templates:\n    - |\n      kind: ConfigMap\n      metadata:\n        name: {name}\n      data:\n        region: {{{{ .Values | get \"region\" \"none\" }}}}\n        capability: '{{{{`{{{{ .Capabilities.APIVersions.Has \"example.com/v1\" }}}}`}}}}'\n"
        )
    };
    ws.write(
        "child/inherits.yaml.gotmpl",
        &format!("environments:\n  prod:\n    values:\n    - tier: silver\n---\nreleases:\n{}", release("heir")),
    );
    ws.write(
        "child/alone.yaml.gotmpl",
        &format!(
            "environments:\n  default:\n  prod:\n---\nrepositories:\n- name: myrepo\n  url: {}\nreleases:\n{}",
            repo.url,
            release("alone").replace("  inherit: [{template: base}]\n", "")
        ),
    );
    for args in [&["template"][..], &["-e", "prod", "template"]] {
        let (ours, theirs) = both(&ws, args);
        similar_asserts::assert_eq!(theirs, ours);
    }
    let ours = assert_success!(ws.run(&["-e", "prod", "template"]));
    assert!(ours.contains("name: heir\ndata:\n  region: eu\n  capability: 'true'"), "{ours}");
    assert!(ours.contains("name: alone\ndata:\n  region: none\n  capability: 'false'"), "{ours}");
    let list = |out: String| -> serde_json::Value { serde_json::from_str(&out).unwrap() };
    let ours = list(assert_success!(ws.run(&["list", "-o", "json"])));
    let theirs = list(assert_success!(helmfile(ws.path(), &["list", "--output", "json"])));
    assert_eq!(ours, theirs);
    assert!(
        ours.as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "heir" && r["labels"].as_str().unwrap().contains("team:platform")),
        "{ours}"
    );

    // What cannot be inherited is named.
    let text = std::fs::read_to_string(ws.path().join("helmfile.yaml")).unwrap();
    ws.write("helmfile.yaml", &text.replace("inherits: [repositories,", "inherits: [releases,"));
    assert_clean_failure!(ws.run(&["list"]), "`releases` cannot be inherited");
}

#[test]
fn enable_dns_env_and_directory_mean_what_they_mean_to_helmfile() {
    let ws = Workspace::new();
    let raw = chart("raw-0.1.0");
    let manifest = |name: &str| {
        format!(
            "  values:\n  - templates:\n    - |\n      kind: ConfigMap\n      metadata:\n        name: {name}\n      data:\n        host: '{{{{ getHostByName \"localhost\" }}}}'\n        env: '{{{{ .Values.fromEnv | default \"\" }}}}'\n"
        )
    };
    ws.write(
        "helmfile.yaml",
        &format!(
            "helmDefaults:\n  enableDNS: true\nreleases:\n\
             - name: by-directory\n  chart: {raw}\n  directory: ./ignored\n  env:\n  - name: fromEnv\n    value: HELMFIRE_TEST_ENV_KEY\n{dir}\
             - name: dns-off\n  chart: {raw}\n  enableDNS: false\n{off}",
            raw = raw.display(),
            dir = manifest("by-directory"),
            off = manifest("dns-off"),
        ),
    );
    // `env:` reads the variable `value` names: unset is an error in both.
    assert_clean_failure!(ws.run(&["template"]), "HELMFIRE_TEST_ENV_KEY", "not set");
    assert!(!helmfile(ws.path(), &["template", "--skip-deps"]).status.success(), "helmfile refuses it too");
    let with_env = |mut command: std::process::Command| {
        command.env("HELMFIRE_TEST_ENV_KEY", "a,b");
        command.output().unwrap()
    };
    let mut ours = ws.helmfire();
    ours.args(["template", "--skip-deps"]);
    let mut theirs = crate::util::helmfile_command(ws.path());
    theirs.args(["template", "--skip-deps"]);
    let (ours, theirs) = (assert_success!(with_env(ours)), assert_success!(with_env(theirs)));
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("name: by-directory\ndata:\n  host: '127.0.0.1'\n  env: 'a,b'"), "{ours}");
    assert!(ours.contains("name: dns-off\ndata:\n  host: ''\n  env: ''"), "{ours}");

    // Without `chart`, helmfile refuses `directory` alone; so does helmfire.
    ws.write("helmfile.yaml", "releases:\n- name: a\n  directory: ./manifests\n");
    assert_clean_failure!(ws.run(&["template"]), "has `directory` but no `chart`");
    assert!(!helmfile(ws.path(), &["template", "--skip-deps"]).status.success(), "helmfile refuses it too");
}

#[test]
fn force_go_getter_refuses_a_chart_that_is_not_a_go_getter_url() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: a\n  chart: {}\n  forceGoGetter: true\n", chart("raw-0.1.0").display()),
    );
    assert_clean_failure!(ws.run(&["template"]), "forceGoGetter", "not a go-getter URL");
    assert!(!helmfile(ws.path(), &["template", "--skip-deps"]).status.success(), "helmfile refuses it too");
}

#[test]
fn one_release_name_in_two_kube_contexts_is_two_releases() {
    let ws = Workspace::new();
    let c = chart("raw-0.1.0");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: a\n  chart: {c}\n  kubeContext: one\n- name: a\n  chart: {c}\n  kubeContext: two\n",
            c = c.display()
        ),
    );
    let (ours, theirs) = both(&ws, &["list"]);
    similar_asserts::assert_eq!(theirs, ours);
    assert_eq!(ours.lines().count(), 3, "{ours}");
}
