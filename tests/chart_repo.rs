//! A real HTTP chart repository on loopback: fixture charts packaged and
//! indexed by the helm CLI oracle, served by a small HTTP server, with
//! optional basic auth.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use base64::Engine as _;

use crate::util::helm_cli;

/// A chart repository serving packaged charts until dropped.
pub struct ChartRepo {
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    stop: Arc<AtomicBool>,
    port: u16,
    server: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl ChartRepo {
    /// Packages `charts` and serves them, requiring `auth` when given.
    pub fn serve(charts: &[PathBuf], auth: Option<(&str, &str)>) -> ChartRepo {
        Self::serve_on(charts, auth, 0)
    }

    /// Same, with an index whose chart URLs are relative, so that a client
    /// given another address for the repository (a proxy) downloads
    /// through it too.
    pub fn serve_with_relative_urls(charts: &[PathBuf]) -> ChartRepo {
        Self::serve_indexed(charts, None, 0, false)
    }

    /// Same, on a fixed port (the conformance suite names its ports).
    pub fn serve_on(charts: &[PathBuf], auth: Option<(&str, &str)>, port: u16) -> ChartRepo {
        Self::serve_indexed(charts, auth, port, true)
    }

    fn serve_indexed(charts: &[PathBuf], auth: Option<(&str, &str)>, port: u16, absolute_urls: bool) -> ChartRepo {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind a loopback port for the chart repository");
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/");
        for chart in charts {
            helm(dir.path(), &["package", chart.to_str().unwrap(), "-d", dir.path().to_str().unwrap()]);
        }
        let mut index = vec!["repo", "index", dir.path().to_str().unwrap()];
        if absolute_urls {
            index.extend(["--url", &url]);
        }
        helm(dir.path(), &index);

        let expected_auth = auth.map(|(user, pass)| {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
        });
        let stop = Arc::new(AtomicBool::new(false));
        let root = dir.path().to_path_buf();
        let server = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let _ = respond(stream, &root, expected_auth.as_deref());
                    }
                }
            })
        };
        ChartRepo { url, stop, port, server: Some(server), _dir: dir }
    }
}

impl Drop for ChartRepo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

fn helm(dir: &Path, args: &[&str]) {
    let status = Command::new(helm_cli())
        .args(args)
        .env("HELM_CONFIG_HOME", dir.join(".config"))
        .env("HELM_CACHE_HOME", dir.join(".cache"))
        .env("HELM_DATA_HOME", dir.join(".data"))
        .status()
        .unwrap();
    assert!(status.success(), "helm {args:?} failed");
}

fn respond(stream: TcpStream, root: &Path, expected_auth: Option<&str>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/');
    let mut stream = stream;
    if let Some(expected) = expected_auth
        && authorization.as_deref() != Some(expected)
    {
        return stream.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    let file = root.join(path);
    match std::fs::read(&file) {
        Ok(body) if !path.contains("..") && file.is_file() => {
            write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
            stream.write_all(&body)
        }
        _ => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    }
}
