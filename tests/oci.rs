//! Charts from OCI registries (a real registry on loopback), the chart
//! cache, lock files, `deps`, `fetch` and `cache`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use similar_asserts::assert_eq;

use crate::chart_repo::ChartRepo;
use crate::http_proxy::Proxy;
use crate::oci_registry::{PASSWORD, Registry, USER};
use crate::util::{Workspace, chart, helm_cli};

/// The snapshot suite's `raw` chart, in two versions (0.0.1 and 0.1.0).
/// Two versions of one chart, for constraints and lock files.
fn raw_charts() -> Vec<PathBuf> {
    vec![chart("raw-0.0.1"), chart("raw-0.1.0")]
}

const VALUES: &str = "  values:\n  - templates:\n    - |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: {{`{{ .Release.Name }}`}}\n      data:\n        version: {{`{{ .Chart.Version }}`}}\n";

fn release(name: &str, chart: &str, version: &str) -> String {
    let version = if version.is_empty() { String::new() } else { format!("  version: \"{version}\"\n") };
    format!("- name: {name}\n  chart: {chart}\n{version}{VALUES}")
}

fn registry_with_raw() -> Registry {
    let registry = Registry::start();
    registry.push_charts("myrepo", &raw_charts());
    registry
}

/// The registry behind a recording proxy that holds chart downloads for
/// `hold`: the requests that reach the registry can be counted.
fn proxied(registry: &Registry, hold: Duration) -> Proxy {
    let layers = registry.chart_digests.lock().unwrap().clone();
    Proxy::start(
        &registry.host,
        Arc::new(move |path: &str| {
            layers.iter().any(|d| path.ends_with(&format!("/blobs/sha256:{d}"))).then_some(hold)
        }),
    )
}

/// How many chart archives (layers) the registry served through `proxy`.
fn layer_downloads(registry: &Registry, proxy: &Proxy) -> usize {
    let layers = registry.chart_digests.lock().unwrap().clone();
    proxy
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET ") && layers.iter().any(|d| r.contains(&format!("/blobs/sha256:{d}"))))
        .count()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_oci_chart_renders_as_the_helm_cli_renders_it() {
    let registry = registry_with_raw();
    let ws = Workspace::new();
    ws.write("helmfile.yaml.gotmpl", &format!("releases:\n{}", release("foo", &registry.url("myrepo/raw"), "0.1.0")));
    let stdout = assert_success!(ws.run(&["--oci-plain-http", "template"]));

    // The oracle: helm template of the same reference with the same values.
    ws.write("values.yaml", "templates:\n- |\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: {{ .Release.Name }}\n  data:\n    version: {{ .Chart.Version }}\n");
    let helm = Command::new(helm_cli())
        .args([
            "template",
            "foo",
            &registry.url("myrepo/raw"),
            "--version",
            "0.1.0",
            "--plain-http",
            "-f",
            "values.yaml",
        ])
        .current_dir(ws.path())
        .env("HELM_CONFIG_HOME", ws.path().join(".oracle/config"))
        .env("HELM_CACHE_HOME", ws.path().join(".oracle/cache"))
        .output()
        .unwrap();
    assert!(helm.status.success(), "{}", String::from_utf8_lossy(&helm.stderr));
    assert_eq!(String::from_utf8(helm.stdout).unwrap() + "\n", stdout);
    assert!(stdout.contains("version: 0.1.0"));
}

#[test]
fn an_oci_repository_resolves_constraints_and_pulls_each_version_once() {
    let registry = registry_with_raw();
    let proxy = proxied(&registry, Duration::ZERO);
    let ws = Workspace::new();
    let repo = format!("repositories:\n- name: myrepo\n  url: {}/myrepo\n  oci: true\n  plainHttp: true\n", proxy.host);
    let releases = [
        release("a", "myrepo/raw", "~0.0"),
        release("b", "myrepo/raw", "0.1.0"),
        release("c", "myrepo/raw", "0.1.0"),
        release("d", "myrepo/raw", ""),
        release("e", "myrepo/raw", "0.1.0"),
    ]
    .concat();
    ws.write("helmfile.yaml.gotmpl", &format!("{repo}releases:\n{releases}"));
    let out = ws.run(&["template"]);
    let stdout = assert_success!(out);
    let versions: Vec<&str> = stdout.lines().filter_map(|l| l.trim().strip_prefix("version: ")).collect();
    assert_eq!(versions, ["0.0.1", "0.1.0", "0.1.0", "0.1.0", "0.1.0"]);
    // Two versions, two downloads from the registry, however many
    // releases use them.
    assert_eq!(layer_downloads(&registry, &proxy), 2, "{:?}", proxy.requests());

    // A second run takes the exact versions from the cache: no pull at all
    // for them, even with the registry gone (the constraints `~0.0` and
    // `*` still ask the registry, so they are pinned here).
    drop(registry);
    let pinned = [release("b", "myrepo/raw", "0.1.0"), release("a", "myrepo/raw", "0.0.1")].concat();
    ws.write("helmfile.yaml.gotmpl", &format!("{repo}releases:\n{pinned}"));
    let before = proxy.requests().len();
    let out = ws.run(&["template"]);
    assert_success!(out);
    assert!(!stderr(&out).contains("Pulling"), "{}", stderr(&out));
    assert_eq!(proxy.requests().len(), before, "nothing reached the registry: {:?}", proxy.requests());
}

#[test]
fn registry_credentials_come_from_the_state_or_the_environment() {
    let registry = Registry::with_auth();
    registry.push_charts("myrepo", &raw_charts());
    let ws = Workspace::new();
    let helmfile = |creds: &str| {
        format!(
            "repositories:\n- name: private-oci\n  url: {}/myrepo\n  oci: true\n  plainHttp: true\n{creds}releases:\n{}",
            registry.host,
            release("foo", "private-oci/raw", "0.1.0")
        )
    };
    ws.write("helmfile.yaml.gotmpl", &helmfile(""));
    let refused = ws.run(&["template"]);
    assert_clean_failure!(refused, "release `foo`", "refused access", "PRIVATE_OCI", "username");

    ws.write("helmfile.yaml.gotmpl", &helmfile(&format!("  username: {USER}\n  password: {PASSWORD}\n")));
    assert_success!(ws.run(&["template"]));

    let other = Workspace::new();
    other.write("helmfile.yaml.gotmpl", &helmfile(""));
    let out = other
        .helmfire()
        .args(["template"])
        .env("PRIVATE_OCI_USERNAME", USER)
        .env("PRIVATE_OCI_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_success!(out);
}

#[test]
fn a_repository_registry_config_holds_its_credentials() {
    use base64::Engine as _;
    let registry = Registry::with_auth();
    registry.push_charts("myrepo", &raw_charts());
    let ws = Workspace::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    ws.write("creds/config.json", &format!("{{\"auths\": {{\"{}\": {{\"auth\": \"{auth}\"}}}}}}", registry.host));
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "repositories:\n- name: private-oci\n  url: {}/myrepo\n  oci: true\n  plainHttp: true\n  registryConfig: creds/config.json\nreleases:\n{}",
            registry.host,
            release("foo", "private-oci/raw", "0.1.0")
        ),
    );
    let out = assert_success!(ws.run(&["template"]));
    assert!(out.contains("name: foo"), "{out}");
}

