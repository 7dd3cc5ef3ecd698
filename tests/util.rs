//! Shared test helpers: a scratch workspace, the helmfire binary, fixture
//! charts and the helm CLI oracle.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The root of the repository.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture chart directory.
pub fn chart(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/charts").join(name)
}

/// A scratch directory with files in it, where helmfire runs.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace { dir: tempfile::tempdir().expect("create a temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A copy of a fixture chart inside the workspace, for tests whose
    /// commands write into the chart (a dependency build refreshes its
    /// charts/ directory): they never race each other over the fixture, and
    /// the repository stays clean.
    pub fn chart_copy(&self, name: &str) -> PathBuf {
        let target = self.dir.path().join("charts").join(name);
        copy_dir(&chart(name), &target);
        target
    }

    /// Writes a file, creating directories.
    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    /// A helmfire command running in the workspace, with no helm on PATH.
    pub fn helmfire(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_helmfire"));
        cmd.current_dir(self.dir.path())
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            // A helm configuration of the workspace's own, so the machine's
            // repositories and caches never leak into a test.
            .env("HELM_CONFIG_HOME", self.dir.path().join(".helm/config"))
            .env("HELM_CACHE_HOME", self.dir.path().join(".helm/cache"))
            .env("HELM_DATA_HOME", self.dir.path().join(".helm/data"))
            // Its own chart cache too.
            .env("HELMFIRE_CACHE_HOME", self.dir.path().join(".helmfire-cache"))
            .env_remove("HELM_REPOSITORY_CONFIG")
            .env_remove("HELM_REPOSITORY_CACHE")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs helmfire with these arguments.
    pub fn run(&self, args: &[&str]) -> Output {
        self.helmfire().args(args).output().expect("run helmfire")
    }
}

/// A program of the host, found on its PATH (or in the sbin directories),
/// for commands whose own environment is cleared, PATH included.
pub fn host_program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("`{name}` is not installed; this test needs it"))
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The helm v4 CLI of the version go-shim embeds, built from Go modules once
/// and cached outside the repository (HELMFIRE_TEST_CACHE, default
/// ~/.cache/helmfire-test), keyed by version.
pub fn helm_cli() -> &'static Path {
    static HELM: OnceLock<PathBuf> = OnceLock::new();
    HELM.get_or_init(|| {
        let version = embedded_helm_version();
        let dir = test_cache().join(format!("helm-{version}"));
        let binary = dir.join("helm");
        if binary.is_file() {
            return binary;
        }
        let scratch = tempfile::tempdir().unwrap();
        let status = Command::new("go")
            .args(["install", "-trimpath", "-ldflags"])
            .arg(format!("-X helm.sh/helm/v4/internal/version.version={version}"))
            .arg(format!("helm.sh/helm/v4/cmd/helm@{version}"))
            .current_dir(scratch.path())
            .env("GOBIN", &dir)
            .env("CGO_ENABLED", "0")
            .status()
            .expect("run go install for the helm CLI oracle");
        assert!(status.success(), "building the helm CLI oracle failed");
        binary
    })
}

/// The helm v3 CLI (the last helm 3 release line), built from Go modules
/// once and cached like the v4 one: releases made by helm 3 must be
/// upgradable by helmfire.
pub fn helm3_cli() -> &'static Path {
    static HELM3: OnceLock<PathBuf> = OnceLock::new();
    HELM3.get_or_init(|| go_tool("helm-v3.22.0", "helm.sh/helm/v3/cmd/helm@v3.22.0", "helm"))
}

/// The sops CLI of the sops library go-shim embeds, to encrypt fixtures
/// the way users do.
pub fn sops_cli() -> &'static Path {
    static SOPS: OnceLock<PathBuf> = OnceLock::new();
    SOPS.get_or_init(|| {
        let version = go_mod_version("github.com/getsops/sops/v3");
        go_tool(&format!("sops-{version}"), &format!("github.com/getsops/sops/v3/cmd/sops@{version}"), "sops")
    })
}

/// age-keygen of the age library go-shim embeds.
pub fn age_keygen() -> &'static Path {
    static AGE: OnceLock<PathBuf> = OnceLock::new();
    AGE.get_or_init(|| {
        let version = go_mod_version("filippo.io/age");
        go_tool(&format!("age-{version}"), &format!("filippo.io/age/cmd/age-keygen@{version}"), "age-keygen")
    })
}

/// The kustomize CLI of the kustomize library go-shim embeds: helmfile's
/// chartify runs it, so the helmfile oracle needs it for patches and
/// transformers.
pub fn kustomize_cli() -> &'static Path {
    static KUSTOMIZE: OnceLock<PathBuf> = OnceLock::new();
    KUSTOMIZE.get_or_init(|| go_tool("kustomize-v5.8.1", "sigs.k8s.io/kustomize/kustomize/v5@v5.8.1", "kustomize"))
}

