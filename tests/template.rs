//! `helmfire template` behaviour beyond byte equality with helm.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::util::{Workspace, chart, helm_template};

fn releases(n: usize, chart_name: &str) -> String {
    let c = chart(chart_name);
    let mut s = String::from("releases:\n");
    for i in 0..n {
        s += &format!("- name: r{i:02}\n  namespace: ns{}\n  chart: {}\n", i % 3, c.display());
    }
    s
}

#[test]
fn output_keeps_declaration_order_whatever_the_concurrency() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &releases(12, "named-templates"));
    let parallel = assert_success!(ws.run(&["template", "--concurrency", "0"]));
    let serial = assert_success!(ws.run(&["template", "--concurrency", "1"]));
    assert_eq!(parallel, serial);
    let positions: Vec<usize> =
        (0..12).map(|i| parallel.find(&format!("name: r{i:02}-demo")).expect("release rendered")).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "releases out of order: {positions:?}");
}

#[test]
fn logs_go_to_stderr_and_manifests_to_stdout() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &releases(1, "files"));
    let out = ws.run(&["template"]);
    let stdout = assert_success!(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Templating release=r00, chart="), "{stderr}");
    assert!(!stdout.contains("Templating"), "{stdout}");
    assert!(stdout.starts_with("---\n# Source: files/templates/configmap.yaml\n"), "{stdout}");
}

#[test]
fn quiet_silences_progress_and_debug_shows_sdk_logs() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &releases(1, "files"));
    let quiet = ws.run(&["template", "-q"]);
    assert_success!(quiet);
    assert!(quiet.stderr.is_empty(), "{}", String::from_utf8_lossy(&quiet.stderr));

    let debug = ws.run(&["template", "--debug"]);
    assert_success!(debug);
    let stderr = String::from_utf8_lossy(&debug.stderr);
    assert!(
        stderr.contains("debug: rendering release release=r00"),
        "the SDK's log lines reach stderr with --debug:\n{stderr}"
    );
}

#[test]
fn namespace_flag_overrides_every_release() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &releases(2, "capabilities"));
    let out = assert_success!(ws.run(&["template", "-n", "forced"]));
    assert_eq!(out.matches("namespace: \"forced\"").count(), 2, "{out}");
}

#[test]
fn state_from_stdin() {
    let ws = Workspace::new();
    let mut child = ws
        .helmfire()
        .args(["template", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(releases(1, "files").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = assert_success!(out);
    assert!(stdout.contains("name: r00-config"));
}

#[test]
fn helmfile_d_files_load_in_name_order() {
    let ws = Workspace::new();
    let c = chart("files");
    ws.write("helmfile.d/20-second.yaml", &format!("releases:\n- name: second\n  chart: {}\n", c.display()));
    ws.write("helmfile.d/10-first.yaml", &format!("releases:\n- name: first\n  chart: {}\n", c.display()));
    let out = assert_success!(ws.run(&["template"]));
    let first = out.find("name: first-config").unwrap();
    let second = out.find("name: second-config").unwrap();
    assert!(first < second);
}

#[test]
fn later_yaml_documents_replace_earlier_releases_as_helmfile_layers_them() {
    let ws = Workspace::new();
    let c = chart("files");
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: old\n  chart: {0}\n---\nreleases:\n- name: new\n  chart: {0}\n", c.display()),
    );
    let out = assert_success!(ws.run(&["template"]));
    assert!(out.contains("name: new-config") && !out.contains("name: old-config"), "{out}");
}

#[test]
fn output_dir_writes_files_where_helmfile_puts_them() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        "releases:\n- name: jobs\n  chart: CHART\n".replace("CHART", chart("hooks").to_str().unwrap()).as_str(),
    );
    let out = assert_success!(ws.run(&["template", "--output-dir", "out"]));
    // helmfile's default --output-dir-template: <dir>/<state base name>-<sha1(abs state path)[:8]>-<release>
    let abs = ws.path().join("helmfile.yaml");
    let digest = sha1_hex(abs.to_str().unwrap());
    let release_dir = format!("out/helmfile-{}-jobs", &digest[..8]);
    let app = ws.path().join(&release_dir).join("hooks/templates/app.yaml");
    assert!(out.contains(&format!("wrote {release_dir}/hooks/templates/app.yaml")), "{out}");
    let content = std::fs::read_to_string(&app).expect("app.yaml written");
    assert!(content.starts_with("---\n# Source: hooks/templates/app.yaml\n"), "{content}");

    // Same files as `helm template --output-dir` writes.
    let oracle_dir = ws.path().join("oracle");
    helm_template(ws.path(), &["jobs", chart("hooks").to_str().unwrap(), "--output-dir", oracle_dir.to_str().unwrap()]);
    for rel in
        ["hooks/templates/app.yaml", "hooks/templates/job-migrate.yaml", "hooks/templates/tests/test-connection.yaml"]
    {
        let ours = std::fs::read_to_string(ws.path().join(&release_dir).join(rel)).unwrap();
        let theirs = std::fs::read_to_string(oracle_dir.join(rel)).unwrap();
        assert_eq!(ours, theirs, "{rel}");
    }

    // A second run rewrites the files instead of appending (helm appends).
    assert_success!(ws.run(&["template", "--output-dir", "out"]));
    assert_eq!(std::fs::read_to_string(&app).unwrap(), content);
}