#[test]
fn registry_faults_are_named_with_what_to_do() {
    let registry = registry_with_raw();
    let ws = Workspace::new();
    let oci = registry.url("myrepo/raw");

    ws.write("helmfile.yaml.gotmpl", &format!("releases:\n{}", release("foo", &oci, "0.2.0")));
    let missing = ws.run(&["--oci-plain-http", "template"]);
    assert_clean_failure!(missing, "release `foo`", "0.2.0", "closest available: 0.1.0, 0.0.1");

    ws.write("helmfile.yaml.gotmpl", &format!("releases:\n{}", release("foo", &oci, "0.1.0")));
    let https = ws.run(&["template"]);
    assert_clean_failure!(https, "release `foo`", "plain HTTP", "--oci-plain-http");

    let port = registry.port;
    drop(registry);
    let gone = ws.run(&["--oci-plain-http", "template"]);
    assert_clean_failure!(gone, "release `foo`", &format!("cannot reach the registry 127.0.0.1:{port}"));
}

#[test]
fn two_processes_share_the_cache_and_download_once() {
    let registry = registry_with_raw();
    // The download is held long enough for the second process to start
    // while the first is still inside it.
    let proxy = proxied(&registry, Duration::from_secs(2));
    let ws = Workspace::new();
    let url = format!("oci://{}/myrepo/raw", proxy.host);
    ws.write("helmfile.yaml.gotmpl", &format!("releases:\n{}", release("foo", &url, "0.1.0")));
    let cache = ws.path().join("shared-cache");
    let spawn = || {
        ws.helmfire()
            .args(["--oci-plain-http", "template"])
            .env("HELMFIRE_CACHE_HOME", &cache)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while layer_downloads(&registry, &proxy) == 0 {
        assert!(std::time::Instant::now() < deadline, "the first process never started its download");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = spawn();
    let outputs = [first.wait_with_output().unwrap(), second.wait_with_output().unwrap()];
    for out in &outputs {
        assert_success!(out);
    }
    assert_eq!(
        layer_downloads(&registry, &proxy),
        1,
        "one process downloads, the other waits for it and reads the cache: {:?}",
        proxy.requests()
    );
    let info = ws.helmfire().args(["cache", "info", "-o", "json"]).env("HELMFIRE_CACHE_HOME", &cache).output().unwrap();
    let info: serde_json::Value = serde_json::from_str(&assert_success!(info)).unwrap();
    assert_eq!(info["charts"], 1);
    assert_eq!(info["archives"], 1);
    assert_eq!(info["temp_files"], 0);
    assert_eq!(info["entries"][0]["version"], "0.1.0");

    let cleanup = ws.helmfire().args(["cache", "cleanup"]).env("HELMFIRE_CACHE_HOME", &cache).output().unwrap();
    assert_success!(cleanup);
    assert!(stderr(&cleanup).contains("Removed 1 chart archives"), "{}", stderr(&cleanup));
    let blobs = std::fs::read_dir(cache.join("blobs/sha256")).unwrap().count();
    assert_eq!(blobs, 0);
}

#[test]
fn deps_writes_a_helmfile_lock_file_that_other_commands_follow() {
    let registry = registry_with_raw();
    let repo = ChartRepo::serve(&raw_charts(), None);
    let ws = Workspace::new();
    let state = |constraint: &str| {
        format!(
            "repositories:\n- name: oci\n  url: {}/myrepo\n  oci: true\n  plainHttp: true\n- name: http\n  url: {}\nreleases:\n{}{}",
            registry.host,
            repo.url,
            release("from-oci", "oci/raw", constraint),
            release("from-http", "http/raw", constraint),
        )
    };
    ws.write("helmfile.yaml.gotmpl", &state("~0.0"));
    let out = ws.run(&["deps"]);
    assert_success!(out);
    let lock = std::fs::read_to_string(ws.path().join("helmfile.lock")).unwrap();
    let expected_deps = format!(
        "dependencies:\n  - name: raw\n    repository: oci://{}/myrepo\n    version: 0.0.1\n  - name: raw\n    repository: {}\n    version: 0.0.1\ndigest: sha256:",
        registry.host, repo.url
    );
    assert!(lock.starts_with(&format!("version: {}\n", env!("CARGO_PKG_VERSION"))), "{lock}");
    assert!(lock.contains(&expected_deps), "{lock}");
    assert!(lock.contains("\ngenerated: \""), "{lock}");

    // The state now allows any version; the lock still pins 0.0.1.
    ws.write("helmfile.yaml.gotmpl", &state(""));
    let stdout = assert_success!(ws.run(&["template"]));
    assert_eq!(stdout.matches("version: 0.0.1").count(), 2, "{stdout}");

    // A constraint the lock cannot satisfy: the lock is out of date.
    ws.write("helmfile.yaml.gotmpl", &state(">=0.1.0"));
    let stale = ws.run(&["template"]);
    assert_clean_failure!(stale, "release `from-oci`", "helmfile.lock is out of date", "only 0.0.1", "helmfire deps");

    // `deps` again brings it up to date.
    assert_success!(ws.run(&["deps"]));
    let stdout = assert_success!(ws.run(&["template"]));
    assert_eq!(stdout.matches("version: 0.1.0").count(), 2, "{stdout}");
}

#[test]
fn a_templated_lock_file_path_is_honoured() {
    let repo = ChartRepo::serve(&raw_charts(), None);
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "repositories:\n- name: myrepo\n  url: {}\nenvironments:\n  prod:\n---\nlockFilePath: locks/{{{{ .Environment.Name }}}}.lock\nreleases:\n{}",
            repo.url,
            release("raw", "myrepo/raw", "")
        ),
    );
    // A lock file as helmfile writes it, pinning the older version.
    ws.write("locks/prod.lock", "version: 1.8.0\ndependencies:\n  - name: raw\n    repository: http://elsewhere/\n    version: 0.0.1\ndigest: sha256:0\ngenerated: \"2022-10-12T20:17:15.98786845+03:00\"\n");
    let stdout = assert_success!(ws.run(&["-e", "prod", "template"]));
    assert!(stdout.contains("version: 0.0.1"), "{stdout}");
    let stdout = assert_success!(ws.run(&["template"]));
    assert!(stdout.contains("version: 0.1.0"), "without the environment there is no lock file: {stdout}");
}

