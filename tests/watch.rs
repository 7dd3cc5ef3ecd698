//! `apply --watch` against a real API server: editing one release's values
//! upgrades only that release (revisions prove it), a broken state file
//! keeps the last good state, and Ctrl-C stops cleanly.

use std::process::{Child, Command, Stdio};

use crate::cluster::{kubeconfig, namespace, revision};
use crate::util::{StderrLines, Workspace, chart};

struct Watching {
    child: Child,
    stderr: StderrLines,
}

impl Watching {
    fn start(ws: &Workspace, args: &[&str]) -> Watching {
        let mut child = ws
            .helmfire()
            .env("KUBECONFIG", kubeconfig())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = StderrLines::of(&mut child);
        Watching { child, stderr }
    }

    /// Waits for a stderr line containing `needle`.
    fn expect(&mut self, needle: &str) -> String {
        self.stderr.expect(needle, 60)
    }

    fn interrupt(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        self.expect("stopped watching");
        self.child.wait().unwrap()
    }
}

/// A test that fails must not leave a watcher running.
impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn editing_values_upgrades_only_the_release_they_belong_to() {
    let ns = namespace("watch");
    let ws = Workspace::new();
    let schema = chart("schema");
    let helmfile = format!(
        "releases:\n- name: web\n  namespace: {ns}\n  chart: {}\n  values: [web.yaml]\n- name: api\n  namespace: {ns}\n  chart: {}\n  values: [api.yaml]\n",
        schema.display(),
        schema.display()
    );
    ws.write("helmfile.yaml", &helmfile);
    ws.write("web.yaml", "mode: standard\n");
    ws.write("api.yaml", "mode: standard\n");
    let mut watch = Watching::start(&ws, &["apply", "--watch"]);
    watch.expect("watching");
    assert_eq!((revision(&ws, &ns, "web"), revision(&ws, &ns, "api")), (1, 1));

    ws.write("web.yaml", "replicas: 2\n");
    let line = watch.expect("web.yaml changed");
    assert!(line.contains("-> web: applied"), "{line}");
    assert_eq!((revision(&ws, &ns, "web"), revision(&ws, &ns, "api")), (2, 1), "only web was upgraded");

    // A file the state does not depend on (a log written beside it) is
    // not a change at all; an edit that alters no release's desired state
    // deploys nothing.
    ws.write("notes.txt", "unrelated\n");
    ws.write("daemon.log", "a line\n");
    ws.write("api.yaml", "# a comment\nmode: standard\n");
    let line = watch.expect("no release changed");
    assert!(line.contains("api.yaml changed") && !line.contains("notes.txt") && !line.contains("daemon.log"), "{line}");

    // A broken state file while editing: reported, the last good state kept.
    ws.write("helmfile.yaml", "releases:\n- name: web\n  chartt: x\n");
    let line = watch.expect("keeping the last good state");
    assert!(line.contains("chartt"), "{line}");
    ws.write("helmfile.yaml", &helmfile);
    watch.expect("no release changed");
    assert_eq!((revision(&ws, &ns, "web"), revision(&ws, &ns, "api")), (2, 1));

    let status = watch.interrupt();
    assert_eq!(status.code(), Some(130), "Ctrl-C ends watching with 128 + SIGINT, as shells expect: {status}");
}
