//! A real OCI registry on loopback: the CNCF distribution registry, built
//! from Go modules once (cached outside the repository, like the helm CLI
//! oracle), started per test on a free port, with charts packaged and
//! pushed by the helm CLI oracle. Optionally with basic auth (htpasswd).

use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sha2::Digest as _;

use crate::util::{helm_cli, test_cache};

/// The distribution registry's version; go.sum of helm v4 already names it.
const REGISTRY_VERSION: &str = "v3.1.1";

/// The user and password of a registry started with [`Registry::with_auth`].
pub const USER: &str = "helmfire";
pub const PASSWORD: &str = "s3cret";
/// `PASSWORD`, bcrypt-hashed (distribution's htpasswd accepts only bcrypt).
const PASSWORD_BCRYPT: &str = "$2b$12$kKhdWnvf8DAOoqKJ7jl4euwQjdvKGIJxKRyurEil3BlxVNxeiqmyW";

/// A running registry; stopped when dropped.
pub struct Registry {
    /// `127.0.0.1:PORT`
    pub host: String,
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
    auth: bool,
    tls: bool,
    /// sha256 digests of the chart archives pushed (the layers a pull
    /// downloads).
    pub chart_digests: std::sync::Mutex<Vec<String>>,
}

impl Registry {
    /// An open registry (plain HTTP, no auth).
    pub fn start() -> Registry {
        Self::start_with(false)
    }

    /// A registry that wants `USER` / `PASSWORD`.
    pub fn with_auth() -> Registry {
        Self::start_with(true)
    }

    /// A registry serving HTTPS with a self-signed certificate for
    /// 127.0.0.1 (made with openssl); `ca_file()` is the certificate.
    pub fn with_tls() -> Registry {
        Self::start_with_options(false, true)
    }

    /// The CA bundle of a [`Registry::with_tls`] registry.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }

    fn start_with(auth: bool) -> Registry {
        Self::start_with_options(auth, false)
    }

    fn start_with_options(auth: bool, tls: bool) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if auth {
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{USER}:{PASSWORD_BCRYPT}\n")).unwrap();
            config += &format!("auth:\n  htpasswd:\n    realm: helmfire-test\n    path: {}\n", htpasswd.display());
        }
        if tls {
            let (crt, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
            let out = Command::new("openssl")
                .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
                .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&crt)
                .output()
                .expect("run openssl (the test suite needs it)");
            assert!(out.status.success(), "openssl failed: {}", String::from_utf8_lossy(&out.stderr));
            config = config.replace(
                &format!("  addr: 127.0.0.1:{port}\n"),
                &format!(
                    "  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {}\n    key: {}\n",
                    crt.display(),
                    key.display()
                ),
            );
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(registry_binary())
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the OCI registry");
        let mut registry = Registry {
            host: format!("127.0.0.1:{port}"),
            port,
            child,
            dir,
            auth,
            tls,
            chart_digests: std::sync::Mutex::new(Vec::new()),
        };
        registry.wait_ready();
        registry
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(mut stderr) = self.child.stderr.take() {
                    let _ = stderr.read_to_string(&mut err);
                }
                panic!("the OCI registry exited ({status}): {err}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the OCI registry did not listen on {} within 20 s", self.host);
    }

    /// `oci://127.0.0.1:PORT/<path>`
    pub fn url(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.host)
    }

    /// Packages each chart directory and pushes it to `oci://HOST/<repo>`.
    pub fn push_charts(&self, repo: &str, charts: &[PathBuf]) {
        let packages = self.dir.path().join("packages");
        std::fs::create_dir_all(&packages).unwrap();
        for chart in charts {
            self.helm(&["package", chart.to_str().unwrap(), "-d", packages.to_str().unwrap()]);
        }
        let transport: Vec<String> = if self.tls {
            vec!["--ca-file".into(), self.ca_file().display().to_string()]
        } else {
            vec!["--plain-http".into()]
        };
        if self.auth {
            let mut login = vec!["registry", "login", &self.host, "-u", USER, "-p", PASSWORD];
            login.extend(transport.iter().map(String::as_str));
            self.helm(&login);
        }
        let mut archives: Vec<PathBuf> = std::fs::read_dir(&packages)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tgz"))
            .collect();
        archives.sort();
        for archive in archives {
            let mut push = vec!["push", archive.to_str().unwrap()];
            let url = self.url(repo);
            push.push(&url);
            push.extend(transport.iter().map(String::as_str));
            self.helm(&push);
            let digest = sha2::Sha256::digest(std::fs::read(&archive).unwrap());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            self.chart_digests.lock().unwrap().push(hex);
            std::fs::remove_file(&archive).unwrap();
        }
    }

    fn helm(&self, args: &[&str]) {
        let home = self.dir.path().join("helm");
        let out = Command::new(helm_cli())
            .args(args)
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_DATA_HOME", home.join("data"))
            .output()
            .expect("run the helm CLI oracle");
        assert!(out.status.success(), "helm {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port()
}

/// The registry binary, built with `go install` once per version.
fn registry_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let dir = test_cache().join(format!("registry-{REGISTRY_VERSION}"));
        let binary = dir.join("registry");
        if binary.is_file() {
            return binary;
        }
        let scratch = tempfile::tempdir().unwrap();
        let status = Command::new("go")
            .args(["install", "-trimpath"])
            .arg(format!("github.com/distribution/distribution/v3/cmd/registry@{REGISTRY_VERSION}"))
            .current_dir(scratch.path())
            .env("GOBIN", &dir)
            .env("CGO_ENABLED", "0")
            .status()
            .expect("run go install for the OCI registry");
        assert!(status.success(), "building the OCI registry failed");
        binary
    })
}