#[test]
fn fetched_charts_render_later_without_the_network() {
    let registry = registry_with_raw();
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "releases:\n{}{}",
            release("foo", &registry.url("myrepo/raw"), "~0.1"),
            release("bar", &registry.url("myrepo/raw"), "0.0.1")
        ),
    );
    let out = ws.run(&["--oci-plain-http", "fetch", "--output-dir", "charts"]);
    assert_success!(out);
    for (release, version) in [("foo", "~0.1"), ("bar", "0.0.1")] {
        let chart_yaml = ws.path().join(format!("charts/{release}/raw/{version}/raw/Chart.yaml"));
        assert!(chart_yaml.is_file(), "{} is missing; stderr:\n{}", chart_yaml.display(), stderr(&out));
    }
    drop(registry);
    // No registry: --skip-deps resolves `~0.1` from the cache.
    let stdout = assert_success!(ws.run(&["--oci-plain-http", "template", "--skip-deps"]));
    let versions: Vec<&str> = stdout.lines().filter_map(|l| l.trim().strip_prefix("version: ")).collect();
    assert_eq!(versions, ["0.1.0", "0.0.1"]);
}

#[test]
fn an_oci_dependency_of_a_release_is_pulled_into_its_wrapper_chart() {
    let registry = registry_with_raw();
    let ws = Workspace::new();
    let local: &Path = &raw_charts()[1];
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "releases:\n- name: foo\n  chart: {}\n  values:\n  - dep:\n      templates:\n      - |\n        kind: ConfigMap\n        metadata:\n          name: from-dep\n  dependencies:\n  - alias: dep\n    chart: {}\n    version: 0.0.1\n",
            local.display(),
            registry.url("myrepo/raw")
        ),
    );
    let stdout = assert_success!(ws.run(&["--oci-plain-http", "template"]));
    assert!(
        stdout.contains(
            "# Source: raw/charts/dep/templates/resources.yaml\nkind: ConfigMap\nmetadata:\n  name: from-dep"
        ),
        "{stdout}"
    );
}

