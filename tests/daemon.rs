//! `helmfire daemon` against a real API server: the API wants the token,
//! substitutions reach the cluster through it, and a daemon killed in the
//! middle of a sync leaves no pending release once it runs again.

use std::process::{Child, Command, Stdio};

use std::time::{Duration, Instant};

use helmfire::daemon::DaemonFiles;

use crate::cluster::{api, helm, kubeconfig, namespace};
use crate::util::{StderrLines, Workspace, chart};

struct Daemon {
    child: Child,
    stderr: StderrLines,
    files: DaemonFiles,
}

impl Daemon {
    fn start(ws: &Workspace, extra: &[&str]) -> Daemon {
        let mut child = ws
            .helmfire()
            .env("KUBECONFIG", kubeconfig())
            .args(["daemon", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = StderrLines::of(&mut child);
        let files = DaemonFiles::for_state(&ws.path().join(".helmfire-cache"), ws.path());
        Daemon { child, stderr, files }
    }

    fn expect(&mut self, needle: &str) -> String {
        self.stderr.expect(needle, 90)
    }

    fn address(&self) -> String {
        std::fs::read_to_string(self.files.address()).unwrap().trim().to_string()
    }

    fn token(&self) -> String {
        std::fs::read_to_string(self.files.token()).unwrap().trim().to_string()
    }
}

/// A test that fails must not leave a daemon running.
impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .http_status_as_error(false)
        .build()
        .into()
}

fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = agent().get(url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().unwrap();
    (response.status().as_u16(), response.body_mut().read_to_string().unwrap())
}

fn post(url: &str, token: &str, body: &str) -> (u16, String) {
    let mut response = agent()
        .post(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body)
        .unwrap();
    (response.status().as_u16(), response.body_mut().read_to_string().unwrap())
}

#[test]
fn the_api_wants_its_token_and_substitutions_reach_the_cluster() {
    let ns = namespace("daemon-api");
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: web\n  namespace: {ns}\n  chart: {}\n", chart("schema").display()),
    );
    let mut daemon = Daemon::start(&ws, &[]);
    daemon.expect("sync (start): ok");
    let (base, token) = (daemon.address(), daemon.token());
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(daemon.files.token()).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the token file is private");

