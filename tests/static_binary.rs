//! The shipped binary is static (scripts/build-static; scripts/test builds
//! the suite that way): no program interpreter, no shared libraries, and it
//! runs copied alone into an empty root, offline and against a cluster.
//!
//! `helmfire version` says how the binary was linked; that claim is checked
//! against the ELF file in every build.

use std::path::Path;

use crate::util::Workspace;

/// What the ELF file says about dynamic linking.
#[derive(Debug)]
struct ElfLinkage {
    /// A PT_INTERP header: the kernel starts the dynamic loader first.
    interpreter: bool,
    /// DT_NEEDED entries: shared libraries the loader must find.
    needed_libraries: usize,
    /// ET_DYN: position-independent, relocated at every start (a static-pie
    /// binary applies its own relocations before `main`).
    position_independent: bool,
}

/// Reads the program headers (and the dynamic section, when there is one)
/// of a 64-bit little-endian ELF file.
fn elf_linkage(path: &Path) -> ElfLinkage {
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    const DT_NEEDED: u64 = 1;
    const ET_DYN: usize = 3;
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{} is not an ELF file", path.display());
    assert_eq!(bytes[4], 2, "not a 64-bit ELF file");
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let (phoff, phentsize, phnum) = (u64_at(0x20) as usize, u16_at(0x36), u16_at(0x38));
    let mut linkage =
        ElfLinkage { interpreter: false, needed_libraries: 0, position_independent: u16_at(0x10) == ET_DYN };
    for header in (0..phnum).map(|i| phoff + i * phentsize) {
        match u32_at(header) {
            PT_INTERP => linkage.interpreter = true,
            PT_DYNAMIC => {
                let (offset, size) = (u64_at(header + 8) as usize, u64_at(header + 32) as usize);
                let entries = (offset..offset + size).step_by(16);
                linkage.needed_libraries += entries.filter(|&e| u64_at(e) == DT_NEEDED).count();
            }
            _ => {}
        }
    }
    linkage
}

#[test]
fn version_says_how_the_binary_was_linked_and_the_elf_file_agrees() {
    let ws = Workspace::new();
    let out = assert_success!(ws.run(&["version", "--output", "json"]));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let elf = elf_linkage(Path::new(env!("CARGO_BIN_EXE_helmfire")));
    match report["linked"].as_str() {
        // Static and not static-pie (scripts/static-env says why).
        Some("static") => assert!(
            !elf.interpreter && elf.needed_libraries == 0 && !elf.position_independent,
            "says static, but: {elf:?}"
        ),
        Some("dynamic") => assert!(elf.interpreter && elf.needed_libraries > 0, "says dynamic, but: {elf:?}"),
        other => panic!("`version` gives no linkage (linked: {other:?})"),
    }
    let text = assert_success!(ws.run(&["version"]));
    let first_line = text.lines().next().unwrap();
    assert_eq!(
        first_line,
        format!("helmfire {} ({} binary)", env!("CARGO_PKG_VERSION"), report["linked"].as_str().unwrap())
    );
}

/// Runs in an empty root: only the binary, the files a test puts there and
/// nothing of the host (no /etc, /lib, /dev, /proc, no shell).
#[cfg(helmfire_static)]
mod empty_root {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use crate::cluster;
    use crate::remote_sources::GitRepo;
    use crate::util::{Workspace, copy_dir, host_program, repo_root};

    /// A directory holding only the helmfire binary (and what tests add).
    struct EmptyRoot {
        ws: Workspace,
    }

    impl EmptyRoot {
        fn new() -> Self {
            let ws = Workspace::new();
            std::fs::create_dir_all(ws.path().join("root/tmp")).unwrap();
            std::fs::copy(env!("CARGO_BIN_EXE_helmfire"), ws.path().join("root/helmfire")).unwrap();
            EmptyRoot { ws }
        }

        fn root(&self) -> PathBuf {
            self.ws.path().join("root")
        }

