//! sync, destroy and status against a real API server, checked with the
//! helm CLI of the same version.

use std::time::Duration;

use crate::cluster::{api, helm, helm_list, helmfire, kubeconfig, namespace};
use crate::util::{Workspace, chart};

fn revision_of(ws: &Workspace, ns: &str, name: &str) -> Option<(u64, String)> {
    helm_list(ws, ns)
        .into_iter()
        .find(|r| r["name"] == name)
        .map(|r| (r["revision"].as_str().unwrap().parse().unwrap(), r["status"].as_str().unwrap().to_string()))
}

#[test]
fn sync_installs_then_upgrades_and_destroy_uninstalls() {
    let ws = Workspace::new();
    let ns = namespace("sync");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: db\n  namespace: {ns}\n  chart: {c}\n- name: api\n  namespace: {ns}\n  chart: {c}\n  needs: [db]\n  set:\n  - name: name\n    value: api\n",
            c = chart("named-templates").display()
        ),
    );
    let out = helmfire(&ws, &["sync"]);
    let stdout = assert_success!(out);
    assert!(stdout.contains("install"), "{stdout}");
    assert_eq!(revision_of(&ws, &ns, "db"), Some((1, "deployed".into())));
    assert_eq!(revision_of(&ws, &ns, "api"), Some((1, "deployed".into())));

    assert_success!(helmfire(&ws, &["sync"]));
    assert_eq!(revision_of(&ws, &ns, "api"), Some((2, "deployed".into())));

    let status = assert_success!(helmfire(&ws, &["status"]));
    assert!(status.lines().any(|l| l.starts_with("api") && l.contains("\t2 ") && l.contains("deployed")), "{status}");
    let listed: serde_json::Value =
        serde_json::from_str(&assert_success!(helmfire(&ws, &["list", "--cluster", "-o", "json"]))).unwrap();
    // Sorted by namespace and name, as helmfile 1.8 lists.
    assert_eq!(listed[0]["name"], "api");
    assert_eq!(listed[0]["status"], "deployed");
    assert_eq!(listed[0]["revision"], 2);

    assert_success!(helmfire(&ws, &["destroy"]));
    assert!(helm_list(&ws, &ns).is_empty());
    let status = assert_success!(helmfire(&ws, &["status"]));
    assert!(status.contains("not installed"), "{status}");
}

#[test]
fn releases_made_by_the_helm_cli_and_by_helmfire_are_the_same_thing() {
    let ws = Workspace::new();
    let ns = namespace("interop");
    let c = chart("files");
    let out = helm(&ws, &["install", "cfg", c.to_str().unwrap(), "-n", &ns, "--create-namespace"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ws.write("helmfile.yaml", &format!("releases:\n- name: cfg\n  namespace: {ns}\n  chart: {}\n", c.display()));
    assert_success!(helmfire(&ws, &["sync"]));
    assert_eq!(revision_of(&ws, &ns, "cfg"), Some((2, "deployed".into())), "helmfire upgraded helm's release");
    let out = helm(&ws, &["upgrade", "cfg", c.to_str().unwrap(), "-n", &ns]);
    assert!(out.status.success(), "helm upgrades helmfire's release: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(revision_of(&ws, &ns, "cfg"), Some((3, "deployed".into())));
    let out = helm(&ws, &["uninstall", "cfg", "-n", &ns]);
    assert!(out.status.success());
}

#[test]
fn installed_false_uninstalls_and_a_failure_skips_only_its_dependents() {
    let ws = Workspace::new();
    let ns = namespace("failure");
    let c = chart("named-templates");
    ws.write("helmfile.yaml", &format!("releases:\n- name: gone\n  namespace: {ns}\n  chart: {}\n", c.display()));
    assert_success!(helmfire(&ws, &["sync"]));
    // A Service port the API server rejects; a dependent; an independent release.
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: gone\n  namespace: {ns}\n  chart: {c}\n  installed: false\n\
             - name: bad\n  namespace: {ns}\n  chart: {c}\n  set:\n  - name: ports\n    values: [99999]\n\
             - name: after-bad\n  namespace: {ns}\n  chart: {c}\n  needs: [bad]\n\
             - name: fine\n  namespace: {ns}\n  chart: {c}\n",
            c = c.display()
        ),
    );
    let out = helmfire(&ws, &["sync"]);
    assert_clean_failure!(out, "release `bad`", "99999");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("after-bad") && l.contains("skipped: `bad` did not succeed")),
        "{stdout}"
    );
    assert_eq!(revision_of(&ws, &ns, "fine"), Some((1, "deployed".into())));
    assert_eq!(revision_of(&ws, &ns, "gone"), None, "installed: false uninstalls");
    assert_eq!(revision_of(&ws, &ns, "after-bad"), None);
}

