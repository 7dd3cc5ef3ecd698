//! Remote sources (go-getter references): sub-helmfiles, values files,
//! environment values and charts from git repositories the test creates on
//! disk (`git::file://...` at tags and branches), compared with helmfile
//! v1.8.0 itself; and the rule that a source that cannot be fetched is an
//! error naming it, never an empty result.

use std::path::Path;
use std::process::Command;

use crate::util::{Workspace, chart, copy_dir, helmfile_command};

/// A git repository with a tag `v1` and a later commit on `main`.
pub(crate) struct GitRepo {
    dir: tempfile::TempDir,
}

impl GitRepo {
    pub(crate) fn new() -> GitRepo {
        let repo = GitRepo { dir: tempfile::tempdir().unwrap() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("run git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub(crate) fn copy_dir(&self, from: &Path, rel: &str) {
        copy_dir(from, &self.path().join(rel));
    }

    pub(crate) fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// The commit `main` is at.
    pub(crate) fn head(&self) -> String {
        let out = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(self.path()).output().expect("run git");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// `git::file://<repo>@<file>?ref=<rf>`
    pub(crate) fn source(&self, file: &str, rf: &str) -> String {
        format!("git::file://{}@{file}?ref={rf}", self.path().display())
    }
}

/// A repository holding a sub-helmfile, values, environment values and a
/// chart at `v1`, with different values on `main`.
fn repository() -> GitRepo {
    let repo = GitRepo::new();
    repo.copy_dir(&chart("kinds"), "charts/kinds");
    repo.write("env/common.yaml", "region: eu\n");
    repo.write("values/app.yaml", "origin: git-v1\nflag: on\n");
    repo.write("values/app.yaml.gotmpl", "release: '{{ .Release.Name }}'\nregion: '{{ .Values.region }}'\n");
    repo.write(
        "sub/helmfile.yaml",
        "releases:\n- name: from-sub\n  chart: ../charts/kinds\n  values:\n  - ../values/app.yaml\n",
    );
    repo.commit("one");
    repo.git(&["tag", "v1"]);
    repo.write("values/app.yaml", "origin: git-main\n");
    repo.commit("two");
    repo
}

/// helmfire and helmfile in `ws`, each with a source cache of its own.
fn both(ws: &Workspace, args: &[&str]) -> (std::process::Output, std::process::Output) {
    let ours = ws.run(args);
    let theirs = helmfile_command(ws.path())
        .env("HELMFILE_CACHE_HOME", ws.path().join(".helmfile-oracle/remote-cache"))
        .args(args)
        .output()
        .expect("run helmfile");
    (ours, theirs)
}

#[test]
fn sub_helmfiles_values_environments_and_charts_come_from_git_as_in_helmfile() {
    let repo = repository();
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "environments:\n  default:\n    values:\n    - {env}\n---\n\
             helmfiles:\n- path: {sub}\n\
             releases:\n- name: local\n  chart: {chart}\n  values:\n  - {values}\n  - {main}\n  - {gotmpl}\n",
            env = repo.source("env/common.yaml", "v1"),
            sub = repo.source("sub/helmfile.yaml", "v1"),
            chart = repo.source("charts/kinds", "v1"),
            values = repo.source("values/app.yaml", "v1"),
            main = repo.source("values/app.yaml", "main"),
            gotmpl = repo.source("values/app.yaml.gotmpl", "v1"),
        ),
    );
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    let ours = assert_success!(ours);
    let theirs = assert_success!(theirs);
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("name: from-sub") && ours.contains("origin: \"string=git-v1\""), "{ours}");
    assert!(ours.contains("origin: \"string=git-main\""), "the ref decides what is read: {ours}");
    assert!(ours.contains("release: \"string=local\"") && ours.contains("region: \"string=eu\""), "{ours}");

    // A second run uses the cache: it works with the repository gone.
    let moved = repo.path().with_extension("moved");
    std::fs::rename(repo.path(), &moved).unwrap();
    let again = ws.run(&["template", "--skip-deps"]);
    std::fs::rename(&moved, repo.path()).unwrap();
    similar_asserts::assert_eq!(ours, assert_success!(again));
}

/// A state with one release `app` of the local `kinds` chart and `values`
/// as its values file.
fn app_with_values(values: &str) -> String {
    format!("releases:\n- name: app\n  chart: {}\n  values:\n  - {values}\n", chart("kinds").display())
}

/// `depth` on the default branch reads as in helmfile. With a tag or
/// another branch helmfile fails (its go-getter clones the default branch
/// shallow, then cannot check the ref out); helmfire clones that ref
/// shallow (`git clone --depth 1 --branch v1`) and reads it.
#[test]
fn a_shallow_source_reads_as_in_helmfile_and_at_a_tag_where_helmfile_fails() {
    let repo = repository();
    let ws = Workspace::new();
    ws.write("helmfile.yaml", &app_with_values(&repo.source("values/app.yaml", "main&depth=1")));
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    let ours = assert_success!(ours);
    similar_asserts::assert_eq!(assert_success!(theirs), ours);
    assert!(ours.contains("origin: \"string=git-main\""), "{ours}");

    ws.write("helmfile.yaml", &app_with_values(&repo.source("values/app.yaml", "v1&depth=1")));
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    assert!(String::from_utf8_lossy(&theirs.stderr).contains("pathspec 'v1' did not match"), "{theirs:?}");
    let ours = assert_success!(ours);
    assert!(ours.contains("origin: \"string=git-v1\""), "{ours}");
}