/// `go install`s `package` (module@version) once into the test cache
/// directory `dir` and returns its `binary`.
fn go_tool(dir: &str, package: &str, binary: &str) -> PathBuf {
    let dir = test_cache().join(dir);
    let path = dir.join(binary);
    if path.is_file() {
        return path;
    }
    let scratch = tempfile::tempdir().unwrap();
    let status = Command::new("go")
        .args(["install", "-trimpath", package])
        .current_dir(scratch.path())
        .env("GOBIN", &dir)
        .env("CGO_ENABLED", "0")
        .status()
        .unwrap_or_else(|e| panic!("run go install {package}: {e}"));
    assert!(status.success(), "building {package} failed");
    path
}

/// helmfile v1.8.0 (the newest v1), the specification helmfire follows,
/// built from Go modules by bench/build-peers once and cached outside the
/// repository beside the helm oracle. Tests run it with the helm CLI oracle
/// as its helm binary.
pub fn helmfile_cli() -> &'static Path {
    static HELMFILE: OnceLock<PathBuf> = OnceLock::new();
    HELMFILE.get_or_init(|| {
        let binary = test_cache().join("helmfile-v1.8.0/helmfile");
        if binary.is_file() {
            return binary;
        }
        // build-peers copies the helm oracle from the test cache when it is
        // there; build it first so it is not built twice.
        helm_cli();
        let out = Command::new(repo_root().join("bench/build-peers"))
            .env("HELMFIRE_BENCH_CACHE", test_cache())
            .stderr(Stdio::inherit())
            .output()
            .expect("run bench/build-peers for the helmfile oracle");
        assert!(out.status.success(), "building the helmfile oracle failed");
        assert!(binary.is_file(), "bench/build-peers did not produce {}", binary.display());
        binary
    })
}

/// Runs helmfile (the oracle) in `dir` with the helm oracle as its helm.
pub fn helmfile(dir: &Path, args: &[&str]) -> Output {
    helmfile_command(dir).args(args).output().expect("run helmfile")
}

/// The helmfile oracle as a command in `dir`, with the helm oracle as its
/// helm and a helm configuration of its own; add arguments and variables.
pub fn helmfile_command(dir: &Path) -> Command {
    let helm = helm_cli();
    let scratch = dir.join(".helmfile-oracle");
    std::fs::create_dir_all(scratch.join("tmp")).unwrap();
    let mut cmd = Command::new(helmfile_cli());
    cmd.arg("--helm-binary")
        .arg(helm)
        .current_dir(dir)
        .env("PATH", format!("{}:/usr/bin:/bin", helm.parent().unwrap().display()))
        .env("NO_COLOR", "1")
        .env("HELM_CONFIG_HOME", scratch.join("config"))
        .env("HELM_CACHE_HOME", scratch.join("cache"))
        .env("HELM_DATA_HOME", scratch.join("data"))
        .env("HELMFILE_TEMPDIR", scratch.join("tmp"))
        // chartify (linked into helmfile) makes its work directories in
        // os.TempDir() and leaves them behind; keep them in the scratch.
        .env("TMPDIR", scratch.join("tmp"))
        .env_remove("HELM_REPOSITORY_CONFIG")
        .stdin(Stdio::null());
    cmd
}

/// helmfile's printed state (`build`, `fetch --write-output`), with the
/// `helmBinary:` line it writes for the oracle's helm path made the default
/// `helm` helmfire prints, so the rest compares byte for byte.
pub fn helmfile_state_output(out: &Output) -> String {
    assert!(out.status.success(), "helmfile failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| if l.starts_with("helmBinary: ") { "helmBinary: helm" } else { l })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// helm.sh/helm/v4's version in go-shim/go.mod.
pub fn embedded_helm_version() -> String {
    go_mod_version("helm.sh/helm/v4")
}

/// The version of `module` go-shim/go.mod requires.
pub fn go_mod_version(module: &str) -> String {
    let go_mod = std::fs::read_to_string(repo_root().join("go-shim/go.mod")).unwrap();
    go_mod
        .lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            let first = w.next()?;
            let name = if first == "require" { w.next()? } else { first };
            (name == module).then(|| w.next().map(str::to_string)).flatten()
        })
        .unwrap_or_else(|| panic!("go-shim/go.mod requires {module}"))
}

pub fn test_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("HELMFIRE_TEST_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache/helmfire-test")
}

/// Runs the helm CLI oracle in `dir` and returns its stdout.
pub fn helm_template(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(helm_cli())
        .arg("template")
        .args(args)
        .current_dir(dir)
        .env("HELM_CONFIG_HOME", dir.join(".helm/config"))
        .env("HELM_CACHE_HOME", dir.join(".helm/cache"))
        .env("HELM_DATA_HOME", dir.join(".helm/data"))
        .output()
        .expect("run the helm CLI oracle");
    assert!(output.status.success(), "helm template failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The stderr of a long-running helmfire (watch, daemon), line by line.
pub struct StderrLines {
    lines: std::sync::mpsc::Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl StderrLines {
    /// Reads the child's stderr on a thread.
    pub fn of(child: &mut std::process::Child) -> StderrLines {
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        StderrLines { lines, seen: Vec::new() }
    }

    /// Waits (up to `seconds`) for a line containing `needle`.
    pub fn expect(&mut self, needle: &str, seconds: u64) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while std::time::Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(std::time::Duration::from_millis(200)) {
                self.seen.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
        }
        panic!("no line with {needle:?} within {seconds} s; stderr so far:\n{}", self.seen.join("\n"));
    }
}