#[test]
fn an_unreachable_api_server_fails_fast_naming_it() {
    let ws = Workspace::new();
    let kubeconfig = ws.write(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\ncontexts:\n- name: nowhere\n  context: {cluster: c, user: u}\ncurrent-context: nowhere\nusers:\n- name: u\n  user: {token: x}\n",
    );
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: a\n  namespace: x\n  chart: {}\n", chart("files").display()),
    );
    let started = std::time::Instant::now();
    let out = ws.helmfire().env("KUBECONFIG", &kubeconfig).arg("sync").output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_clean_failure!(out, "127.0.0.1:1", "nowhere");
}

#[test]
fn an_unreachable_api_server_is_said_once_for_many_releases() {
    let ws = Workspace::new();
    let kubeconfig = ws.write(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\ncontexts:\n- name: nowhere\n  context: {cluster: c, user: u}\ncurrent-context: nowhere\nusers:\n- name: u\n  user: {token: x}\n",
    );
    let releases: String = (0..20)
        .map(|i| format!("- name: r{i}\n  namespace: ns{}\n  chart: {}\n", i % 4, chart("files").display()))
        .collect();
    ws.write("helmfile.yaml", &format!("releases:\n{releases}"));
    for command in ["sync", "diff", "destroy"] {
        let started = std::time::Instant::now();
        let out = ws.helmfire().env("KUBECONFIG", &kubeconfig).arg(command).output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(10), "{command} took {:?}", started.elapsed());
        assert_clean_failure!(out, "releases `r0` and 19 more were not started", "127.0.0.1:1");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.matches("unreachable").count(), 1, "{command}: {stderr}");
    }
}

#[test]
fn no_kubeconfig_at_all_is_an_error_never_localhost() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: a\n  namespace: x\n  chart: {c}\n- name: b\n  namespace: x\n  chart: {c}\n",
            c = chart("files").display()
        ),
    );
    let home = ws.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = ws
        .helmfire()
        .env("HOME", &home)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["status"])
        .output()
        .unwrap();
    assert_clean_failure!(out, "found no kubeconfig", ".kube/config", "KUBERNETES_SERVICE_HOST");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("localhost:8080"), "{stderr}");
    assert_eq!(stderr.matches("found no kubeconfig").count(), 1, "said once: {stderr}");
}

