//! A TCP proxy on loopback that breaks the connection between helmfire and
//! a server on demand, so the fault tests can stop, stall or truncate the
//! API server, a chart repository or a registry while helmfire talks to it
//! (the real servers keep running for the other tests).
//!
//! It forwards bytes both ways without looking at them (TLS passes
//! through), except that it reads what a client sends to pick out the
//! request a truncation rule names (plain HTTP only).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    /// Forward everything.
    #[default]
    Pass,
    /// Close every open connection and refuse (close at once) new ones:
    /// a server that went away.
    Down,
    /// Accept and keep connections, forward nothing: a server that stopped
    /// answering.
    Stall,
}

#[derive(Default)]
struct Rules {
    mode: Mode,
    /// Connections whose first bytes contain this get their response cut
    /// after so many bytes.
    truncate: Option<(String, usize)>,
    open: Vec<TcpStream>,
}

/// A running proxy; it serves until the test process ends.
pub struct FaultProxy {
    /// `127.0.0.1:PORT`, to give clients instead of the server's address.
    pub addr: String,
    rules: Arc<Mutex<Rules>>,
}

impl FaultProxy {
    /// Proxies to `upstream` (`host:port`), forwarding everything until told
    /// otherwise.
    pub fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let rules = Arc::new(Mutex::new(Rules::default()));
        let (shared, upstream) = (Arc::clone(&rules), upstream.to_string());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (rules, upstream) = (Arc::clone(&shared), upstream.clone());
                std::thread::spawn(move || connect(client, &upstream, &rules));
            }
        });
        FaultProxy { addr, rules }
    }

    /// The server goes away: open connections are reset, new ones closed.
    pub fn down(&self) {
        let mut rules = self.rules.lock().unwrap();
        rules.mode = Mode::Down;
        for stream in rules.open.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The server stops answering: connections stay open, nothing passes.
    pub fn stall(&self) {
        self.rules.lock().unwrap().mode = Mode::Stall;
    }

    /// Back to forwarding everything.
    pub fn restore(&self) {
        self.rules.lock().unwrap().mode = Mode::Pass;
    }

    /// Cuts the response to any request whose first bytes contain `needle`
    /// after `bytes` bytes (a server that stops in the middle of a download).
    pub fn truncate_responses(&self, needle: &str, bytes: usize) {
        self.rules.lock().unwrap().truncate = Some((needle.to_string(), bytes));
    }

    fn mode(rules: &Mutex<Rules>) -> Mode {
        rules.lock().unwrap().mode
    }
}

fn connect(client: TcpStream, upstream: &str, rules: &Arc<Mutex<Rules>>) {
    if FaultProxy::mode(rules) == Mode::Down {
        return; // dropped: closed at once
    }
    let Ok(server) = TcpStream::connect(upstream) else { return };
    {
        let mut r = rules.lock().unwrap();
        for stream in [&client, &server] {
            if let Ok(clone) = stream.try_clone() {
                r.open.push(clone);
            }
        }
    }
    let (client_read, server_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    // Where the response stream is cut (bytes since the connection
    // opened), once a request names what a truncation rule looks for.
    let cut_at = Arc::new(Mutex::new(None::<usize>));
    let sent = Arc::new(AtomicUsize::new(0));
    let upward = {
        let (rules, cut_at, sent) = (Arc::clone(rules), Arc::clone(&cut_at), Arc::clone(&sent));
        std::thread::spawn(move || {
            relay(client_read, server_write, &rules, |request| {
                let r = rules.lock().unwrap();
                if let Some((needle, bytes)) = &r.truncate
                    && String::from_utf8_lossy(request).contains(needle.as_str())
                {
                    *cut_at.lock().unwrap() = Some(sent.load(Ordering::SeqCst).saturating_add(*bytes));
                }
            })
        })
    };
    relay_limited(server, client, rules, &cut_at, &sent);
    let _ = upward.join();
}

/// Copies `from` to `to` while the mode lets bytes pass; `seen` sees each
/// chunk (requests, in the client's direction).
fn relay(mut from: TcpStream, mut to: TcpStream, rules: &Mutex<Rules>, seen: impl Fn(&[u8])) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        seen(&buf[..n]);
        if !wait_to_pass(rules) || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// The response direction: as `relay`, cut where a truncation rule says.
fn relay_limited(
    mut from: TcpStream,
    mut to: TcpStream,
    rules: &Mutex<Rules>,
    cut_at: &Mutex<Option<usize>>,
    sent: &AtomicUsize,
) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !wait_to_pass(rules) {
            break;
        }
        let so_far = sent.load(Ordering::SeqCst);
        let allowed = cut_at.lock().unwrap().map_or(n, |cut| n.min(cut.saturating_sub(so_far)));
        if to.write_all(&buf[..allowed]).is_err() {
            break;
        }
        sent.fetch_add(allowed, Ordering::SeqCst);
        if allowed < n {
            let _ = to.shutdown(Shutdown::Both);
            let _ = from.shutdown(Shutdown::Both);
            return;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Holds while the proxy stalls; false once it is down.
fn wait_to_pass(rules: &Mutex<Rules>) -> bool {
    loop {
        match FaultProxy::mode(rules) {
            Mode::Pass => return true,
            Mode::Down => return false,
            Mode::Stall => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
