//! helmfile's command line, one for one: every flag helmfile 1.8 lists is
//! accepted where helmfile accepts it, its environment variables are read,
//! helm flags given as strings are mapped or refused by name, and the
//! commands around the main job (completion, man, init, create) work.

use std::collections::BTreeSet;

use crate::util::{Workspace, chart, helmfile, helmfile_command};

/// The commands helmfire shares with helmfile (helmfile's `unittest` and
/// `doctor` are left out, as helmfire's --help says).
const SHARED_COMMANDS: &[&str] = &[
    "template",
    "sync",
    "diff",
    "apply",
    "destroy",
    "status",
    "test",
    "repos",
    "lint",
    "build",
    "write-values",
    "list",
    "deps",
    "fetch",
    "show-dag",
    "print-env",
    "init",
    "create",
    "version",
];

/// The long flags a `--help` text lists: a line's first `--name`, at the
/// start of the line after an optional `-x, ` short form (cobra's and
/// clap's layouts both).
fn listed_flags(help: &str) -> BTreeSet<String> {
    help.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = match line.strip_prefix('-') {
                Some(rest) if !rest.starts_with('-') => rest.get(1..)?.strip_prefix(", ")?,
                _ => line,
            };
            let name = line.strip_prefix("--")?;
            let end = name.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(name.len());
            (end > 0).then(|| format!("--{}", &name[..end]))
        })
        .collect()
}

#[test]
fn every_flag_of_helmfile_is_accepted_by_the_same_command() {
    let ws = Workspace::new();
    let mut missing = Vec::new();
    for command in SHARED_COMMANDS {
        let theirs = helmfile(ws.path(), &[command, "--help"]);
        let theirs = String::from_utf8_lossy(&theirs.stdout).into_owned();
        let expected = listed_flags(&theirs);
        assert!(expected.contains("--file"), "could not read helmfile's flags of `{command}`:\n{theirs}");
        let ours = assert_success!(ws.run(&[command, "--help"]));
        let have = listed_flags(&ours);
        missing.extend(expected.difference(&have).map(|flag| format!("{command} {flag}")));
    }
    assert!(missing.is_empty(), "flags helmfile 1.8 has that helmfire lacks: {missing:?}");
}

#[test]
fn help_says_which_helmfile_commands_are_left_out() {
    let help = assert_success!(Workspace::new().run(&["--help"]));
    assert!(help.contains("unittest") && help.contains("doctor"), "{help}");
}

/// A state of releases of the raw chart, each `name` followed by its own
/// extra keys (`  needs: [db]\n`).
fn raw_releases(ws: &Workspace, releases: &[(&str, &str)]) {
    let raw = chart("raw-0.1.0");
    let items: String =
        releases.iter().map(|(name, keys)| format!("- name: {name}\n  chart: {}\n{keys}", raw.display())).collect();
    ws.write("helmfile.yaml", &format!("releases:\n{items}"));
}

fn raw_release(ws: &Workspace, extra: &str) {
    let manifest = "- |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: {{ .Release.Name }}\n        namespace: {{ .Release.Namespace }}\n      data:\n        x: {{ .Values.x | default \"unset\" | quote }}\n";
    ws.write(
        "helmfile.yaml",
        &format!(
            "{extra}releases:\n- name: r\n  chart: {}\n  values:\n  - templates:\n    {manifest}",
            chart("raw-0.1.0").display()
        ),
    );
}

#[test]
fn global_flags_work_before_the_command() {
    let ws = Workspace::new();
    raw_release(&ws, "");
    let out = assert_success!(ws.run(&["--skip-deps", "-i", "--concurrency", "1", "template"]));
    assert!(out.contains("name: r\n"), "{out}");
    let out = assert_success!(ws.run(&["template", "--skip-refresh", "--log-level", "warn"]));
    assert!(out.contains("name: r\n"), "{out}");
}

#[test]
fn helmfile_variables_stand_for_their_flags() {
    let ws = Workspace::new();
    raw_release(&ws, "environments:\n  default: {}\n  staging: {}\n---\n");
    let mut command = ws.helmfire();
    command.arg("template").env("HELMFILE_NAMESPACE", "from-env").env("HELMFILE_ENVIRONMENT", "staging");
    let out = command.output().unwrap();
    let stdout = assert_success!(out);
    assert!(stdout.contains("namespace: from-env"), "{stdout}");
    // An environment that does not exist, named by the variable: the error
    // shows the variable was read.
    let out = ws.helmfire().arg("template").env("HELMFILE_ENVIRONMENT", "nowhere").output().unwrap();
    assert_clean_failure!(out, "nowhere");
    let out = ws.helmfire().arg("template").env("HELMFILE_LOG_LEVEL", "loud").output().unwrap();
    assert_clean_failure!(out, "HELMFILE_LOG_LEVEL", "loud");
    let quiet = ws.helmfire().arg("template").env("HELMFILE_QUIET", "true").output().unwrap();
    assert_success!(quiet);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("Templating"), "HELMFILE_QUIET=true is -q");
}