#[test]
fn in_a_pod_the_service_account_is_used_when_no_kubeconfig_is_given() {
    // A Pod as Kubernetes makes it: KUBERNETES_SERVICE_HOST/PORT, and the
    // ServiceAccount's token, CA and namespace under
    // /var/run/secrets/kubernetes.io/serviceaccount (a tmpfs over /run, in
    // a mount namespace of the test's own).
    let probe = std::process::Command::new(crate::util::host_program("unshare")).args(["-rm", "true"]).output();
    assert!(probe.as_ref().is_ok_and(|o| o.status.success()), "this test needs unshare -rm: {probe:?}");
    let cluster = kubeconfig().parent().unwrap();
    let server = std::fs::read_to_string(cluster.join("server")).unwrap();
    let port = server.trim().rsplit(':').next().unwrap().to_string();
    let ns = namespace("in-cluster");
    api("POST", "/api/v1/namespaces", &format!(r#"{{"metadata":{{"name":"{ns}"}}}}"#));
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: app\n  chart: {}\n  values:\n  - templates: [\"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: from-a-pod\\n\"]\n",
            chart("raw-0.1.0").display()
        ),
    );
    let sa = "/run/secrets/kubernetes.io/serviceaccount";
    let script = format!(
        "mount -t tmpfs tmpfs /run || exit 90\n\
         mkdir -p {sa} && cp '{token}' {sa}/token && cp '{ca}' {sa}/ca.crt && echo {ns} >{sa}/namespace\n\
         exec '{helmfire}' sync\n",
        token = cluster.join("token").display(),
        ca = cluster.join("pki/ca.crt").display(),
        helmfire = env!("CARGO_BIN_EXE_helmfire"),
    );
    let out = std::process::Command::new(crate::util::host_program("unshare"))
        .args(["-rm", "sh", "-c", &script])
        .current_dir(ws.path())
        .env_remove("KUBECONFIG")
        .env("HOME", ws.path())
        .env("HELMFIRE_CACHE_HOME", ws.path().join(".helmfire-cache"))
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", &port)
        .output()
        .unwrap();
    assert_success!(out);
    // The release went to the Pod's namespace, through its ServiceAccount.
    let live = api("GET", &format!("/api/v1/namespaces/{ns}/configmaps/from-a-pod"), "");
    assert!(live.contains("\"name\": \"from-a-pod\""), "{live}");
}

#[test]
fn a_missing_kube_context_names_the_ones_that_exist() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: a\n  namespace: x\n  chart: {}\n", chart("files").display()),
    );
    let out = helmfire(&ws, &["--kube-context", "does-not-exist", "sync"]);
    assert_clean_failure!(out, "does-not-exist", "helmfire-test");
    // The environment's kubeContext is where its releases go, too.
    ws.write(
        "helmfile.yaml",
        &format!(
            "environments:\n  default:\n    kubeContext: env-context\n---\nreleases:\n- name: a\n  namespace: x\n  chart: {}\n",
            chart("files").display()
        ),
    );
    assert_clean_failure!(helmfire(&ws, &["sync"]), "env-context", "helmfire-test");
    let _ = kubeconfig();
}

#[test]
fn sigint_mid_sync_cancels_and_leaves_no_pending_release() {
    let ws = Workspace::new();
    let ns = namespace("sigint");
    let child = start_stuck_sync(&ws, &ns);
    let sent = std::time::Instant::now();
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(sent.elapsed() < Duration::from_secs(30), "took {:?} to stop", sent.elapsed());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let (_, status) = revision_of(&ws, &ns, "stuck").expect("the release exists");
    assert!(!status.starts_with("pending"), "left {status}");
}

#[test]
fn sync_runs_presync_and_postsync_hooks_with_the_outcome() {
    let ws = Workspace::new();
    let ns = namespace("hooks");
    let hook = "  hooks:\n  - events: [presync, postsync]\n    command: sh\n    args: [-c, 'echo {{ .Release.Name }} {{ .Event.Name }} {{ if .Event.Error }}failed{{ else }}ok{{ end }} >> hooks.log']\n";
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: good\n  namespace: {ns}\n  chart: {c}\n{hook}- name: bad\n  namespace: {ns}\n  chart: {c}\n  set:\n  - name: ports\n    values: [99999]\n{hook}",
            c = chart("named-templates").display()
        ),
    );
    let out = helmfire(&ws, &["sync", "--concurrency", "1"]);
    assert!(!out.status.success());
    let log = std::fs::read_to_string(ws.path().join("hooks.log")).unwrap();
    let mut lines: Vec<&str> = log.lines().collect();
    lines.sort();
    assert_eq!(lines, ["bad postsync failed", "bad presync ok", "good postsync ok", "good presync ok"]);
}