    assert_eq!(get(&format!("{base}/health"), None).0, 200);
    let (code, body) = get(&format!("{base}/v1/status"), None);
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("Authorization: Bearer"), "{body}");
    assert_eq!(get(&format!("{base}/v1/status"), Some("not-the-token")).0, 401);
    let (code, body) = get(&format!("{base}/v1/status"), Some(&token));
    assert_eq!(code, 200, "{body}");
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["last_sync"]["result"], "ok", "{status}");
    assert_eq!(status["releases"][0], format!("{ns}/web"));
    let (_, metrics) = get(&format!("{base}/metrics"), None);
    assert!(metrics.lines().any(|l| l == "helmfire_syncs_total 1"), "{metrics}");
    let (_, doc) = get(&format!("{base}/openapi.json"), None);
    assert!(doc.contains("\"/v1/drift\""), "{doc}");

    // `helmfire image` talks to the daemon, which applies the change.
    let out = ws
        .helmfire()
        .env("KUBECONFIG", kubeconfig())
        .args(["image", "nginx", "localhost:5000/nginx:dev"])
        .output()
        .unwrap();
    assert_success!(out);
    daemon.expect("-> web: applied");
    let live = api("GET", &format!("/apis/apps/v1/namespaces/{ns}/deployments/web"), "");
    assert!(live.contains(r#""image": "localhost:5000/nginx:dev""#), "{live}");

    // Drift on demand, through the API.
    crate::cluster::patch(&format!("/apis/apps/v1/namespaces/{ns}/deployments/web"), r#"{"spec":{"replicas":3}}"#);
    let (code, body) = post(&format!("{base}/v1/drift"), &token, "");
    assert_eq!(code, 200, "{body}");
    let record: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(record["result"], "drift", "{record}");

    let (code, _) = post(&format!("{base}/v1/shutdown"), &token, "");
    assert_eq!(code, 202);
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!daemon.files.token().exists() && !daemon.files.pid().exists(), "a stopped daemon leaves no token behind");
}

#[test]
fn a_daemon_killed_mid_sync_leaves_no_pending_release_after_restart() {
    let ns = namespace("daemon-kill");
    let ws = Workspace::new();
    // A PersistentVolumeClaim never binds here: `--wait` keeps the install
    // in flight until the daemon is killed.
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: stuck\n  namespace: {ns}\n  chart: {}\n", chart("unready").display()),
    );
    let mut daemon = Daemon::start(&ws, &["--wait", "--timeout", "300"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status_of = || {
        let out = helm(&ws, &["status", "stuck", "-n", &ns, "-o", "json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|v| v["info"]["status"].as_str().map(str::to_string))
    };
    while status_of().as_deref() != Some("pending-install") {
        assert!(Instant::now() < deadline, "the install never started: {:?}", daemon.stderr.seen);
        std::thread::sleep(Duration::from_millis(200));
    }
    Command::new("kill").args(["-KILL", &daemon.child.id().to_string()]).status().unwrap();
    daemon.child.wait().unwrap();
    assert_eq!(status_of().as_deref(), Some("pending-install"), "killed with SIGKILL, nothing could settle it");

    let mut again = Daemon::start(&ws, &["--wait", "--timeout", "2"]);
    let line = again.expect("was left pending-install");
    assert!(line.contains("marked failed"), "{line}");
    again.expect("sync (start)");
    let status = status_of();
    assert!(status.as_deref().is_some_and(|s| !s.starts_with("pending")), "no pending release: {status:?}");
    Command::new("kill").args(["-TERM", &again.child.id().to_string()]).status().unwrap();
    assert_eq!(again.child.wait().unwrap().code(), Some(143), "SIGTERM ends the daemon with 128 + 15");
}

#[test]
fn start_status_logs_and_stop_manage_a_background_daemon() {
    let ns = namespace("daemon-bg");
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: cfg\n  namespace: {ns}\n  chart: {}\n", chart("files").display()),
    );
    let run = |args: &[&str]| ws.helmfire().env("KUBECONFIG", kubeconfig()).args(args).output().unwrap();

    let started = run(&["daemon", "start", "--listen", "127.0.0.1:0"]);
    assert_success!(started);
    let said = String::from_utf8_lossy(&started.stderr).into_owned();
    assert!(said.contains("daemon started (pid"), "{said}");
    let again = run(&["daemon", "start", "--listen", "127.0.0.1:0"]);
    assert_clean_failure!(again, "a daemon already runs for this state", "helmfire daemon stop");

    // The first sync happens in the background; status shows it once done.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let status = run(&["daemon", "status"]);
        let body: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap_or_default();
        if body["status"]["last_sync"]["result"] == "ok" {
            assert!(body["token_file"].as_str().is_some_and(|t| t.ends_with("token")), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "no sync reported: {body}");
        std::thread::sleep(Duration::from_millis(300));
    }
    api("GET", &format!("/api/v1/namespaces/{ns}/configmaps/cfg-config"), "");
    let logs = assert_success!(run(&["daemon", "logs"]));
    assert!(logs.contains("sync (start): ok"), "{logs}");

    assert_success!(run(&["daemon", "stop"]));
    let status = run(&["daemon", "status"]);
    assert_eq!(status.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&status.stdout), "not running\n");
    let stop_again = run(&["daemon", "stop"]);
    assert_clean_failure!(stop_again, "no daemon runs for this state");
}

/// The daemon's pid: whether that process still exists.
fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn sigterm_while_a_sync_is_in_flight_settles_it_and_stops_within_30_seconds() {
    let ns = namespace("daemon-term");
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: stuck\n  namespace: {ns}\n  chart: {}\n", chart("unready").display()),
    );
    let mut daemon = Daemon::start(&ws, &["--wait", "--timeout", "300"]);
    daemon.expect("listening on");
    let status_of = || {
        let out = helm(&ws, &["status", "stuck", "-n", &ns, "-o", "json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|v| v["info"]["status"].as_str().map(str::to_string))
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_of().as_deref() != Some("pending-install") {
        assert!(Instant::now() < deadline, "the install never started: {:?}", daemon.stderr.seen);
        std::thread::sleep(Duration::from_millis(200));
    }
    let signalled = Instant::now();
    Command::new("kill").args(["-TERM", &daemon.child.id().to_string()]).status().unwrap();
    let status = daemon.child.wait().unwrap();
    assert!(signalled.elapsed() < Duration::from_secs(35), "stopping took {:?}", signalled.elapsed());
    assert_eq!(status.code(), Some(143), "SIGTERM ends it with 128 + 15");
    assert!(!daemon.files.token().exists() && !daemon.files.pid().exists(), "no pid or token file is left");
    let left = status_of();
    assert!(left.as_deref().is_some_and(|s| !s.starts_with("pending")), "Helm settled the release: {left:?}");
}

#[test]
fn sigterm_while_the_state_loads_stops_the_template_exec_children_too() {
    let ws = Workspace::new();
    // Loading runs a template that runs a command for half a minute; the
    // odd duration names that child among the machine's processes.
    ws.write("helmfile.yaml.gotmpl", "{{ exec \"sleep\" (list \"37.5\") }}\nreleases: []\n");
    let child_running = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .any(|entry| std::fs::read(entry.path().join("cmdline")).is_ok_and(|c| c == b"sleep\x0037.5\x00"))
    };
    let mut daemon = Daemon::start(&ws, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !child_running() {
        assert!(Instant::now() < deadline, "the template's command never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let signalled = Instant::now();
    Command::new("kill").args(["-TERM", &daemon.child.id().to_string()]).status().unwrap();
    let status = daemon.child.wait().unwrap();
    assert!(signalled.elapsed() < Duration::from_secs(10), "stopping took {:?}", signalled.elapsed());
    assert_eq!(status.code(), Some(143));
    assert!(!alive(daemon.child.id()));
    let gone = Instant::now() + Duration::from_secs(5);
    while child_running() {
        assert!(Instant::now() < gone, "the template's `exec` child outlived helmfire");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!daemon.files.token().exists() && !daemon.files.pid().exists(), "no pid or token file is left");
}

#[test]
fn idle_and_slow_clients_cannot_exhaust_the_api() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", "releases: []\n");
    let mut daemon = Daemon::start(&ws, &[]);
    daemon.expect("sync (start)");
    let base = daemon.address();
    let host = base.trim_start_matches("http://").to_string();
    let open_fds = |pid: u32| std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
    let before = open_fds(daemon.child.id());
    // Far more idle connections than the daemon keeps, and one client that
    // sends its headers too slowly to ever finish.
    let idle: Vec<std::net::TcpStream> = (0..600).filter_map(|_| std::net::TcpStream::connect(&host).ok()).collect();
    let mut slow = std::net::TcpStream::connect(&host).unwrap();
    std::io::Write::write_all(&mut slow, b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let during = open_fds(daemon.child.id());
    assert!(during < before + 300, "the daemon holds {during} descriptors (it had {before})");
    // Once the header timeout has passed, the idle ones are gone and the
    // API answers again.
    std::thread::sleep(Duration::from_secs(11));
    let (code, _) = get(&format!("{base}/health"), None);
    assert_eq!(code, 200);
    let mut buf = [0u8; 1];
    let closed = std::io::Read::read(&mut slow, &mut buf).map(|n| n == 0).unwrap_or(true);
    assert!(closed, "a client that never finishes its headers is disconnected");
    drop(idle);
}

#[test]
fn concurrent_substitution_changes_through_the_api_are_all_kept() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", "releases: []\n");
    let mut daemon = Daemon::start(&ws, &[]);
    daemon.expect("sync (start)");
    let (base, token) = (daemon.address(), daemon.token());
    std::thread::scope(|scope| {
        for i in 0..60 {
            let (base, token) = (&base, &token);
            scope.spawn(move || {
                let body = format!(r#"{{"original":"image-{i}","replacement":"local/image-{i}:dev"}}"#);
                let (code, answer) = post(&format!("{base}/v1/substitutions/images"), token, &body);
                assert_eq!(code, 200, "{answer}");
            });
        }
    });
    let (_, body) = get(&format!("{base}/v1/substitutions"), Some(&token));
    let subs: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(subs["images"].as_object().map(|m| m.len()), Some(60), "{subs}");
}

/// Daemons sharing one Lease, all serving the state of `source`.
fn candidate(source: &str, ns: &str) -> (Workspace, Daemon) {
    let ws = Workspace::new();
    let mut daemon = Daemon::start(
        &ws,
        &[
            "--leader-elect",
            "--lease-namespace",
            ns,
            "--lease-name",
            "helmfire",
            "--source",
            source,
            "--source-interval",
            "2s",
        ],
    );
    daemon.expect("campaigning for Lease");
    (ws, daemon)
}

fn ready(daemon: &Daemon) -> (u16, serde_json::Value) {
    let (code, body) = get(&format!("{}/ready", daemon.address()), None);
    (code, serde_json::from_str(&body).unwrap())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    start.elapsed()
}

#[test]
fn daemons_sharing_a_lease_act_one_at_a_time_and_hand_over() {
    let ns = namespace("lease");
    api("POST", "/api/v1/namespaces", &format!(r#"{{"metadata":{{"name":"{ns}"}}}}"#));
    let state = |value: &str| {
        format!(
            "releases:\n- name: web\n  namespace: {ns}\n  chart: {}\n  values:\n  - templates: [\"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: cm\\ndata:\\n  k: {value}\\n\"]\n",
            chart("raw-0.1.0").display()
        )
    };
    let repo = crate::remote_sources::GitRepo::new();
    repo.write("helmfile.yaml", &state("first"));
    repo.commit("first");
    let state_source = repo.source("helmfile.yaml", "main");
    let (_wa, mut a) = candidate(&state_source, &ns);
    a.expect("leading: this daemon holds the Lease");
    a.expect("sync (start): ok");
    let (_wb, mut b) = candidate(&state_source, &ns);

    // b follows: ready, knows the leader, syncs nothing, changes nothing.
    wait_for("b ready as a follower", Duration::from_secs(30), || ready(&b).0 == 200);
    let (_, body) = ready(&b);
    assert_eq!(body["role"], "follower", "{body}");
    let (_, a_ready) = ready(&a);
    assert_eq!(a_ready["role"], "leader", "{a_ready}");
    let (_, a_status) = get(&format!("{}/v1/status", a.address()), Some(&a.token()));
    let a_status: serde_json::Value = serde_json::from_str(&a_status).unwrap();
    let a_identity = a_status["leader"]["identity"].as_str().unwrap().to_string();
    assert_eq!(body["leader"], a_identity.as_str(), "{body}");
    let (code, answer) = post(&format!("{}/v1/sync", b.address()), &b.token(), "");
    assert_eq!(code, 503, "{answer}");
    assert!(answer.contains("follower") && answer.contains(&a_identity), "{answer}");
    let (code, _) = get(&format!("{}/v1/status", b.address()), Some(&b.token()));
    assert_eq!(code, 200, "a follower answers reads");
    let (_, metrics) = get(&format!("{}/metrics", b.address()), None);
    assert!(
        metrics.contains(&format!("helmfire_leader_info{{lease=\"{ns}/helmfire\",leader=\"{a_identity}\"}} 1")),
        "{metrics}"
    );
    let (_, b_status) = get(&format!("{}/v1/status", b.address()), Some(&b.token()));
    let b_status: serde_json::Value = serde_json::from_str(&b_status).unwrap();
    assert!(b_status["last_sync"].is_null(), "a follower synced: {b_status}");
    let revisions = || crate::cluster::revision(&_wa, &ns, "web");
    assert_eq!(revisions(), 1);

    // The leader is killed: b takes over within the lease duration and
    // syncs (nothing to change: the revision stays).
    let _ = a.child.kill();
    let _ = a.child.wait();
    let killed = Instant::now();
    b.expect("leading: this daemon holds the Lease");
    assert!(killed.elapsed() < Duration::from_secs(45), "took over after {:?}", killed.elapsed());
    b.expect("sync (start): ok");
    assert_eq!(revisions(), 1);
    // The new leader applies the next commit of the state's repository.
    repo.write("helmfile.yaml", &state("second"));
    repo.commit("second");
    b.expect("sync (source): ok");
    assert_eq!(revisions(), 2);
    let live = api("GET", &format!("/api/v1/namespaces/{ns}/configmaps/cm"), "");
    assert!(live.contains(r#""k": "second""#), "{live}");

    // SIGTERM gives the Lease up: a waiting candidate leads at once.
    let (_wc, mut c) = candidate(&state_source, &ns);
    wait_for("c ready as a follower", Duration::from_secs(30), || ready(&c).0 == 200);
    let terminated = Instant::now();
    std::process::Command::new("kill").args(["-TERM", &b.child.id().to_string()]).status().unwrap();
    c.expect("leading: this daemon holds the Lease");
    let gap = terminated.elapsed();
    assert!(gap < Duration::from_secs(8), "the handover took {gap:?} (the lease lasts 15 s)");
    assert!(b.child.wait().unwrap().code().is_some());
}

#[test]
fn a_token_from_a_file_and_open_probes_on_an_address_of_their_own() {
    let ws = Workspace::new();
    ws.write("helmfile.yaml", "releases: []\n");
    ws.write("token", "too-short\n");
    let out = ws
        .helmfire()
        .env("KUBECONFIG", kubeconfig())
        .args(["daemon", "--listen", "127.0.0.1:0", "--token-file", "token"])
        .output()
        .unwrap();
    assert_clean_failure!(out, "token", "at least 32 characters");

    let token = "0123456789abcdef".repeat(3);
    ws.write("token", &format!("{token}\n"));
    let mut daemon = Daemon::start(&ws, &["--token-file", "token", "--probe-listen", "127.0.0.1:0"]);
    let line = daemon.expect("probes and metrics on http://");
    let probes = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    daemon.expect("sync (start)");
    let (code, body) = get(&format!("{probes}/ready"), None);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains(r#""role":"single""#), "{body}");
    assert_eq!(get(&format!("{probes}/health"), None).0, 200);
    assert!(get(&format!("{probes}/metrics"), None).1.contains("helmfire_syncs_total 1"));
    assert_eq!(get(&format!("{probes}/v1/status"), Some(&token)).0, 404, "the probe address serves nothing else");
    assert_eq!(get(&format!("{}/v1/status", daemon.address()), Some(&token)).0, 200, "the API takes the given token");
    assert_eq!(daemon.token(), token);
}

#[test]
fn a_daemon_applies_each_new_commit_of_its_git_source() {
    let ns = namespace("daemon-source");
    let repo = crate::remote_sources::GitRepo::new();
    let state = |value: &str| {
        format!(
            "releases:\n- name: app\n  namespace: {ns}\n  createNamespace: true\n  chart: ./charts/raw\n  values:\n  - templates: [\"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-git\\ndata:\\n  k: {value}\\n\"]\n"
        )
    };
    repo.copy_dir(&chart("raw-0.1.0"), "charts/raw");
    repo.write("helmfile.yaml", &state("first"));
    repo.commit("first");
    let ws = Workspace::new();
    let source = repo.source("helmfile.yaml", "main");
    let mut daemon = Daemon::start(&ws, &["--source", &source, "--source-interval", "2s"]);
    daemon.expect("sync (start): ok");
    let live = || api("GET", &format!("/api/v1/namespaces/{ns}/configmaps/from-git"), "");
    assert!(live().contains(r#""k": "first""#), "{}", live());
    let (base, token) = (daemon.address(), daemon.token());
    let status =
        || -> serde_json::Value { serde_json::from_str(&get(&format!("{base}/v1/status"), Some(&token)).1).unwrap() };
    let first = repo.head();
    assert_eq!(status()["source"]["applied"], first.as_str(), "{}", status());

    repo.write("helmfile.yaml", &state("second"));
    repo.commit("second");
    let second = repo.head();
    daemon.expect(&format!("source: revision {second} fetched"));
    daemon.expect("sync (source): ok");
    assert!(live().contains(r#""k": "second""#), "{}", live());
    assert_eq!(status()["source"]["applied"], second.as_str(), "{}", status());
    let (_, metrics) = get(&format!("{base}/metrics"), None);
    assert!(metrics.contains(&format!("revision=\"{second}\",state=\"applied\"}} 1")), "{metrics}");

    // A source that cannot be fetched at start is an error, not an empty
    // daemon.
    let out = Workspace::new()
        .helmfire()
        .env("KUBECONFIG", kubeconfig())
        .args(["daemon", "--listen", "127.0.0.1:0", "--source", &repo.source("helmfile.yaml", "no-such-branch")])
        .output()
        .unwrap();
    assert_clean_failure!(out, "--source", "no-such-branch");
}