#[test]
fn tls_registries_take_a_ca_file_or_skip_verification_and_say_so_otherwise() {
    let registry = Registry::with_tls();
    registry.push_charts("myrepo", &raw_charts());
    let ws = Workspace::new();
    let state = |tls: &str| {
        format!(
            "repositories:\n- name: secure\n  url: {}/myrepo\n  oci: true\n{tls}releases:\n{}",
            registry.host,
            release("foo", "secure/raw", "0.1.0")
        )
    };
    ws.write("helmfile.yaml.gotmpl", &state(""));
    let refused = ws.run(&["template"]);
    assert_clean_failure!(refused, "release `foo`", "TLS with the registry", "caFile");

    ws.write("helmfile.yaml.gotmpl", &state(&format!("  caFile: {}\n", registry.ca_file().display())));
    let stdout = assert_success!(ws.run(&["template"]));
    assert!(stdout.contains("version: 0.1.0"), "{stdout}");

    let other = Workspace::new();
    other.write("helmfile.yaml.gotmpl", &state("  skipTLSVerify: true\n"));
    assert_success!(other.run(&["template"]));
}

#[test]
fn fetch_write_output_prints_the_state_with_local_charts_as_helmfile_does() {
    let repo = ChartRepo::serve(&raw_charts(), None);
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "repositories:\n- name: myrepo\n  url: {}\nreleases:\n{}- name: local\n  chart: {}\n",
            repo.url,
            release("raw", "myrepo/raw", "0.1.0"),
            chart("files").display()
        ),
    );
    let args = ["fetch", "--output-dir", "o", "--write-output"];
    let ours = assert_success!(ws.run(&args));
    let theirs = crate::util::helmfile_state_output(&crate::util::helmfile(ws.path(), &args));
    assert_eq!(theirs, ours);
    assert!(ours.contains("chart: o/raw/myrepo/raw/0.1.0/raw\n"), "{ours}");
    assert!(ws.path().join("o/raw/myrepo/raw/0.1.0/raw/Chart.yaml").is_file());
    // The printed state renders offline from the fetched chart.
    ws.write("fetched.yaml", &ours);
    assert_success!(ws.run(&["-f", "fetched.yaml", "template", "--skip-deps"]));

    ws.write("sub.yaml", "releases: []\n");
    ws.write("parent.yaml", "helmfiles: [sub.yaml]\n---\nreleases: []\n");
    assert_clean_failure!(ws.run(&["-f", "parent.yaml", "fetch", "--output-dir", "o", "--write-output"]), "-f");
}