#[test]
fn flags_without_meaning_here_say_so_once() {
    let ws = Workspace::new();
    raw_release(&ws, "");
    let out = ws.run(&["--helm-binary", "/usr/bin/helm", "-k", "kustomize", "template"]);
    assert_success!(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("--helm-binary has no effect").count(), 1, "{stderr}");
    assert!(stderr.contains("--kustomize-binary has no effect"), "{stderr}");
}

#[test]
fn helm_flags_in_args_render_as_helmfile_renders_them() {
    let ws = Workspace::new();
    raw_release(&ws, "helmDefaults:\n  args: ['--set x=from-defaults']\n---\n");
    let args = ["template", "--skip-deps", "--args", "--set x=from-args"];
    let ours = assert_success!(ws.run(&args));
    let theirs = assert_success!(helmfile(ws.path(), &args));
    similar_asserts::assert_eq!(theirs, ours);
    // helmfile appends helmDefaults.args after --args: the state wins.
    assert!(ours.contains("x: \"from-defaults\""), "{ours}");

    raw_release(&ws, "");
    let ours = assert_success!(ws.run(&args));
    assert!(ours.contains("x: \"from-args\""), "{ours}");
}

#[test]
fn a_helm_flag_without_an_sdk_meaning_is_an_error_naming_it() {
    let ws = Workspace::new();
    raw_release(&ws, "");
    assert_clean_failure!(ws.run(&["template", "--args", "--kubeconfig /x"]), "--kubeconfig");
    assert_clean_failure!(ws.run(&["diff", "--diff-args", "--output-format x"]), "--output-format");
    raw_release(&ws, "helmDefaults:\n  args: [--repo-cache, /x]\n---\n");
    assert_clean_failure!(ws.run(&["list"]), "helmDefaults.args", "--repo-cache");
}

#[test]
fn completion_and_man_page_are_generated() {
    let ws = Workspace::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = assert_success!(ws.run(&["completion", shell]));
        assert!(script.contains("helmfire") && script.contains("template"), "{shell}:\n{script}");
    }
    let page = assert_success!(ws.run(&["man"]));
    assert!(page.starts_with(".ie") || page.contains(".TH helmfire"), "{page}");
    assert!(page.contains("state\\-values\\-set") || page.contains("state-values-set"), "{page}");
}

#[test]
fn init_checks_the_kubeconfig_and_the_cache() {
    let ws = Workspace::new();
    let kubeconfig = ws.write(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c}\n",
    );
    let out = ws.helmfire().args(["init", "--kubeconfig"]).arg(&kubeconfig).output().unwrap();
    assert_success!(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing to install"), "{stderr}");
    assert!(stderr.contains("context `dev`"), "{stderr}");
    assert!(stderr.contains(".helmfire-cache (writable)"), "{stderr}");

    ws.write("not-a-dir", "");
    let out = ws.helmfire().arg("init").env("HELMFIRE_CACHE_HOME", ws.path().join("not-a-dir/cache")).output().unwrap();
    assert_clean_failure!(out, "not writable", "HELMFIRE_CACHE_HOME");
}

/// The files under `dir`, relative, sorted.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn create_lays_out_the_project_as_helmfile_does() {
    let ws = Workspace::new();
    let out = ws.run(&["create", "shop"]);
    assert_success!(out);
    let theirs = helmfile_command(ws.path()).args(["create", "-o", "theirs"]).output().unwrap();
    assert!(theirs.status.success(), "{}", String::from_utf8_lossy(&theirs.stderr));
    assert_eq!(files_under(&ws.path().join("shop")), files_under(&ws.path().join("theirs")));
    assert!(String::from_utf8_lossy(&out.stderr).contains("helmfile project created in"));

    // The scaffold loads (no releases yet: exit 3 for "nothing matched"
    // only with a selector; plain list succeeds).
    let listed = assert_success!(ws.run(&["-f", "shop/helmfile.yaml", "list"]));
    assert!(listed.starts_with("NAME"), "{listed}");

    // Existing files: nothing written without --force; --force overwrites.
    std::fs::write(ws.path().join("shop/helmfile.yaml"), "# mine\n").unwrap();
    assert_clean_failure!(ws.run(&["create", "shop"]), "helmfile.yaml", "--force");
    assert_eq!(std::fs::read_to_string(ws.path().join("shop/helmfile.yaml")).unwrap(), "# mine\n");
    assert_success!(ws.run(&["create", "--force", "-o", "shop"]));
    assert_ne!(std::fs::read_to_string(ws.path().join("shop/helmfile.yaml")).unwrap(), "# mine\n");

    assert_clean_failure!(ws.run(&["create", "a/b"]), "path separators");
}