#[test]
fn test_runs_the_release_tests() {
    let ws = Workspace::new();
    let ns = namespace("test-cmd");
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: t\n  namespace: {ns}\n  chart: {}\n", chart("tested").display()),
    );
    assert_success!(helmfire(&ws, &["sync"]));
    let out = helmfire(&ws, &["test", "--timeout", "60"]);
    assert_success!(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Testing release=t: passed"), "{stderr}");
    assert!(stderr.contains("Job t-test Succeeded"), "{stderr}");
}

#[test]
fn deploy_settings_come_from_the_release_and_helm_defaults() {
    let ws = Workspace::new();
    let ns = namespace("defaults");
    ws.write(
        "helmfile.yaml",
        &format!(
            "helmDefaults:\n  wait: true\n  timeout: 3\nreleases:\n- name: stuck\n  namespace: {ns}\n  chart: {}\n",
            chart("unready").display()
        ),
    );
    let started = std::time::Instant::now();
    let out = helmfire(&ws, &["sync"]);
    assert_clean_failure!(out, "release `stuck`");
    assert!(started.elapsed() < Duration::from_secs(30), "helmDefaults.timeout applies: {:?}", started.elapsed());
}

#[test]
fn deploy_keys_helm_4_cannot_honour_are_refused_with_what_to_do() {
    let ws = Workspace::new();
    let ns = namespace("refused");
    let state = |key: &str| {
        format!("releases:\n- name: a\n  namespace: {ns}\n  chart: {}\n  {key}\n", chart("files").display())
    };
    ws.write("helmfile.yaml", &state("adopt: [x]"));
    assert_success!(ws.run(&["template"]));
    assert_clean_failure!(helmfire(&ws, &["sync"]), "`adopt`", "takeOwnership");
    ws.write("helmfile.yaml", &state("updateStrategy: recreate"));
    assert_clean_failure!(helmfire(&ws, &["sync"]), "updateStrategy \"recreate\" is invalid");
    assert!(helm_list(&ws, &ns).is_empty(), "nothing was deployed");
    // Keys that mean nothing without helm-unittest or a helm process are
    // accepted, each said once.
    ws.write("helmfile.yaml", &state("unitTests: [t]\n  helmStuckGrace: 5\n  kubedogQPS: 5"));
    let out = helmfire(&ws, &["sync"]);
    assert_success!(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for key in ["unitTests", "helmStuckGrace", "kubedogQPS"] {
        assert_eq!(stderr.matches(&format!("{key} has no effect")).count(), 1, "{stderr}");
    }
}

#[test]
fn update_strategy_reinstalls_a_release_whose_upgrade_is_forbidden() {
    let ws = Workspace::new();
    let ns = namespace("reinstall");
    let state = |service: &str, strategy: &str| {
        format!(
            "releases:\n- name: db\n  namespace: {ns}\n  chart: {}\n{strategy}  values:\n  - templates:\n    - |\n      apiVersion: apps/v1\n      kind: StatefulSet\n      metadata:\n        name: db\n      spec:\n        serviceName: db\n        podManagementPolicy: {service}\n        selector:\n          matchLabels: {{app: db}}\n        template:\n          metadata:\n            labels: {{app: db}}\n          spec:\n            containers:\n            - name: db\n              image: registry.invalid/db:1\n",
            chart("raw-0.1.0").display()
        )
    };
    ws.write("helmfile.yaml", &state("OrderedReady", ""));
    assert_success!(helmfire(&ws, &["sync"]));
    // podManagementPolicy cannot change: the upgrade is forbidden...
    ws.write("helmfile.yaml", &state("Parallel", ""));
    assert_clean_failure!(helmfire(&ws, &["sync"]), "field is immutable");
    // ...unless the release allows a reinstall.
    ws.write("helmfile.yaml", &state("Parallel", "  updateStrategy: reinstallIfForbidden\n"));
    let out = helmfire(&ws, &["sync"]);
    assert_success!(out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("attempting to reinstall \"db\" allowed by update strategy"));
    let live = api("GET", &format!("/apis/apps/v1/namespaces/{ns}/statefulsets/db"), "");
    assert!(live.contains("\"podManagementPolicy\": \"Parallel\""), "{live}");
}

#[test]
fn wait_template_renders_to_the_release_wait() {
    let ws = Workspace::new();
    let ns = namespace("wait-template");
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "environments:\n  default:\n    values:\n    - slow: true\n---\nreleases:\n- name: web\n  namespace: {ns}\n  chart: {}\n  timeout: 4\n  values:\n  - schedulable: false\n  waitTemplate: '{{{{ `{{{{ .Environment.Values.slow }}}}` }}}}'\n",
            chart("rollout").display()
        ),
    );
    // It waits (and so fails on Pods that cannot be scheduled).
    assert_clean_failure!(helmfire(&ws, &["sync"]), "Deployment/web is not ready");
}