        /// `/helmfire ARGS` chrooted into the root (in a user namespace
        /// when not root), with an environment of its own.
        fn run(&self, args: &[&str]) -> Output {
            let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
            let mut cmd = if is_root {
                Command::new(host_program("chroot"))
            } else {
                let mut unshare = Command::new(host_program("unshare"));
                unshare.args(["--user", "--map-root-user"]).arg(host_program("chroot"));
                unshare
            };
            cmd.arg(self.root()).arg("/helmfire").args(args);
            cmd.env_clear()
                .env("HOME", "/tmp")
                .env("NO_COLOR", "1")
                .env("HELMFIRE_CACHE_HOME", "/tmp/cache")
                .env("HELM_CONFIG_HOME", "/tmp/helm/config")
                .env("HELM_CACHE_HOME", "/tmp/helm/cache")
                .env("HELM_DATA_HOME", "/tmp/helm/data");
            if let Some(kubeconfig) = self.kubeconfig() {
                cmd.env("KUBECONFIG", kubeconfig);
            }
            cmd.output().expect("run chroot (the empty-root tests need root or unprivileged user namespaces)")
        }

        fn kubeconfig(&self) -> Option<&'static str> {
            self.root().join("kubeconfig").exists().then_some("/kubeconfig")
        }

        /// The quickstart example, copied to /example.
        fn with_example(self) -> Self {
            copy_dir(&repo_root().join("examples/quickstart"), &self.root().join("example"));
            self
        }

        /// The test cluster's kubeconfig (certificates inline), at /kubeconfig.
        fn with_cluster(self) -> Self {
            std::fs::copy(cluster::kubeconfig(), self.root().join("kubeconfig")).unwrap();
            self
        }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn version_runs_with_nothing_but_the_binary() {
        let root = EmptyRoot::new();
        assert_eq!(entries(&root.root()), ["helmfire", "tmp"]);
        let out = assert_success!(root.run(&["version"]));
        assert!(out.starts_with(&format!("helmfire {} (static binary)\n", env!("CARGO_PKG_VERSION"))), "{out}");
        assert!(out.contains("Helm SDK v4."), "{out}");
    }

    #[test]
    fn template_renders_the_example_in_an_empty_root_as_on_the_host() {
        let root = EmptyRoot::new().with_example();
        let inside = assert_success!(root.run(&["--file", "/example/helmfile.yaml", "template"]));
        assert_renders_as_on_the_host(&inside);
    }

    /// `template` of the example inside the root printed what it prints on
    /// the host.
    fn assert_renders_as_on_the_host(inside: &str) {
        let ws = Workspace::new();
        let host_example = repo_root().join("examples/quickstart/helmfile.yaml");
        let outside = assert_success!(ws.run(&["--file", host_example.to_str().unwrap(), "template"]));
        assert!(inside.contains("name: frontend-hello"), "{inside}");
        assert_eq!(inside, outside, "the example renders differently inside the empty root");
    }

    /// The image has no git command: a `git::` source is cloned in-process
    /// (go-git), at its ref, and renders as the same files do on the host.
    #[test]
    fn a_git_source_is_fetched_in_an_empty_root_without_the_git_command() {
        let root = EmptyRoot::new();
        let repo = GitRepo::new();
        repo.copy_dir(&repo_root().join("examples/quickstart"), "");
        repo.commit("the example");
        repo.git(&["tag", "v1"]);
        repo.write("helmfile.yaml", "releases: []\n");
        repo.commit("nothing on main");
        copy_dir(repo.path(), &root.root().join("repo"));
        assert!(!root.root().join("usr").exists() && !root.root().join("bin").exists());

        let inside = assert_success!(root.run(&["--file", "git::file:///repo@helmfile.yaml?ref=v1", "template"]));
        assert_renders_as_on_the_host(&inside);
    }

    #[test]
    fn sync_and_status_reach_the_cluster_from_an_empty_root() {
        let root = EmptyRoot::new().with_example().with_cluster();
        let ns = cluster::namespace("empty_root");
        std::fs::write(
            root.root().join("example/cluster.yaml"),
            format!("releases:\n- name: lonely\n  namespace: {ns}\n  createNamespace: true\n  chart: ./charts/hello\n"),
        )
        .unwrap();
        assert_success!(root.run(&["--file", "/example/cluster.yaml", "sync"]));
        let status = assert_success!(root.run(&["--file", "/example/cluster.yaml", "status"]));
        assert!(status.contains("lonely") && status.contains("deployed"), "{status}");
        // The helm CLI on the host sees what the binary in the empty root installed.
        assert_eq!(cluster::revision(&root.ws, &ns, "lonely"), 1);
    }
}
