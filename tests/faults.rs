//! Faults of the world around helmfire, each ending in one clean message
//! and nothing half-written: the API server gone or silent in the middle of
//! a sync (through a TCP proxy in front of the shared test cluster), a chart
//! repository that stops in the middle of a download, a full disk under
//! the chart cache.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use crate::chart_repo::ChartRepo;
use crate::cluster::{api, helm_list, helmfire, kubeconfig, namespace};
use crate::fault_proxy::FaultProxy;
use crate::oci_registry::Registry;
use crate::util::{Workspace, chart, helm_cli, host_program, repo_root};

/// `host:port` of the test cluster's API server.
fn api_host() -> String {
    let server = std::fs::read_to_string(kubeconfig().parent().unwrap().join("server")).unwrap();
    server.trim().trim_start_matches("https://").to_string()
}

/// The test cluster's kubeconfig, talking to it through `proxy`.
fn proxied_kubeconfig(ws: &Workspace, proxy: &FaultProxy) -> PathBuf {
    let text = std::fs::read_to_string(kubeconfig()).unwrap();
    let host = api_host();
    assert!(text.contains(&host), "the kubeconfig names {host}");
    ws.write("proxied-kubeconfig", &text.replace(&host, &proxy.addr))
}

/// The status of a release's last revision, read past the proxy.
fn status_of(ws: &Workspace, ns: &str, name: &str) -> Option<String> {
    helm_list(ws, ns).into_iter().find(|r| r["name"] == name).map(|r| r["status"].as_str().unwrap().to_string())
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// helmfire started in the background, its output going to files.
fn spawn(ws: &Workspace, kubeconfig: &Path, args: &[&str]) -> Child {
    ws.helmfire()
        .env("KUBECONFIG", kubeconfig)
        .args(args)
        .stdout(File::create(ws.path().join("stdout")).unwrap())
        .stderr(File::create(ws.path().join("stderr")).unwrap())
        .spawn()
        .unwrap()
}

/// Waits for `child`, failing the test if it runs past `limit` (a hang).
fn finish(ws: &Workspace, mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!(
                "helmfire still ran after {limit:?}: {}",
                std::fs::read_to_string(ws.path().join("stderr")).unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: std::fs::read(ws.path().join("stdout")).unwrap(),
        stderr: std::fs::read(ws.path().join("stderr")).unwrap(),
    }
}

/// A release that stays pending while Helm waits: its PersistentVolumeClaim
/// never binds (the test cluster has no storage provisioner).
fn waiting_release(ws: &Workspace, ns: &str, timeout: u64) {
    let chart = ws.chart_copy("unready");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: stuck\n  namespace: {ns}\n  chart: {}\n  createNamespace: true\n  wait: true\n  timeout: {timeout}\n",
            chart.display()
        ),
    );
}

#[test]
fn an_api_server_restarting_while_helm_waits_leaves_no_release_pending() {
    // Back before Helm's wait ends: the wait rides it out.
    let (ws, ns, stderr) = api_server_fault_mid_sync("api_restart_mid_wait", 20, FaultProxy::down, Some(4));
    assert_eq!(status_of(&ws, &ns, "stuck").as_deref(), Some("failed"), "{stderr}");
    assert_next_sync_runs(&ws, &ns);
}

#[test]
fn an_api_server_gone_when_the_failure_is_recorded_leaves_no_release_pending() {
    // Still gone when Helm's wait times out and Helm records the failure,
    // back a little later: helmfire records it.
    let (ws, ns, stderr) = api_server_fault_mid_sync("api_gone_at_failure", 8, FaultProxy::down, Some(14));
    assert!(stderr.contains("so helmfire marked revision 1 failed (it was pending-install)"), "{stderr}");
    assert_eq!(status_of(&ws, &ns, "stuck").as_deref(), Some("failed"), "{stderr}");
    assert_next_sync_runs(&ws, &ns);
}

#[test]
fn an_api_server_that_never_answers_again_ends_the_run_saying_what_is_left() {
    // Connections accepted, nothing answered, for good: helmfire gives up
    // within its bounds (Helm's wait, the HTTP/2 health check, TLS
    // handshake timeouts, 30 s to record the failure) and says the
    // revision may be left pending.
    let (ws, ns, stderr) = api_server_fault_mid_sync("api_silent_for_good", 5, FaultProxy::stall, None);
    assert!(stderr.contains("its revision 1 may be left pending"), "{stderr}");
    assert!(stderr.contains("did not answer within 30s") && stderr.contains("timeout"), "{stderr}");
    assert_eq!(status_of(&ws, &ns, "stuck").as_deref(), Some("pending-install"), "{stderr}");
}