fn sha1_hex(s: &str) -> String {
    sha1_smol::Sha1::from(s).digest().to_string()
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &releases(40, "named-templates"));
    let mut child =
        ws.helmfire().args(["template", "-q"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader is dropped here, like `| head -1`.
    let out = child.wait_with_output().unwrap();
    assert_eq!(first, "---\n");
    assert!(out.status.success(), "exit {} stderr {}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_closed_stdout_pipe_stops_the_renders_still_to_come() {
    let ws = Workspace::new();
    // Each render runs this post-renderer, which leaves a line behind: the
    // count says how many releases were rendered. Each takes half a second,
    // so a loaded machine (the whole suite at once) still reads the first
    // release long before the thirtieth could render.
    let log = ws.path().join("renders.log");
    let script = ws.write("count.sh", &format!("#!/bin/sh\necho rendered >> {}\nsleep 0.5\ncat\n", log.display()));
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ws.write(
        "helmfile.yaml",
        &format!("helmDefaults:\n  postRenderer: ./count.sh\n{}", releases(30, "named-templates")),
    );
    let mut child = ws
        .helmfire()
        .args(["template", "-q", "--concurrency", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {} stderr {}", out.status, String::from_utf8_lossy(&out.stderr));
    let rendered = std::fs::read_to_string(&log).unwrap().lines().count();
    assert!(rendered < 10, "{rendered} of 30 releases rendered after the reader went away");
}

/// helmfire with stderr on a pseudo-terminal (util-linux `script`), stdout
/// to /dev/null: what a person at a terminal sees on stderr.
fn on_a_terminal(ws: &Workspace, ci: bool) -> String {
    let command = format!("{} template > /dev/null", env!("CARGO_BIN_EXE_helmfire"));
    let mut script = std::process::Command::new("script");
    script.args(["-q", "-c", &command, "/dev/null"]).current_dir(ws.path()).env("TERM", "xterm");
    script.env("HELMFIRE_CACHE_HOME", ws.path().join(".helmfire-cache")).env_remove("NO_COLOR");
    if ci {
        script.env("CI", "true");
    } else {
        script.env_remove("CI");
    }
    let out = script.output().expect("run script(1)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_terminal_shows_a_live_progress_line_and_ci_plain_lines() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &releases(6, "named-templates"));
    let live = on_a_terminal(&ws, false);
    // Redraws are rate-limited: some states may not be drawn, never none.
    assert!(live.contains("templating ") && live.contains("/6 done"), "{live}");
    assert!(live.contains("Templating release=r05"), "the plain lines stay: {live}");
    let plain = on_a_terminal(&ws, true);
    assert!(!plain.contains("done"), "{plain}");
    assert!(plain.contains("Templating release=r05"), "{plain}");
}
