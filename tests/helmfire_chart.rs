//! charts/helmfire, the chart that runs helmfire's daemon in a cluster:
//! it renders as the helm CLI renders it, lints, refuses a release with no
//! state, and helmfire deploys it from a helmfile into the test cluster.

use crate::cluster::{api, helmfire, namespace};
use crate::util::{Workspace, helm_template, repo_root};

const VALUES: &str = "api:\n  existingSecret: api-token\nstate:\n  files:\n    helmfile.yaml: |\n      releases:\n      - name: web\n        chart: oci://registry.example/charts/web\n";

fn workspace(release: &str, ns: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write("values.yaml", VALUES);
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: {release}\n  namespace: {ns}\n  chart: {}\n  values:\n  - values.yaml\n",
            repo_root().join("charts/helmfire").display()
        ),
    );
    ws
}

#[test]
fn the_chart_renders_as_helm_renders_it_and_lints() {
    let ws = workspace("helmfire", "ops");
    let ours = assert_success!(ws.run(&["template", "--skip-deps"]));
    let chart = repo_root().join("charts/helmfire");
    let theirs = helm_template(
        ws.path(),
        &["helmfire", chart.to_str().unwrap(), "--namespace", "ops", "--values", "values.yaml"],
    );
    // helmfile (and so helmfire) prints a newline after each release.
    similar_asserts::assert_eq!(theirs + "\n", ours);
    for expected in [
        "kind: Deployment",
        "replicas: 2",
        "- --leader-elect",
        "- \"ops\"",
        "resources: [leases]",
        "name: cluster-admin",
        "path: /ready",
        "secretName: api-token",
        "chart: oci://registry.example/charts/web",
    ] {
        assert!(ours.contains(expected), "{expected} missing:\n{ours}");
    }
    assert_success!(ws.run(&["lint", "--skip-deps"]));

    // The state from git instead: fetched by the daemon, no ConfigMap.
    ws.write(
        "values.yaml",
        "state:\n  source:\n    url: git::https://git.example/org/state.git@helmfile.yaml?ref=main\n",
    );
    let sourced = assert_success!(ws.run(&["template", "--skip-deps"]));
    assert!(sourced.contains("- --source\n") && sourced.contains("?ref=main\""), "{sourced}");
    assert!(!sourced.contains("kind: ConfigMap"), "{sourced}");

    // No state to serve is said at render time, not by a crash-looping Pod.
    ws.write("values.yaml", "replicas: 1\n");
    assert_clean_failure!(
        ws.run(&["template", "--skip-deps"]),
        "state.files",
        "state.existingConfigMap",
        "state.source.url"
    );
}

#[test]
fn helmfire_deploys_its_own_chart_from_a_helmfile() {
    let ns = namespace("helmfire-chart");
    let release = format!("hf{}", &ns[ns.len() - 6..].replace('-', ""));
    let ws = workspace(&release, &ns);
    let state = std::fs::read_to_string(ws.path().join("helmfile.yaml")).unwrap();
    ws.write(
        "helmfile.yaml",
        &state.replace("  values:", "  createNamespace: true\n  wait: true\n  timeout: 120\n  values:"),
    );
    assert_success!(helmfire(&ws, &["sync"]));
    let deployment = api("GET", &format!("/apis/apps/v1/namespaces/{ns}/deployments/{release}-helmfire"), "");
    let deployment: serde_json::Value = serde_json::from_str(&deployment).unwrap();
    assert_eq!(deployment["status"]["readyReplicas"], 2, "{deployment}");
    api(
        "GET",
        &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/{release}-helmfire-leader-election"),
        "",
    );
    api("GET", &format!("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{release}-helmfire-releases"), "");
    // Cluster-wide objects go with the release.
    assert_success!(helmfire(&ws, &["destroy"]));
}