/// Syncs a release that stays pending while Helm waits (`timeout`
/// seconds), starts `fault` once Helm waits, ends it after `lasting`
/// seconds (None: only after helmfire exits), and returns helmfire's
/// stderr once it failed, as it must, with one clean error.
fn api_server_fault_mid_sync(
    test: &str,
    timeout: u64,
    fault: fn(&FaultProxy),
    lasting: Option<u64>,
) -> (Workspace, String, String) {
    let ws = Workspace::new();
    let proxy = FaultProxy::start(&api_host());
    let proxied = proxied_kubeconfig(&ws, &proxy);
    let ns = namespace(test);
    waiting_release(&ws, &ns, timeout);

    let child = spawn(&ws, &proxied, &["sync"]);
    wait_until("the release pending while Helm waits", Duration::from_secs(60), || {
        status_of(&ws, &ns, "stuck").as_deref() == Some("pending-install")
            && api("GET", &format!("/api/v1/namespaces/{ns}/persistentvolumeclaims"), "").contains("stuck-data")
    });
    fault(&proxy);
    if let Some(seconds) = lasting {
        std::thread::sleep(Duration::from_secs(seconds));
        proxy.restore();
    }
    let out = finish(&ws, child, Duration::from_secs(180));
    proxy.restore();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("error: ").count(), 1, "one error: {stderr}");
    assert!(stderr.contains("release `stuck`"), "the error names the release: {stderr}");
    assert!(!stderr.contains("panic") && !stderr.contains("goroutine"), "{stderr}");
    (ws, ns, stderr)
}

/// Nothing is left locked: the next sync of the release runs.
fn assert_next_sync_runs(ws: &Workspace, ns: &str) {
    let state = std::fs::read_to_string(ws.path().join("helmfile.yaml")).unwrap();
    ws.write("helmfile.yaml", &state.replace("wait: true", "wait: false"));
    assert_success!(helmfire(ws, &["sync"]));
    assert_eq!(status_of(ws, ns, "stuck").as_deref(), Some("deployed"));
}

#[test]
fn an_etcd_restart_in_the_middle_of_a_sync_leaves_no_release_pending() {
    let cluster = OwnCluster::start();
    let ws = Workspace::new();
    let ns = namespace("etcd_restart");
    waiting_release(&ws, &ns, 20);
    let child = spawn(&ws, &cluster.kubeconfig, &["sync"]);
    wait_until("the release pending while Helm waits", Duration::from_secs(60), || {
        cluster.status_of(&ws, &ns, "stuck").as_deref() == Some("pending-install")
    });
    std::thread::sleep(Duration::from_secs(2)); // Helm is waiting now
    cluster.restart_etcd(6);
    let out = finish(&ws, child, Duration::from_secs(180));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(stderr.matches("error: ").count(), 1, "one error: {stderr}");
    assert!(stderr.contains("release `stuck`") && !stderr.contains("panic"), "{stderr}");
    assert_eq!(cluster.status_of(&ws, &ns, "stuck").as_deref(), Some("failed"), "{stderr}");

    let state = std::fs::read_to_string(ws.path().join("helmfile.yaml")).unwrap();
    ws.write("helmfile.yaml", &state.replace("wait: true", "wait: false"));
    assert_success!(ws.helmfire().env("KUBECONFIG", &cluster.kubeconfig).args(["sync"]).output().unwrap());
    assert_eq!(cluster.status_of(&ws, &ns, "stuck").as_deref(), Some("deployed"));
}

