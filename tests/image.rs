//! The container image, built with no container engine (scripts/build-image,
//! crane built from Go modules), pushed to a real registry on loopback,
//! pulled back, and its binary run from the pulled layer as the image's
//! user would run it. Only for a static build: a dynamic binary cannot run
//! in a `FROM scratch` image (scripts/image-root refuses it).

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::Command;

use crate::oci_registry::Registry;
use crate::util::{Workspace, copy_dir, host_program, repo_root};

/// crane, as scripts/build-image builds it (it is built on the first run).
fn crane() -> std::path::PathBuf {
    let cache = std::env::var_os("HELMFIRE_BUILD_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".cache/helmfire-build"));
    cache.join("crane-v0.22.1/crane")
}

#[test]
fn the_image_is_built_without_an_engine_pushed_pulled_and_runs_as_its_user() {
    let ws = Workspace::new();
    let registry = Registry::start();
    let reference = format!("{}/helmfire:test", registry.host);

    // The test binary carries debug information; the image gets it stripped,
    // as a release build is.
    let binary = ws.path().join("helmfire");
    let strip = Command::new("strip").arg("-o").arg(&binary).arg(env!("CARGO_BIN_EXE_helmfire")).status().unwrap();
    assert!(strip.success(), "strip failed");

    let built = Command::new(repo_root().join("scripts/build-image"))
        .arg(&reference)
        .arg("--binary")
        .arg(&binary)
        .arg("--insecure")
        .output()
        .unwrap();
    let digest = assert_success!(built);
    assert!(digest.trim().contains("@sha256:"), "build-image printed no digest: {digest}");

    // The configuration: entrypoint, non-root user, platform.
    let config = Command::new(crane()).args(["--insecure", "config", &reference]).output().unwrap();
    let config: serde_json::Value = serde_json::from_str(&assert_success!(config)).unwrap();
    assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/usr/local/bin/helmfire"]), "{config}");
    assert_eq!(config["config"]["User"], "65532:65532", "{config}");
    assert_eq!(config["os"], "linux", "{config}");

    // Pulled back: the filesystem of the image, flattened.
    let rootfs = ws.path().join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    let export =
        Command::new(crane()).args(["--insecure", "export", &reference]).arg(ws.path().join("fs.tar")).status();
    assert!(export.unwrap().success(), "crane export failed");
    let untar = Command::new("tar").arg("-xf").arg(ws.path().join("fs.tar")).arg("-C").arg(&rootfs).status();
    assert!(untar.unwrap().success());
    for file in [
        "etc/ssl/certs/ca-certificates.crt",
        "usr/share/doc/helmfire/LICENSE",
        "usr/share/doc/helmfire/THIRD_PARTY_NOTICES.md",
    ] {
        assert!(rootfs.join(file).is_file(), "the image has no /{file}");
    }
    let notices = std::fs::read_to_string(rootfs.join("usr/share/doc/helmfire/THIRD_PARTY_NOTICES.md")).unwrap();
    assert_eq!(notices, std::fs::read_to_string(repo_root().join("THIRD_PARTY_NOTICES.md")).unwrap());

    // Run as the image would: its user, its HOME, nothing else of the host.
    copy_dir(&repo_root().join("examples/quickstart"), &rootfs.join("home/helmfire/example"));
    let run = |args: &[&str]| {
        Command::new(host_program("chroot"))
            .arg("--userspec=65532:65532")
            .arg(&rootfs)
            .arg("/usr/local/bin/helmfire")
            .args(args)
            .env_clear()
            .env("HOME", "/home/helmfire")
            .env("NO_COLOR", "1")
            .output()
            .expect("run chroot (this test needs root)")
    };
    let version = assert_success!(run(&["version"]));
    assert!(version.contains("(static binary)"), "{version}");
    let rendered = assert_success!(run(&["--file", "/home/helmfire/example/helmfile.yaml", "template"]));
    assert!(rendered.contains("name: frontend-hello"), "{rendered}");
    // HOME, where Helm's and helmfire's caches go, belongs to that user.
    let home = std::fs::metadata(rootfs.join("home/helmfire")).unwrap();
    assert_eq!((home.uid(), home.gid()), (65532, 65532), "HOME is not the image user's");
}
