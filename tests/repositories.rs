//! Charts from HTTP chart repositories served on loopback.

use similar_asserts::assert_eq;

use crate::chart_repo::ChartRepo;
use crate::util::{Workspace, chart, helm_template};

#[test]
fn a_release_renders_a_chart_from_a_declared_repository() {
    let repo = ChartRepo::serve(&[chart("named-templates"), chart("files")], None);
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("repositories:\n- name: fixtures\n  url: {}\nreleases:\n- name: api\n  chart: fixtures/named-templates\n  version: 0.1.0\n", repo.url),
    );
    let out = ws.run(&["template"]);
    let stdout = assert_success!(out);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("Adding repo fixtures {}", repo.url)));
    let expected = helm_template(ws.path(), &["api", chart("named-templates").to_str().unwrap()]) + "\n";
    assert_eq!(expected, stdout);
}

#[test]
fn credentials_come_from_the_state_or_the_environment() {
    let repo = ChartRepo::serve(&[chart("files")], Some(("ci", "s3cret")));
    let ws = Workspace::new();
    let helmfile = |creds: &str| {
        format!(
            "repositories:\n- name: private-charts\n  url: {}\n{creds}releases:\n- name: cfg\n  chart: private-charts/files\n",
            repo.url
        )
    };
    ws.write("helmfile.yaml", &helmfile("  username: ci\n  password: s3cret\n"));
    assert_success!(ws.run(&["template"]));

    ws.write("helmfile.yaml", &helmfile(""));
    let refused = ws.run(&["template"]);
    assert_clean_failure!(refused, "repository \"private-charts\"", "401", "PRIVATE_CHARTS_USERNAME");

    let out = ws
        .helmfire()
        .env("PRIVATE_CHARTS_USERNAME", "ci")
        .env("PRIVATE_CHARTS_PASSWORD", "s3cret")
        .arg("template")
        .output()
        .unwrap();
    let stdout = assert_success!(out);
    assert!(stdout.contains("name: cfg-config"));
}

#[test]
fn an_unknown_chart_or_version_in_a_repository_is_named() {
    let repo = ChartRepo::serve(&[chart("files")], None);
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("repositories:\n- name: r\n  url: {}\nreleases:\n- name: a\n  chart: r/files\n  version: 9.9.9\n- name: b\n  chart: r/nope\n", repo.url),
    );
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "release `a`", "9.9.9", "release `b`", "nope");
}

#[test]
fn an_unreachable_repository_fails_fast_with_its_name_and_url() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        "repositories:\n- name: gone\n  url: http://127.0.0.1:9/\nreleases:\n- name: a\n  chart: gone/x\n",
    );
    let out = ws.run(&["template"]);
    assert_clean_failure!(out, "repository \"gone\" at http://127.0.0.1:9/", "hint:");
}

#[test]
fn the_users_helm_configuration_is_not_written() {
    let repo = ChartRepo::serve(&[chart("files")], None);
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("repositories:\n- name: r\n  url: {}\nreleases:\n- name: a\n  chart: r/files\n", repo.url),
    );
    assert_success!(ws.run(&["template"]));
    assert!(!ws.path().join(".helm/config/repositories.yaml").exists(), "helmfire wrote the user's repositories.yaml");
}

#[test]
fn repos_refreshes_the_index_in_helms_cache() {
    let repo = ChartRepo::serve(&[chart("files")], None);
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &format!("repositories:\n- name: cached\n  url: {}\nreleases: []\n", repo.url));
    assert_success!(ws.run(&["repos"]));
    assert!(ws.path().join(".helm/cache/repository/cached-index.yaml").is_file());
    // With the index cached, --skip-refresh renders without the server.
    ws.write(
        "helmfile.yaml",
        &format!("repositories:\n- name: cached\n  url: {}\nreleases:\n- name: a\n  chart: cached/files\n", repo.url),
    );
    drop(repo);
    let out = ws.run(&["template", "--skip-refresh"]);
    // The chart itself still has to be downloaded once; the index is not refetched.
    assert_clean_failure!(out, "release `a`");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("cannot read the index"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_damaged_archive_in_the_chart_cache_is_fetched_again_and_said() {
    let repo = ChartRepo::serve(&[chart("named-templates")], None);
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("repositories:\n- name: fixtures\n  url: {}\nreleases:\n- name: api\n  chart: fixtures/named-templates\n  version: 0.1.0\n", repo.url),
    );
    let first = assert_success!(ws.run(&["template"]));

    // Flip one byte of the cached archive, keeping its size: the name
    // (its sha256) no longer matches what is inside.
    let blobs = ws.path().join(".helmfire-cache/blobs/sha256");
    let archive = std::fs::read_dir(&blobs).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, &bytes).unwrap();

    let again = ws.run(&["template"]);
    let stdout = assert_success!(again);
    assert_eq!(first, stdout, "the chart is fetched again and renders as before");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("was damaged") && stderr.contains("fetching it again"), "{stderr}");
    assert_eq!(std::fs::read(&archive).unwrap().len(), bytes.len());
    assert_ne!(std::fs::read(&archive).unwrap(), bytes, "the damaged bytes were replaced");
}