#[test]
fn a_release_made_by_the_helm_v3_cli_is_upgraded() {
    let ws = Workspace::new();
    let ns = namespace("helm3");
    let c = chart("named-templates");
    let out = std::process::Command::new(crate::util::helm3_cli())
        .args(["install", "legacy", c.to_str().unwrap(), "-n", &ns, "--create-namespace"])
        .env("KUBECONFIG", crate::cluster::kubeconfig())
        .env("HELM_CONFIG_HOME", ws.path().join(".helm3/config"))
        .env("HELM_CACHE_HOME", ws.path().join(".helm3/cache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "helm 3 install: {}", String::from_utf8_lossy(&out.stderr));
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: legacy\n  namespace: {ns}\n  chart: {}\n  set:\n  - name: name\n    value: renamed\n",
            c.display()
        ),
    );
    let diff = helmfire(&ws, &["diff"]);
    let stdout = assert_success!(diff);
    assert!(
        stdout.contains("has changed") || stdout.contains("has been added"),
        "the diff of a helm 3 release shows the change: {stdout}"
    );
    assert_success!(helmfire(&ws, &["sync"]));
    assert_eq!(revision_of(&ws, &ns, "legacy"), Some((2, "deployed".into())));
    let out = helmfire(&ws, &["diff", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "nothing left to change: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn rbac_forbidden_names_the_verb_and_resource() {
    let ws = Workspace::new();
    let ns = namespace("rbac");
    let powerless = crate::cluster::powerless_kubeconfig(&ws, &ns);
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: a\n  namespace: {ns}\n  chart: {}\n", chart("files").display()),
    );
    let out = ws.helmfire().env("KUBECONFIG", &powerless).arg("sync").output().unwrap();
    assert_clean_failure!(out, "release `a`", "forbidden", "secrets");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot list resource \"secrets\""), "names the verb and the resource: {stderr}");
}

#[test]
fn crds_are_installed_before_the_resources_that_use_them() {
    let ws = Workspace::new();
    let ns = namespace("crds");
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: w\n  namespace: {ns}\n  chart: {}\n", chart("crds").display()),
    );
    assert_success!(helmfire(&ws, &["sync"]));
    let widget = crate::cluster::api("GET", &format!("/apis/example.com/v1/namespaces/{ns}/widgets/w"), "");
    assert!(widget.contains("\"size\": 2"), "{widget}");
}

