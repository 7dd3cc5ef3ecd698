//! Remote sources: sub-helmfiles, values and secrets files, environment
//! values and charts written as go-getter references
//! (`git::https://host/org/repo.git@path/file.yaml?ref=v1`,
//! `https://host/dir/values.yaml`, `s3://bucket/key`), recognised as
//! helmfile's pkg/remote recognises them. The engine fetches them into the
//! source cache (go-shim/internal/remote); a source that cannot be fetched
//! is an error naming it, never an empty result.

use std::path::PathBuf;

/// What a remote source holds; each kind has its own part of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// State files (`-f`, `helmfiles:`).
    States,
    /// Values and secrets files.
    Values,
    /// Charts.
    Charts,
}

impl SourceKind {
    /// The name the engine takes.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::States => "states",
            SourceKind::Values => "values",
            SourceKind::Charts => "charts",
        }
    }
}

/// A fetched source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The local path of the file (or directory, or glob pattern) the
    /// reference names.
    Path(PathBuf),
    /// Its git ref does not exist, and `ignoreMissingGitBranch` says to
    /// treat that as a missing file.
    MissingRef,
}

/// Schemes helmfile takes as remote without a forced getter (`git::`...).
const PLAIN_SCHEMES: &[&str] = &["http", "https", "s3"];

/// Whether `text` is a remote reference rather than a local path, a
/// `repo/chart` or an `oci://` chart: a forced getter (`git::...`) or an
/// http(s):// or s3:// URL.
pub fn is_remote(text: &str) -> bool {
    let parts: Vec<&str> = text.split("::").collect();
    let url = match parts.as_slice() {
        [getter, rest] => {
            if getter.is_empty() || !getter.chars().all(|c| c.is_ascii_alphanumeric()) {
                return false;
            }
            *rest
        }
        [whole] => {
            let Some((scheme, _)) = whole.split_once("://") else { return false };
            if !PLAIN_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
                return false;
            }
            whole
        }
        _ => return false,
    };
    if url.starts_with('/') {
        return false;
    }
    url.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && !rest.is_empty()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_references_are_told_from_paths_and_charts() {
        for remote in [
            "git::https://github.com/org/repo.git@helmfile.yaml?ref=v1",
            "git::ssh://git@host/org/repo.git@values.yaml",
            "git::file:///tmp/repo@values.yaml",
            "https://host/values.yaml",
            "http://host/dir/values.yaml",
            "s3://bucket/key.yaml",
            "s3::https://bucket.s3.amazonaws.com/key.yaml",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in ["values.yaml", "./dir/values.yaml", "/abs/values.yaml", "repo/chart", "oci://host/chart", "a::b"]
        {
            assert!(!is_remote(local), "{local}");
        }
    }
}
