//! helmfile's lock file: the versions `deps` resolved for a state file's
//! remote charts, read by every other command. The format is helmfile's
//! (a Chart.lock with helmfile's version), so a repository can move between
//! the two tools.

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::helm::LockedDependency;

/// A lock file's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct LockFile {
    /// The version of the tool that wrote it.
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub dependencies: Vec<LockedDependency>,
    /// helm's digest of the requirements and the resolved versions.
    #[serde(default)]
    pub digest: String,
    /// When it was written (RFC 3339).
    #[serde(default)]
    pub generated: String,
}

impl LockFile {
    /// Reads a lock file; None when there is none.
    pub(crate) fn read(path: &Path) -> anyhow::Result<Option<LockFile>> {
        let text = match fs_err::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context("reading the lock file"),
        };
        let lock: LockFile = serde_yaml_ng::from_str(&text).with_context(|| {
            format!(
                "{} is not a helmfile lock file; delete it and run `helmfire deps` to write it again",
                path.display()
            )
        })?;
        Ok(Some(lock))
    }

    /// The locked versions of a chart, in file order (helmfile looks charts
    /// up by name only, and takes the first version that satisfies the
    /// release's constraint).
    pub(crate) fn versions_of(&self, name: &str) -> Vec<String> {
        self.dependencies.iter().filter(|d| d.name == name).map(|d| d.version.clone()).collect()
    }

    /// The file's text, laid out as helmfile writes it: dependencies sorted
    /// by name, duplicates dropped.
    pub(crate) fn to_text(&self) -> String {
        let mut deps = self.dependencies.clone();
        deps.sort_by(|a, b| a.name.cmp(&b.name));
        deps.dedup();
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut out = format!("version: {}\ndependencies:\n", self.version);
        for d in &deps {
            out += &format!("  - name: {}\n    repository: {}\n    version: {}\n", d.name, d.repository, d.version);
        }
        out += &format!("digest: {}\ngenerated: {}\n", self.digest, quote(&self.generated));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELMFILE_LOCK: &str = "version: 0.0.0-dev\ndependencies:\n  - name: raw\n    repository: http://localhost:18080/\n    version: 0.0.1\ndigest: sha256:5401817b653c4eeb186cbfbb8d77dda6b72f84a548fc9cd128cbd478d5b2e705\ngenerated: \"2022-10-12T20:17:15.98786845+03:00\"\n";

    #[test]
    fn a_helmfile_lock_file_reads_and_writes_back_the_same_bytes() {
        let lock: LockFile = serde_yaml_ng::from_str(HELMFILE_LOCK).unwrap();
        assert_eq!(lock.versions_of("raw"), vec!["0.0.1".to_string()]);
        assert!(lock.versions_of("other").is_empty());
        assert_eq!(lock.to_text(), HELMFILE_LOCK);
    }

    #[test]
    fn dependencies_are_sorted_and_deduplicated() {
        let dep = |name: &str, version: &str| LockedDependency {
            name: name.into(),
            repository: "oci://r/x".into(),
            version: version.into(),
        };
        let lock = LockFile {
            version: "1".into(),
            dependencies: vec![dep("b", "1.0.0"), dep("a", "2.0.0"), dep("b", "1.0.0")],
            digest: "sha256:x".into(),
            generated: "t".into(),
        };
        let text = lock.to_text();
        assert_eq!(text.matches("name: b").count(), 1);
        assert!(text.find("name: a").unwrap() < text.find("name: b").unwrap());
    }
}
