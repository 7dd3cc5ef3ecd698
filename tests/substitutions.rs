//! Development substitutions: a local chart instead of a remote one, and a
//! container image instead of another, offline and against the cluster.

use crate::cluster::{api, helmfire, namespace};
use crate::util::{Workspace, chart};

#[test]
fn an_image_substitution_shows_in_template_and_reaches_the_cluster() {
    let ns = namespace("image-subst");
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: web\n  namespace: {ns}\n  chart: {}\n", chart("schema").display()),
    );
    let before = assert_success!(ws.run(&["template"]));
    assert!(before.contains("image: nginx:1.27"));

    assert_success!(ws.run(&["image", "docker.io/library/nginx", "localhost:5000/nginx:dev"]));
    let listed = assert_success!(ws.run(&["list", "images"]));
    assert!(listed.contains("docker.io/library/nginx") && listed.contains("localhost:5000/nginx:dev"), "{listed}");
    let json: serde_json::Value =
        serde_json::from_str(&assert_success!(ws.run(&["list", "images", "-o", "json"]))).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"image": "docker.io/library/nginx", "replacement": "localhost:5000/nginx:dev"}])
    );
    let after = assert_success!(ws.run(&["template"]));
    assert_eq!(after, before.replace("image: nginx:1.27", "image: localhost:5000/nginx:dev"));
    // --no-substitutions: exactly what the state says.
    assert_eq!(assert_success!(ws.run(&["--no-substitutions", "template"])), before);

    // A command that acts on the cluster says what it substitutes, even -q.
    let out = helmfire(&ws, &["-q", "diff"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("substitution in force: image `docker.io/library/nginx` is `localhost:5000/nginx:dev`"),
        "{stderr}"
    );
    let out = helmfire(&ws, &["sync"]);
    assert_success!(out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("substitution in force"));
    // A state may forbid them in an environment.
    let state = std::fs::read_to_string(ws.path().join("helmfile.yaml")).unwrap();
    ws.write(
        "helmfile.yaml",
        &format!("environments:\n  default: {{}}\n  prod: {{}}\nhelmfire:\n  substitutions:\n    forbidIn: [prod]\n---\n{state}"),
    );
    assert_clean_failure!(
        helmfire(&ws, &["-e", "prod", "diff"]),
        "forbids substitutions",
        "`prod`",
        "--no-substitutions"
    );
    assert_success!(helmfire(&ws, &["-e", "prod", "--no-substitutions", "diff"]));
    ws.write("helmfile.yaml", &state);
    let live = api("GET", &format!("/apis/apps/v1/namespaces/{ns}/deployments/web"), "");
    assert!(live.contains(r#""image": "localhost:5000/nginx:dev""#), "{live}");

    assert_success!(ws.run(&["remove", "image", "docker.io/library/nginx"]));
    assert!(!ws.path().join(".helmfire-substitutions.yaml").exists(), "the last removal deletes the file");
    let out = helmfire(&ws, &["diff"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("image: nginx:1.27"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_chart_substitution_replaces_a_remote_chart_everywhere() {
    let ns = namespace("chart-subst");
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &format!("releases:\n- name: cfg\n  namespace: {ns}\n  chart: upstream/files\n"));
    let without = ws.run(&["template"]);
    assert_clean_failure!(without, "upstream");

    assert_success!(ws.run(&["chart", "upstream/files", chart("files").to_str().unwrap()]));
    let listed = assert_success!(ws.run(&["list", "charts"]));
    assert!(listed.contains("upstream/files"), "{listed}");
    let stdout = assert_success!(ws.run(&["template"]));
    assert!(stdout.contains("name: cfg-config"), "{stdout}");
    assert_success!(helmfire(&ws, &["sync"]));
    api("GET", &format!("/api/v1/namespaces/{ns}/configmaps/cfg-config"), "");

    let not_a_chart = ws.run(&["chart", "upstream/files", ws.path().to_str().unwrap()]);
    assert_clean_failure!(not_a_chart, "is not a chart directory");
    let unknown = ws.run(&["remove", "chart", "nope/nope"]);
    assert_clean_failure!(unknown, "no chart substitution for nope/nope", "helmfire list charts");
}

#[test]
fn a_broken_substitutions_file_is_named_with_the_way_out() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", "releases: []\n");
    ws.write(".helmfire-substitutions.yaml", "images: [oops\n");
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, ".helmfire-substitutions.yaml", "delete the file");
}