#[test]
fn a_second_sigint_exits_at_once_naming_what_may_be_left() {
    let ws = Workspace::new();
    let ns = namespace("sigint2");
    let child = start_stuck_sync(&ws, &ns);
    let pid = child.id().to_string();
    for _ in 0..2 {
        assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted again") && stderr.contains("stuck"), "{stderr}");
}

/// Starts `helmfire sync --wait` of a release that never becomes ready and
/// returns once its install is under way.
fn start_stuck_sync(ws: &Workspace, ns: &str) -> std::process::Child {
    ws.write(
        "helmfile.yaml",
        &format!("releases:\n- name: stuck\n  namespace: {ns}\n  chart: {}\n", chart("unready").display()),
    );
    let child = ws
        .helmfire()
        .env("KUBECONFIG", kubeconfig())
        .args(["sync", "--wait", "--timeout", "120"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while revision_of(ws, ns, "stuck").is_none() {
        assert!(std::time::Instant::now() < deadline, "the install never started");
        std::thread::sleep(Duration::from_millis(200));
    }
    child
}

#[test]
fn deploy_flags_reach_the_release() {
    let ws = Workspace::new();
    let ns = namespace("flags");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: web\n  namespace: {ns}\n  chart: {}\n  labels:\n    team: shop\n",
            chart("named-templates").display()
        ),
    );
    let out = helmfire(
        &ws,
        &["sync", "--description", "from the flag", "--sync-release-labels", "--sync-args", "--labels tier=web"],
    );
    assert_success!(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 release: 1 installed in "), "the closing count: {stderr}");
    let history = helm(&ws, &["history", "web", "-n", &ns, "-o", "json"]);
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(history[0]["description"], "from the flag", "{history}");
    let metadata = helm(&ws, &["get", "metadata", "web", "-n", &ns, "-o", "json"]);
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    assert_eq!(metadata["labels"]["team"], "shop", "{metadata}");
    assert_eq!(metadata["labels"]["tier"], "web", "{metadata}");
    let status: serde_json::Value =
        serde_json::from_str(&assert_success!(helmfire(&ws, &["status", "-o", "json"]))).unwrap();
    assert_eq!(status[0]["name"], "web", "{status}");
    assert_eq!(status[0]["revision"], 1, "{status}");
    assert_eq!(status[0]["status"], "deployed", "{status}");
    assert_eq!(status[0]["description"], "from the flag", "{status}");

    // helmfile's `sync --detailed-exitcode`: 2 when releases were synced.
    let out = helmfire(&ws, &["sync", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));

    // --suppress-diff: apply compares and upgrades but prints no diff.
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: web\n  namespace: {ns}\n  chart: {}\n  set:\n  - name: name\n    value: changed\n",
            chart("named-templates").display()
        ),
    );
    let out = helmfire(&ws, &["apply", "--suppress-diff"]);
    let stdout = assert_success!(out);
    assert!(!stdout.contains("has changed"), "{stdout}");
    assert_eq!(revision_of(&ws, &ns, "web").map(|r| r.0), Some(3));

    let out = helmfire(&ws, &["destroy", "--cascade", "foreground", "--deleteWait", "--deleteTimeout", "60"]);
    assert_success!(out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 release: 1 uninstalled in "));
    assert!(helm_list(&ws, &ns).is_empty());
}

#[test]
fn uninstall_and_diff_keys_of_releases_are_honoured_not_refused() {
    let ws = Workspace::new();
    let ns = namespace("relkeys");
    let state = |extra: &str| {
        format!(
            "helmDefaults:\n  cascade: foreground\n  deleteWait: true\nreleases:\n- name: web\n  namespace: {ns}\n  chart: {}\n  deleteTimeout: 120\n  suppressDiff: true\n  trackMode: helm\n{extra}",
            chart("named-templates").display()
        )
    };
    ws.write("helmfile.yaml", &state(""));
    let out = helmfire(&ws, &["diff"]);
    assert_success!(out);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("has been added"), "suppressDiff hides the diff");
    assert_success!(helmfire(&ws, &["sync"]));
    assert_eq!(revision_of(&ws, &ns, "web").map(|r| r.0), Some(1));
    // `installed: false` uninstalls with the release's uninstall keys.
    ws.write("helmfile.yaml", &state("  installed: false\n"));
    let out = helmfire(&ws, &["sync"]);
    assert_success!(out);
    assert!(helm_list(&ws, &ns).is_empty());
}

