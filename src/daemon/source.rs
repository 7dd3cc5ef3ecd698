//! `daemon --source URL`: the state comes from a remote source (a git
//! repository in go-getter's form, as `-f` and remote sub-helmfiles take
//! it), fetched again every `--source-interval` and applied when its
//! revision changes: the commit for git, a digest of the state file
//! otherwise. The fetch is the same code as every remote source
//! (go-shim/internal/remote), into the same cache; credentials come as
//! they do there (the git command's environment and helpers, userinfo in
//! the URL, which is never shown; go-git where there is no git command).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use sha2::Digest as _;

use crate::exec::call_helm;
use crate::helm::{HelmBackend, RemoteFetchRequest};

/// What the daemon reports of its source (`/v1/status`, metrics).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceStatus {
    /// The source, credentials hidden.
    pub url: String,
    /// The revision fetched last: a git commit, or `sha256:...` of the
    /// state file.
    pub revision: Option<String>,
    /// The revision the last sync applied.
    pub applied: Option<String>,
    /// When it was fetched last (Unix seconds).
    pub fetched_at: Option<u64>,
    /// Why the last fetch failed, if it did.
    pub error: Option<String>,
}

/// Fetches the source afresh each time it is asked.
pub struct Source {
    backend: Arc<dyn HelmBackend>,
    /// The URL as given, with `cache=false` so each fetch downloads.
    url: String,
    cache_dir: PathBuf,
    fetches: u64,
    /// What to report.
    pub status: SourceStatus,
}

/// Fetch numbers the remote cache keeps apart from the state loader's runs.
const FIRST_FETCH: u64 = 1 << 48;

impl Source {
    /// A source for `url`, which must be a remote reference.
    pub fn new(backend: Arc<dyn HelmBackend>, url: &str, cache_dir: &Path) -> anyhow::Result<Source> {
        if !crate::state::is_remote(url) {
            anyhow::bail!(
                "--source {url} is not a remote source; give it as helmfile names remote files, like git::https://host/org/repo.git@path/helmfile.yaml?ref=main"
            );
        }
        let separator = if url.contains('?') { '&' } else { '?' };
        let fetched =
            if url.contains("cache=false") { url.to_string() } else { format!("{url}{separator}cache=false") };
        let status = SourceStatus { url: crate::output::redact::urls(url).into_owned(), ..SourceStatus::default() };
        Ok(Source { backend, url: fetched, cache_dir: cache_dir.to_path_buf(), fetches: FIRST_FETCH, status })
    }

    /// Downloads the source and returns the path of the state in the cache
    /// (the same each time) and its revision.
    pub async fn fetch(&mut self) -> anyhow::Result<(PathBuf, String)> {
        self.fetches += 1;
        let request = RemoteFetchRequest {
            source: self.url.clone(),
            cache_dir: self.cache_dir.display().to_string(),
            kind: "states".into(),
            run: self.fetches,
            ignore_missing_git_branch: false,
            disable_insecure: false,
        };
        let fetched = call_helm(Arc::clone(&self.backend), move |helm, _| helm.remote_fetch(&request)).await;
        let result = match fetched {
            Ok(out) => {
                let path = PathBuf::from(out.path);
                // git looks no higher than the cache's entries, so a source
                // that is not a clone never reports an enclosing repository.
                let ceiling = self.cache_dir.join("sources").join("states");
                revision_of(&path, &ceiling).map(|revision| (path, revision))
            }
            Err(e) => Err(anyhow::anyhow!("fetching the state from --source {}: {e}", self.status.url)),
        };
        self.status.fetched_at = Some(super::status::now());
        match &result {
            Ok((_, revision)) => {
                self.status.revision = Some(revision.clone());
                self.status.error = None;
            }
            Err(e) => self.status.error = Some(format!("{e:#}")),
        }
        result
    }
}

/// The commit of the git checkout holding `path`, else the digest of the
/// state file (or of the files of a state directory).
fn revision_of(path: &Path, ceiling: &Path) -> anyhow::Result<String> {
    let dir = if path.is_dir() { path } else { path.parent().unwrap_or(path) };
    if let Some(commit) = checked_out_commit(dir, ceiling) {
        return Ok(commit);
    }
    let mut hasher = sha2::Sha256::new();
    let mut files = vec![path.to_path_buf()];
    if path.is_dir() {
        files = std::fs::read_dir(path)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
        files.sort();
    }
    for file in files {
        hasher.update(file.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default());
        hasher.update(std::fs::read(&file)?);
    }
    let digest: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{digest}"))
}

/// The commit checked out in the git repository holding `dir`, found no
/// higher than `ceiling`, read from its `.git` directory as `git rev-parse
/// HEAD` would: the daemon's image has no git command, and a source fetched
/// with git or with go-git leaves the same `.git` behind.
fn checked_out_commit(dir: &Path, ceiling: &Path) -> Option<String> {
    let git_dir =
        dir.ancestors().take_while(|d| d.starts_with(ceiling)).map(|d| d.join(".git")).find(|g| g.is_dir())?;
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let commit = match head.strip_prefix("ref: ") {
        None => head.to_string(),
        Some(name) => match std::fs::read_to_string(git_dir.join(name)) {
            Ok(loose) => loose.trim().to_string(),
            // A ref not stored loose is in packed-refs: `<hash> <name>`.
            Err(_) => std::fs::read_to_string(git_dir.join("packed-refs"))
                .ok()?
                .lines()
                .find_map(|line| line.strip_suffix(name)?.strip_suffix(' ').map(str::to_string))?,
        },
    };
    (commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())).then_some(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_file_is_identified_by_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("helmfile.yaml");
        std::fs::write(&file, "releases: []\n").unwrap();
        let first = revision_of(&file, dir.path()).unwrap();
        assert!(first.starts_with("sha256:"), "{first}");
        assert_eq!(revision_of(&file, dir.path()).unwrap(), first);
        std::fs::write(&file, "releases: [] # changed\n").unwrap();
        assert_ne!(revision_of(&file, dir.path()).unwrap(), first);
    }

    /// What `git rev-parse HEAD` says, for a branch stored loose, a packed
    /// one and a detached HEAD, read without the git command.
    #[test]
    fn a_checkout_is_identified_by_its_commit_as_git_says() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("env")).unwrap();
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(args)
                .current_dir(&repo)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        };
        git(&["init", "-q", "-b", "main"]);
        let file = repo.join("env/helmfile.yaml");
        std::fs::write(&file, "releases: []\n").unwrap();
        git(&["add", "."]);
        git(&["commit", "-q", "-m", "one"]);
        std::fs::write(&file, "releases: [] # two\n").unwrap();
        git(&["commit", "-q", "-am", "two"]);
        let tip = git(&["rev-parse", "HEAD"]);
        assert_eq!(revision_of(&file, dir.path()).unwrap(), tip);
        git(&["pack-refs", "--all"]);
        assert!(!repo.join(".git/refs/heads/main").exists());
        assert_eq!(revision_of(&file, dir.path()).unwrap(), tip);
        git(&["checkout", "-q", "--detach", "HEAD~1"]);
        assert_eq!(revision_of(&file, dir.path()).unwrap(), git(&["rev-parse", "HEAD"]));
        // No repository within the ceiling: the content decides.
        assert!(revision_of(&file, &repo.join("env")).unwrap().starts_with("sha256:"));
    }
}