#[test]
fn write_values_applies_set() {
    let ws = Workspace::new();
    raw_release(&ws, "");
    assert_success!(ws.run(&[
        "write-values",
        "--set",
        "x=1,w.z=two",
        "--output-file-template",
        "out/{{ .Release.Name }}.yaml"
    ]));
    let written = std::fs::read_to_string(ws.path().join("out/r.yaml")).unwrap();
    assert!(written.contains("x: 1\n") && written.contains("w:\n  z: two\n"), "{written}");
}

#[test]
fn enforce_needs_are_installed_refuses_a_need_marked_not_installed() {
    let ws = Workspace::new();
    raw_releases(&ws, &[("app", "  needs: [db]\n"), ("db", "  installed: false\n")]);
    assert_success!(ws.run(&["template", "-l", "name=app"]));
    assert_clean_failure!(
        ws.run(&["template", "-l", "name=app", "--enforce-needs-are-installed"]),
        "release `app` needs `db`",
        "installed: false"
    );
}

#[test]
fn a_helm_flag_that_changes_nothing_in_process_says_so() {
    let ws = Workspace::new();
    raw_release(&ws, "");
    let out = ws.run(&["template", "--args", "--dependency-update --set x=1"]);
    let stdout = assert_success!(out);
    assert!(stdout.contains("x: \"1\""), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("helm flag `--dependency-update` has no effect"), "{stderr}");
}

#[test]
fn a_command_line_mistake_is_said_once_not_once_per_release() {
    let ws = Workspace::new();
    raw_releases(&ws, &[("a", ""), ("b", ""), ("d", "")]);
    let out = ws.run(&["template", "--values", "nope.yaml"]);
    assert_clean_failure!(out, "nope.yaml does not exist");
    assert_eq!(String::from_utf8_lossy(&out.stderr).matches("error:").count(), 1);
    let out = ws.run(&["template", "--set", "novalue"]);
    assert_clean_failure!(out, "3 releases failed the same way", "`novalue` has no value".replace('`', "\"").as_str());
    assert_eq!(String::from_utf8_lossy(&out.stderr).matches("has no value").count(), 1);
}

#[test]
fn build_prints_what_helmfile_prints() {
    let ws = Workspace::new();
    ws.write("base.yaml", "repositories:\n- name: r\n  url: https://charts.example\n");
    ws.write(
        "helmfile.yaml",
        &format!(
            "bases: [base.yaml]\n---\nhelmDefaults:\n  wait: true\n  timeout: 600\nenvironments:\n  default:\n    kubeContext: kc\n    values: [{{a: 1}}]\n---\nhooks:\n- events: [prepare]\n  command: echo\nreleases:\n- name: a\n  chart: {}\n  namespace: x\n  version: 1.0.0\n  installed: true\n  needs: [x/b]\n  hooks:\n  - name: h\n    events: [presync]\n    command: echo\n- name: b\n  namespace: x\n  chart: {}\n",
            chart("raw-0.1.0").display(),
            chart("raw-0.1.0").display()
        ),
    );
    let ours = assert_success!(ws.run(&["build"]));
    let theirs = crate::util::helmfile_state_output(&helmfile(ws.path(), &["build"]));
    similar_asserts::assert_eq!(theirs, ours);
}

#[test]
fn write_values_never_overwrites_a_values_file_the_state_reads() {
    let ws = Workspace::new();
    ws.write("values/r.yaml", "x: mine\n");
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: r\n  chart: {}\n  values: [values/r.yaml]\n", chart("raw-0.1.0").display()),
    );
    let out = ws.run(&["write-values", "--output-file-template", "values/{{ .Release.Name }}.yaml"]);
    assert_clean_failure!(out, "would overwrite a values file", "--output-file-template");
    assert_eq!(std::fs::read_to_string(ws.path().join("values/r.yaml")).unwrap(), "x: mine\n");
}
