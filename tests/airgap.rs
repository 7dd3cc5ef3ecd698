//! The air-gapped build procedure (scripts/airgap), run for real: the source
//! tree is copied, its dependencies vendored into the copy, and then the copy
//! is checked with empty cargo and Go module caches, `--offline`,
//! `GOPROXY=off` and a proxy that does not exist, so anything the vendored
//! copy lacks fails. The Go c-archive is built in the process (build.rs runs
//! under `cargo check` too). scripts/test runs this module on its own, after
//! the other tests, as it compiles every crate once more.

use std::path::Path;
use std::process::Command;

use crate::util::{copy_dir, repo_root};

/// The files of the working tree git would commit (tracked, and new ones
/// not ignored): what a user archives and carries over.
fn copy_source_tree(to: &Path) {
    let root = repo_root();
    let listed = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(&root)
        .output();
    let listed = listed.expect("run git ls-files");
    assert!(listed.status.success(), "git ls-files failed");
    for rel in listed.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = std::str::from_utf8(rel).unwrap();
        let from = root.join(rel);
        if from.is_dir() {
            copy_dir(&from, &to.join(rel));
        } else if from.exists() {
            std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
            std::fs::copy(&from, to.join(rel)).unwrap();
        }
    }
}

#[test]
fn a_vendored_copy_builds_with_no_network_and_no_caches() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    copy_source_tree(&src);

    let vendor = Command::new(src.join("scripts/airgap")).arg("vendor").output().unwrap();
    assert!(vendor.status.success(), "scripts/airgap vendor failed:\n{}", String::from_utf8_lossy(&vendor.stderr));
    assert!(src.join("vendor/crates").is_dir() && src.join("go-shim/vendor/modules.txt").is_file());

    let empty = |name: &str| {
        let dir = work.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    };
    let check = Command::new(src.join("scripts/airgap"))
        .arg("check")
        .env("CARGO_HOME", empty("cargo-home"))
        .env("CARGO_TARGET_DIR", empty("target"))
        .env("GOMODCACHE", empty("go-modules"))
        // Anything that still tries the network meets a proxy that is not there.
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(check.status.success(), "scripts/airgap check failed offline:\n{}", String::from_utf8_lossy(&check.stderr));
    // Nothing was downloaded into the empty caches.
    let downloaded = std::fs::read_dir(work.path().join("go-modules")).unwrap().count();
    assert_eq!(downloaded, 0, "Go downloaded modules although everything is vendored");
    assert!(!work.path().join("cargo-home/registry").exists(), "cargo used a registry although everything is vendored");
}