/// A control plane of the test's own (scripts/test-cluster), for faults
/// the shared one must not suffer; stopped when dropped.
struct OwnCluster {
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl OwnCluster {
    fn start() -> OwnCluster {
        kubeconfig(); // the shared cluster's start builds the binaries when needed
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(repo_root().join("scripts/test-cluster")).arg("start").arg(dir.path()).output().unwrap();
        assert!(out.status.success(), "starting a cluster: {}", String::from_utf8_lossy(&out.stderr));
        let kubeconfig = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        OwnCluster { dir, kubeconfig }
    }

    fn restart_etcd(&self, seconds_down: u64) {
        let out = Command::new(repo_root().join("scripts/test-cluster"))
            .arg("restart-etcd")
            .arg(self.dir.path())
            .arg(seconds_down.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "restarting etcd: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn status_of(&self, ws: &Workspace, ns: &str, name: &str) -> Option<String> {
        let out = Command::new(helm_cli())
            .args(["list", "-n", ns, "--deployed", "--failed", "--pending", "-o", "json"])
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HELM_CONFIG_HOME", ws.path().join(".helm/config"))
            .env("HELM_CACHE_HOME", ws.path().join(".helm/cache"))
            .output()
            .unwrap();
        if !out.status.success() {
            return None; // etcd or the API server not answering yet
        }
        let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        list.into_iter().find(|r| r["name"] == name).map(|r| r["status"].as_str().unwrap().to_string())
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("scripts/test-cluster")).arg("stop").arg(self.dir.path()).output();
    }
}

#[test]
fn a_chart_download_cut_short_is_named_and_leaves_the_cache_clean() {
    let repo = ChartRepo::serve_with_relative_urls(&[chart("raw-0.1.0")]);
    let proxy = FaultProxy::start(repo.url.trim_start_matches("http://").trim_end_matches('/'));
    proxy.truncate_responses(".tgz", 300);
    let ws = Workspace::new();
    let cache = ws.path().join("cache");
    ws.write(
        "helmfile.yaml",
        &format!(
            "repositories:\n- name: local\n  url: http://{}/\nreleases:\n- name: app\n  chart: local/raw\n  version: 0.1.0\n  values:\n  - templates: [\"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm\\n\"]\n",
            proxy.addr
        ),
    );
    let run = || ws.helmfire().env("HELMFIRE_CACHE_HOME", &cache).args(["template"]).output().unwrap();
    let out = run();
    assert_clean_failure!(
        out,
        "raw",
        "0.1.0",
        "closed the connection before the chart was complete",
        "nothing of it was cached"
    );
    let archives = files_under(&cache).into_iter().filter(|p| p.to_string_lossy().contains(".tgz")).count();
    assert_eq!(archives, 0, "a partial archive was kept: {:?}", files_under(&cache));

    // The repository is whole again: the same command works.
    proxy.truncate_responses(".tgz", usize::MAX);
    let rendered = assert_success!(run());
    assert!(rendered.contains("name: cm"), "{rendered}");
}

#[test]
fn a_full_disk_under_the_chart_cache_is_named_and_leaves_nothing_half_written() {
    // A real full filesystem: a tmpfs mounted in a mount namespace of the
    // test's own, filled to the last byte.
    let probe = Command::new(host_program("unshare")).args(["-rm", "true"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs user and mount namespaces (unshare -rm): {probe:?}"
    );
    let repo = ChartRepo::serve(&[chart("raw-0.1.0")], None);
    let ws = Workspace::new();
    let cache = ws.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    ws.write(
        "helmfile.yaml",
        &format!(
            "repositories:\n- name: local\n  url: {}\nreleases:\n- name: app\n  chart: local/raw\n  version: 0.1.0\n  values:\n  - templates: [\"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm\\n\"]\n",
            repo.url
        ),
    );
    let helmfire = env!("CARGO_BIN_EXE_helmfire");
    let script = format!(
        "set -u\n\
         mount -t tmpfs -o size=256k tmpfs '{cache}' || exit 90\n\
         dd if=/dev/zero of='{cache}/filler' bs=4k 2>/dev/null\n\
         '{helmfire}' template >full.out 2>full.err; echo $? >full.rc\n\
         find '{cache}' -type f ! -name filler -size +0 >full.files\n\
         rm '{cache}/filler'\n\
         '{helmfire}' template >freed.out 2>freed.err; echo $? >freed.rc\n",
        cache = cache.display()
    );
    let out = Command::new(host_program("unshare"))
        .args(["-rm", "sh", "-c", &script])
        .current_dir(ws.path())
        .env("HELMFIRE_CACHE_HOME", &cache)
        .env("HOME", ws.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let read = |name: &str| std::fs::read_to_string(ws.path().join(name)).unwrap();
    let err = read("full.err");
    assert_eq!(read("full.rc").trim(), "1", "{err}");
    assert!(err.contains("no space left on device"), "{err}");
    assert!(err.contains(&cache.display().to_string()), "the error names the cache: {err}");
    assert!(err.contains("free space there, or point HELMFIRE_CACHE_HOME"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error")).count(), 1, "{err}");
    assert!(!err.contains("panic") && !err.contains("goroutine"), "{err}");
    // Nothing the full disk cut short is left for a later run to trust.
    let kept = read("full.files");
    assert!(!kept.contains(".tgz"), "an archive was written on a full disk: {kept}");

    assert_eq!(read("freed.rc").trim(), "0", "{}", read("freed.err"));
    assert!(read("freed.out").contains("name: cm"));
}

#[test]
fn a_registry_that_stops_in_the_middle_of_a_pull_is_named_and_leaves_the_cache_clean() {
    let registry = Registry::start();
    registry.push_charts("myrepo", &[chart("raw-0.1.0")]);
    let layer = registry.chart_digests.lock().unwrap()[0].clone();
    let proxy = FaultProxy::start(&registry.host);
    proxy.truncate_responses(&format!("/blobs/sha256:{layer}"), 200);
    let ws = Workspace::new();
    let cache = ws.path().join("cache");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: app\n  chart: oci://{}/myrepo/raw\n  version: 0.1.0\n  values:\n  - templates: [\"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm\\n\"]\n",
            proxy.addr
        ),
    );
    let run =
        || ws.helmfire().env("HELMFIRE_CACHE_HOME", &cache).args(["--oci-plain-http", "template"]).output().unwrap();
    let out = run();
    assert_clean_failure!(out, "raw:0.1.0", "closed the connection before the chart was complete");
    let archives = files_under(&cache).into_iter().filter(|p| p.to_string_lossy().contains(".tgz")).count();
    assert_eq!(archives, 0, "a partial archive was kept: {:?}", files_under(&cache));

    proxy.truncate_responses("/blobs/", usize::MAX);
    let rendered = assert_success!(run());
    assert!(rendered.contains("name: cm"), "{rendered}");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
