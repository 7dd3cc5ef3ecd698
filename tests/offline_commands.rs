//! The offline commands besides `template`: `build`, `write-values`,
//! `print-env`, and `.gotmpl` values and output path templates.

use crate::util::{Workspace, chart};

fn workspace() -> Workspace {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "environments:\n  default:\n    values:\n    - env.yaml\n  prod:\n    kubeContext: prod-ctx\n    values:\n    - env.yaml\n    - {{team: sre}}\n---\n\
             releases:\n- name: api\n  namespace: '{{{{ .Values.team }}}}'\n  chart: {}\n  values:\n  - base.yaml\n  - extra.yaml.gotmpl\n  - {{name: inline}}\n",
            chart("named-templates").display()
        ),
    );
    ws.write("env.yaml", "team: platform\nreplicas: 2\n");
    ws.write("base.yaml", "name: base\nlabels:\n  a: '1'\n");
    ws.write("extra.yaml.gotmpl", "labels:\n  release: {{ .Release.Name }}\n  env: {{ .Environment.Name }}\n");
    ws
}

#[test]
fn gotmpl_values_files_render_with_the_release() {
    let ws = workspace();
    let out = assert_success!(ws.run(&["template"]));
    assert!(out.contains("release: \"api\""), "{out}");
    assert!(out.contains("env: \"default\""), "{out}");
    assert!(out.contains("name: api-inline"), "later values win: {out}");
}

#[test]
fn write_values_writes_the_merged_values_where_helmfile_does() {
    let ws = workspace();
    let out = ws.run(&["write-values"]);
    assert_success!(out);
    let digest = sha1_smol::Sha1::from(ws.path().join("helmfile.yaml.gotmpl").to_str().unwrap()).digest().to_string();
    let path = ws.path().join(format!("helmfile.yaml-{}/api.yaml", &digest[..8]));
    let written: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&path).expect("values file")).unwrap();
    let expected: serde_yaml_ng::Value =
        serde_yaml_ng::from_str("name: inline\nlabels: {a: '1', release: api, env: default}\n").unwrap();
    assert_eq!(written, expected);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Writing values file"));

    assert_success!(ws.run(&[
        "write-values",
        "--output-file-template",
        "out/{{ .Release.Namespace }}-{{ .Release.Name }}.yaml"
    ]));
    assert!(ws.path().join("out/platform-api.yaml").is_file());
}

#[test]
fn print_env_shows_the_environment() {
    let ws = workspace();
    let out = assert_success!(ws.run(&["-e", "prod", "print-env", "-o", "json"]));
    let envs: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(envs[0]["name"], "prod");
    assert_eq!(envs[0]["kubeContext"], "prod-ctx");
    assert_eq!(envs[0]["values"]["team"], "sre");
    assert_eq!(envs[0]["values"]["replicas"], 2);
}

#[test]
fn build_shows_the_state_and_embeds_values_on_request() {
    let ws = workspace();
    let out = assert_success!(ws.run(&["build"]));
    // helmfile names the file by its absolute path.
    let source = format!("---\n#  Source: {}\n", ws.path().join("helmfile.yaml.gotmpl").display());
    assert!(out.starts_with(&source), "{out}");
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(out.split_once("\n\n").unwrap().1).unwrap();
    assert_eq!(doc["releases"][0]["namespace"], "platform");
    assert_eq!(doc["releases"][0]["labels"]["chart"], "named-templates");
    assert_eq!(doc["renderedvalues"]["replicas"], 2);
    assert_eq!(doc["releases"][0]["values"][0], "base.yaml");

    let out = assert_success!(ws.run(&["build", "--embed-values"]));
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(out.split_once("\n\n").unwrap().1).unwrap();
    assert_eq!(doc["releases"][0]["values"][0]["name"], "base");
}

#[test]
fn output_dir_template_places_each_release() {
    let ws = workspace();
    let out = assert_success!(ws.run(&[
        "template",
        "--output-dir",
        "out",
        "--output-dir-template",
        "{{ .OutputDir }}/{{ .Environment.Name }}/{{ .Release.Name }}"
    ]));
    assert!(out.contains("wrote out/default/api/named-templates/templates/service.yaml"), "{out}");
    assert!(ws.path().join("out/default/api/named-templates/templates/service.yaml").is_file());
}

#[test]
fn bases_come_first_and_their_environments_merge() {
    let ws = Workspace::new();
    let c = chart("files");
    ws.write("bases/envs.yaml", "environments:\n  default:\n    values:\n    - {team: base, region: eu}\n");
    ws.write(
        "bases/common.yaml",
        &format!("environments:\n  default:\n    values:\n    - {{region: us}}\n---\nreleases:\n- name: shared\n  chart: {}\n", c.display()),
    );
    ws.write(
        "helmfile.yaml",
        &format!("bases:\n- bases/envs.yaml\n- bases/common.yaml\nreleases:\n- name: own\n  chart: {}\n", c.display()),
    );
    // `list` sorts, as helmfile 1.8 does; `build` keeps the state's order.
    let built = assert_success!(ws.run(&["build"]));
    let names: Vec<&str> = built.lines().filter_map(|l| l.strip_prefix("    name: ")).collect();
    assert_eq!(names, ["shared", "own"], "base releases come first");
    let env: serde_json::Value = serde_json::from_str(&assert_success!(ws.run(&["print-env", "-o", "json"]))).unwrap();
    assert_eq!(env[0]["values"]["team"], "base");
    assert_eq!(env[0]["values"]["region"], "us", "later bases win");
}