#[test]
fn a_source_that_cannot_be_fetched_is_an_error_naming_it() {
    let repo = repository();
    let ws = Workspace::new();
    // A ref that does not exist.
    ws.write("helmfile.yaml", &app_with_values(&repo.source("values/app.yaml", "no-such-ref")));
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    assert!(!theirs.status.success(), "helmfile fails too");
    assert_clean_failure!(ours, "release `app`", "cannot fetch git::file://", "no-such-ref");

    // A file the repository does not have.
    ws.write("helmfile.yaml", &app_with_values(&repo.source("values/absent.yaml", "v1")));
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    assert!(!theirs.status.success(), "helmfile fails too");
    assert_clean_failure!(ours, "values file matching", "values/absent.yaml");

    // A repository that is not there: a sub-helmfile never loads as nothing.
    ws.write(
        "helmfile.yaml",
        &format!("helmfiles:\n- path: git::file://{}/absent-repo@helmfile.yaml?ref=v1\n", ws.path().display()),
    );
    let out = ws.run(&["sync"]);
    assert_clean_failure!(out, "cannot fetch git::file://", "absent-repo");
    let out = ws.run(&["list"]);
    assert_clean_failure!(out, "absent-repo");

    // Unreachable over HTTP.
    ws.write("helmfile.yaml", &app_with_values("http://127.0.0.1:1/values.yaml"));
    assert_clean_failure!(ws.run(&["template", "--skip-deps"]), "cannot fetch http://127.0.0.1:1/values.yaml");
}

#[test]
fn a_missing_branch_can_count_as_a_missing_file() {
    let repo = repository();
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "missingFileHandler: Warn\nmissingFileHandlerConfig:\n  ignoreMissingGitBranch: true\n\
             releases:\n- name: app\n  chart: {}\n  values:\n  - {}\n  - {}\n",
            chart("kinds").display(),
            repo.source("values/app.yaml", "v1"),
            repo.source("values/app.yaml", "feature-not-pushed"),
        ),
    );
    let (ours, theirs) = both(&ws, &["template", "--skip-deps"]);
    let theirs = assert_success!(theirs);
    assert!(String::from_utf8_lossy(&ours.stderr).contains("skipping missing values file matching"), "{ours:?}");
    similar_asserts::assert_eq!(theirs, assert_success!(ours));
}

#[test]
fn the_state_file_itself_can_be_remote() {
    let repo = repository();
    let ws = Workspace::new();
    let out = ws.run(&["-f", &repo.source("sub/helmfile.yaml", "v1"), "template", "--skip-deps"]);
    let stdout = assert_success!(out);
    assert!(stdout.contains("name: from-sub"), "{stdout}");

    // `cache cleanup` removes fetched sources with the charts.
    let cleanup = ws.run(&["cache", "cleanup"]);
    assert_success!(cleanup);
    assert!(String::from_utf8_lossy(&cleanup.stderr).contains("and 1 fetched sources"), "{cleanup:?}");
    let left: Vec<_> = walk(&ws.path().join(".helmfire-cache/sources"));
    assert!(left.iter().all(|p| p.extension().is_some_and(|e| e == "lock")), "left behind: {left:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

#[test]
fn patch_and_transformer_files_come_from_git_as_in_helmfile() {
    let repo = GitRepo::new();
    repo.write(
        "patches/smp.yaml.gotmpl",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\ndata:\n  from: git-{{ .Release.Name }}\n",
    );
    repo.write(
        "patches/labels.yaml",
        "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: labels\nlabels:\n  origin: git\nfieldSpecs:\n- path: metadata/labels\n  create: true\n",
    );
    repo.commit("patches");
    let ws = Workspace::new();
    let raw = ws.chart_copy("raw-0.1.0");
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: app\n  chart: {}\n  values:\n  - templates:\n    - |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: first\n      data:\n        a: one\n  strategicMergePatches:\n  - {}\n  transformers:\n  - {}\n",
            raw.display(),
            repo.source("patches/smp.yaml.gotmpl", "main"),
            repo.source("patches/labels.yaml", "main")
        ),
    );
    let ours = assert_success!(ws.run(&["template", "--skip-deps"]));
    let path = format!(
        "{}:{}:/usr/bin:/bin",
        crate::util::kustomize_cli().parent().unwrap().display(),
        crate::util::helm_cli().parent().unwrap().display()
    );
    let theirs = helmfile_command(ws.path())
        .env("PATH", path)
        .env("HELMFILE_CACHE_HOME", ws.path().join(".helmfile-oracle/remote-cache"))
        .args(["template", "--skip-deps"])
        .output()
        .unwrap();
    let theirs = assert_success!(theirs);
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("from: git-app") && ours.contains("origin: git"), "{ours}");
}
