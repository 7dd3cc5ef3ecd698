//! The real Kubernetes API server the cluster tests run against
//! (scripts/test-cluster: etcd, kube-apiserver, controller-manager,
//! scheduler and kwok, built from Go modules and started on loopback).
//!
//! `scripts/test` starts it once and exports HELMFIRE_TEST_KUBECONFIG; a
//! plain `cargo test` starts one on first use (left running; stop it with
//! `scripts/test-cluster stop`). Each test gets namespaces of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::util::{Workspace, helm_cli, repo_root};

/// The kubeconfig of the test cluster, started if needed.
pub fn kubeconfig() -> &'static Path {
    static KUBECONFIG: OnceLock<PathBuf> = OnceLock::new();
    KUBECONFIG.get_or_init(|| {
        if let Some(path) = std::env::var_os("HELMFIRE_TEST_KUBECONFIG") {
            return PathBuf::from(path);
        }
        let script = repo_root().join("scripts/test-cluster");
        let build = Command::new(&script).arg("build").status().expect("run scripts/test-cluster build");
        assert!(build.success(), "building the test cluster failed (see the log above)");
        let dir = std::env::temp_dir().join("helmfire-test-cluster-cargo");
        let started = Command::new(&script).arg("start").arg(&dir).output().expect("run scripts/test-cluster start");
        assert!(
            started.status.success(),
            "starting the test cluster failed:\n{}",
            String::from_utf8_lossy(&started.stderr)
        );
        PathBuf::from(String::from_utf8(started.stdout).unwrap().trim())
    })
}

/// A unique namespace name for one test.
pub fn namespace(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("t-{}-{}-{n}", test.replace('_', "-").chars().take(30).collect::<String>(), std::process::id())
}

/// helmfire in `ws` against the test cluster.
pub fn helmfire(ws: &Workspace, args: &[&str]) -> Output {
    ws.helmfire().env("KUBECONFIG", kubeconfig()).args(args).output().expect("run helmfire")
}

/// The helm CLI oracle against the test cluster.
pub fn helm(ws: &Workspace, args: &[&str]) -> Output {
    Command::new(helm_cli())
        .args(args)
        .env("KUBECONFIG", kubeconfig())
        .env("HELM_CONFIG_HOME", ws.path().join(".helm/config"))
        .env("HELM_CACHE_HOME", ws.path().join(".helm/cache"))
        .env("HELM_DATA_HOME", ws.path().join(".helm/data"))
        .output()
        .expect("run helm")
}

/// `helm list -n NS -o json`, parsed.
pub fn helm_list(ws: &Workspace, namespace: &str) -> Vec<serde_json::Value> {
    let out = helm(ws, &["list", "-n", namespace, "--deployed", "--failed", "--pending", "-o", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
}

/// A release's revision (0 when it is not installed).
pub fn revision(ws: &Workspace, ns: &str, name: &str) -> u64 {
    helm_list(ws, ns)
        .into_iter()
        .find(|r| r["name"] == name)
        .map(|r| r["revision"].as_str().unwrap().parse().unwrap())
        .unwrap_or(0)
}

/// Sends one request to the test cluster's API server as its admin and
/// returns the body, as `kubectl` would (there is no kubectl here).
pub fn api(method: &str, path: &str, body: &str) -> String {
    let dir = kubeconfig().parent().unwrap();
    let server = std::fs::read_to_string(dir.join("server")).expect("the test cluster's server file");
    let token = std::fs::read_to_string(dir.join("token")).expect("the test cluster's token file");
    let content_type = if method == "PATCH" { "application/merge-patch+json" } else { "application/json" };
    let out = Command::new("curl")
        .args(["-sSk", "--fail-with-body", "-X", method, "-H"])
        .arg(format!("Content-Type: {content_type}"))
        .arg("-H")
        .arg(format!("Authorization: Bearer {}", token.trim()))
        .arg("--data")
        .arg(body)
        .arg(format!("{}{path}", server.trim()))
        .output()
        .expect("run curl");
    assert!(out.status.success(), "{method} {path} failed: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stdout).unwrap()
}

/// Changes an object behind Helm's back, as `kubectl patch` would.
pub fn patch(path: &str, merge_patch: &str) {
    api("PATCH", path, merge_patch);
}

/// A kubeconfig for a ServiceAccount that may do nothing (no RBAC binding).
pub fn powerless_kubeconfig(ws: &Workspace, namespace: &str) -> PathBuf {
    api("POST", "/api/v1/namespaces", &format!(r#"{{"metadata":{{"name":"{namespace}"}}}}"#));
    api("POST", &format!("/api/v1/namespaces/{namespace}/serviceaccounts"), r#"{"metadata":{"name":"nobody"}}"#);
    let body = api(
        "POST",
        &format!("/api/v1/namespaces/{namespace}/serviceaccounts/nobody/token"),
        r#"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}"#,
    );
    let response: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = response["status"]["token"].as_str().expect("a token");
    let server = std::fs::read_to_string(kubeconfig().parent().unwrap().join("server")).unwrap();
    ws.write(
        "powerless-kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster: {{server: '{}', insecure-skip-tls-verify: true}}\ncontexts:\n- name: nobody\n  context: {{cluster: test, user: nobody, namespace: {namespace}}}\ncurrent-context: nobody\nusers:\n- name: nobody\n  user: {{token: '{token}'}}\n",
            server.trim()
        ),
    )
}