#[test]
fn template_validate_asks_the_api_server() {
    let ws = Workspace::new();
    let ns = namespace("validate");
    let manifest = |kind: &str, api: &str| {
        format!(
            "    - |\n      apiVersion: {api}\n      kind: {kind}\n      metadata:\n        name: x\n        namespace: {ns}\n"
        )
    };
    let state = |kind: &str, api: &str| {
        format!(
            "releases:\n- name: v\n  namespace: {ns}\n  chart: {}\n  values:\n  - templates:\n{}",
            chart("raw-0.1.0").display(),
            manifest(kind, api)
        )
    };
    ws.write("helmfile.yaml", &state("NoSuchKind", "example.com/v1"));
    // Offline, helm template renders anything; --validate asks the server.
    assert_success!(ws.run(&["template"]));
    assert_clean_failure!(helmfire(&ws, &["template", "--validate"]), "NoSuchKind");
    ws.write("helmfile.yaml", &state("ConfigMap", "v1"));
    let out = assert_success!(helmfire(&ws, &["template", "--validate"]));
    assert!(out.contains("kind: ConfigMap"), "{out}");
}

#[test]
fn deploy_keys_helmfile_ignores_or_refuses_are_treated_the_same() {
    let ws = Workspace::new();
    let ns = namespace("ignored");
    let state = |extra: &str| {
        format!("releases:\n- name: w\n  namespace: {ns}\n  chart: {}\n{extra}", chart("files").display())
    };
    ws.write("helmfile.yaml", &state("  waitRetries: 3\n"));
    let out = helmfire(&ws, &["sync"]);
    assert_success!(out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("waitRetries has no effect"));
    ws.write("helmfile.yaml", &state("  recreatePods: true\n"));
    assert_clean_failure!(helmfire(&ws, &["sync"]), "recreatePods", "--recreate-pods");
    // diff treats the keys as sync does, instead of ignoring them.
    assert_clean_failure!(helmfire(&ws, &["diff"]), "recreatePods");
    ws.write("helmfile.yaml", &state("  atomic: true\n  rollbackOnFailure: true\n"));
    assert_clean_failure!(helmfire(&ws, &["sync"]), "rollbackOnFailure", "atomic");
    assert_success!(helmfire(&ws, &["destroy"]));
}

#[test]
fn kubectl_apply_hooks_apply_files_and_kustomizations_in_process() {
    let ws = Workspace::new();
    let ns = namespace("kubectl-hook");
    ws.write(
        "manifests/config.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-file\n  namespace: {ns}\ndata:\n  a: \"1\"\n"
        ),
    );
    ws.write(
        "overlay/kustomization.yaml",
        &format!("namespace: {ns}\nconfigMapGenerator:\n- name: from-kustomize\n  literals: [b=2]\ngeneratorOptions:\n  disableNameSuffixHash: true\n"),
    );
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: app\n  namespace: {ns}\n  chart: {}\n  hooks:\n  - events: [postsync]\n    showlogs: true\n    kubectlApply:\n      filename: manifests/\n  - name: overlay\n    events: [postsync]\n    showlogs: true\n    kubectlApply:\n      kustomize: '{{{{ .Release.Name | replace \"app\" \"overlay\" }}}}'\n",
            chart("named-templates").display()
        ),
    );
    let out = helmfire(&ws, &["sync"]);
    assert_success!(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hook[postsync] logs | configmap/from-file created"), "{stderr}");
    assert!(stderr.contains("hook[postsync] logs | configmap/from-kustomize created"), "{stderr}");
    let from_file = api("GET", &format!("/api/v1/namespaces/{ns}/configmaps/from-file"), "");
    assert!(from_file.contains("\"a\": \"1\"") && from_file.contains("last-applied-configuration"), "{from_file}");
    assert!(api("GET", &format!("/api/v1/namespaces/{ns}/configmaps/from-kustomize"), "").contains("\"b\": \"2\""));

    // kubectl's semantics: applied again, nothing changes.
    let again = helmfire(&ws, &["sync"]);
    assert_success!(again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("configmap/from-file unchanged"));

    // A path that does not exist fails the release, naming the hook and it.
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: app\n  namespace: {ns}\n  chart: {}\n  hooks:\n  - events: [presync]\n    kubectlApply:\n      filename: missing.yaml\n",
            chart("named-templates").display()
        ),
    );
    assert_clean_failure!(helmfire(&ws, &["sync"]), "hook[kubectlApply]", "missing.yaml");
}
