//! A recording HTTP proxy on loopback, put in front of a test server (the
//! OCI registry) to count the requests that reach it and to slow some of
//! them down: enough to prove "one download" from the server's side and to
//! make two clients overlap for sure. One request per connection
//! (`Connection: close` is forced), HTTP/1.1 only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running proxy; it stops accepting when the test process ends.
pub struct Proxy {
    /// `127.0.0.1:PORT` to give clients instead of the server's.
    pub host: String,
    requests: Arc<Mutex<Vec<String>>>,
}

/// How long to hold a request (by its path) before passing it on.
pub type Delay = Arc<dyn Fn(&str) -> Option<Duration> + Send + Sync>;

impl Proxy {
    /// Proxies to `upstream` (`host:port`), holding requests `delay` names.
    pub fn start(upstream: &str, delay: Delay) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (log, upstream) = (Arc::clone(&requests), upstream.to_string());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (log, upstream, delay) = (Arc::clone(&log), upstream.clone(), Arc::clone(&delay));
                std::thread::spawn(move || {
                    let _ = relay(client, &upstream, &log, delay.as_ref());
                });
            }
        });
        Proxy { host, requests }
    }

    /// The request lines seen so far (`GET /v2/... HTTP/1.1`), in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn relay(
    client: TcpStream,
    upstream: &str,
    log: &Mutex<Vec<String>>,
    delay: &(dyn Fn(&str) -> Option<Duration> + Send + Sync),
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut head = request_line.clone();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") {
            continue;
        }
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let request_line = request_line.trim_end().to_string();
    log.lock().unwrap().push(request_line.clone());
    let path = request_line.split(' ').nth(1).unwrap_or_default();
    if let Some(pause) = delay(path) {
        std::thread::sleep(pause);
    }
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(head.as_bytes())?;
    server.write_all(&body)?;
    let mut client = client;
    std::io::copy(&mut server, &mut client)?;
    client.shutdown(std::net::Shutdown::Both)
}