#[test]
fn nested_bases_are_refused_as_in_helmfile() {
    let ws = Workspace::new();
    ws.write("a.yaml", "bases:\n- b.yaml\n");
    ws.write("b.yaml", "releases: []\n");
    ws.write("helmfile.yaml", "bases:\n- a.yaml\nreleases: []\n");
    let out = ws.run(&["list"]);
    assert_clean_failure!(out, "has `bases:` of its own");
}

#[test]
fn lint_prints_what_helm_lint_prints_and_fails_on_errors() {
    for (chart_name, ok) in [("schema", true), ("broken", false)] {
        let ws = Workspace::new();
        let c = chart(chart_name);
        ws.write("helmfile.yaml", &format!("releases:\n- name: a\n  chart: {}\n", c.display()));
        let ours = ws.run(&["lint"]);
        assert_eq!(ours.status.success(), ok, "{}", String::from_utf8_lossy(&ours.stderr));
        let helm = std::process::Command::new(crate::util::helm_cli())
            .args(["lint", c.to_str().unwrap()])
            .env("HELM_CONFIG_HOME", ws.path().join("h"))
            .output()
            .unwrap();
        similar_asserts::assert_eq!(String::from_utf8_lossy(&helm.stdout), String::from_utf8_lossy(&ours.stdout));
    }
}

#[test]
fn merge_strategy_fallback_lets_earlier_environment_files_win() {
    let ws = Workspace::new();
    ws.write("first.yaml", "a: first\nnested: {x: 1}\n");
    ws.write("second.yaml", "a: second\nb: filled\nnested: {x: 2, y: 3}\n");
    ws.write(
        "helmfile.yaml",
        "values:\n- {a: top, c: top}\nenvironments:\n  default:\n    mergeStrategy: fallback\n    values:\n    - first.yaml\n    - second.yaml\n---\nreleases: []\n",
    );
    let env: serde_json::Value = serde_json::from_str(&assert_success!(ws.run(&["print-env", "-o", "json"]))).unwrap();
    assert_eq!(
        env[0]["values"],
        serde_json::json!({"a": "first", "b": "filled", "c": "top", "nested": {"x": 1, "y": 3}})
    );
}

#[test]
fn post_renderers_from_the_state_and_the_command_line() {
    let ws = Workspace::new();
    let renderer = crate::util::repo_root().join("tests/fixtures/postrenderers/add-cm.sh");
    std::fs::copy(&renderer, ws.path().join("add-cm.sh")).unwrap();
    ws.write(
        "helmfile.yaml",
        &format!(
            "helmDefaults:\n  postRenderer: ./add-cm.sh\n  postRendererArgs: [from-defaults]\nreleases:\n\
             - name: a\n  chart: {0}\n\
             - name: b\n  chart: {0}\n  postRenderer: ./add-cm.sh\n  postRendererArgs: [from-release]\n\
             - name: c\n  chart: {0}\n  setTemplate:\n  - name: name\n    value: '{{{{ .Release.Name }}}}-set'\n",
            chart("named-templates").display()
        ),
    );
    let out = assert_success!(ws.run(&["template"]));
    assert!(out.contains("name: from-defaults"), "{out}");
    assert!(out.contains("name: from-release"), "{out}");
    // helm 4 annotates what a post-renderer adds.
    assert!(out.contains("# Source: generated-by-postrender-1.yaml"), "{out}");
    assert!(out.contains("name: c-c-set"), "setTemplate is rendered with .Release: {out}");

    let out =
        assert_success!(ws.run(&["template", "--post-renderer", "./add-cm.sh", "--post-renderer-args", "from-cli"]));
    assert_eq!(out.matches("name: from-cli").count(), 3, "{out}");
    assert!(!out.contains("from-defaults"));

    let out = ws.run(&["template", "--post-renderer", "./missing.sh"]);
    assert_clean_failure!(out, "post-renderer", "missing.sh");
}

#[test]
fn prepare_and_cleanup_hooks_run_with_templated_arguments() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "hooks:\n- events: [prepare]\n  command: sh\n  args: [-c, 'echo state-{{{{ .Event.Name }}}} >> hooks.log']\n\
             releases:\n- name: a\n  chart: {}\n  hooks:\n  - name: log\n    events: [prepare, cleanup]\n    showlogs: true\n    command: sh\n    args: [-c, 'echo {{{{ .Release.Name }}}}-{{{{ .Event.Name }}}} | tee -a hooks.log']\n",
            chart("files").display()
        ),
    );
    let out = ws.run(&["template"]);
    assert_success!(out);
    assert_eq!(std::fs::read_to_string(ws.path().join("hooks.log")).unwrap(), "state-prepare\na-prepare\na-cleanup\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("hook[prepare] logs | a-prepare"));

    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: a\n  chart: {}\n  hooks:\n  - events: [prepare]\n    command: 'false'\n",
            chart("files").display()
        ),
    );
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "hook[false]: command `false` failed");
}
