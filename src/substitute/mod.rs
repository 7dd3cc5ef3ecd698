//! Development-loop substitutions: a local chart directory used instead of
//! a chart the state names (`helmfire chart ORIGINAL PATH`), and a container
//! image used instead of another (`helmfire image ORIGINAL REPLACEMENT`).
//!
//! They are kept in a small YAML file beside the state
//! ([`SUBSTITUTIONS_FILE`]), which a user can read, edit or delete; every
//! command reads it when it starts, and a running watch or daemon re-reads
//! it when it changes. Chart substitutions apply while charts are prepared
//! (`commands/charts.rs`); image substitutions are a post-render step in
//! the shim (go-shim/internal/render/images.go documents how images match).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name, in the state's directory.
pub const SUBSTITUTIONS_FILE: &str = ".helmfire-substitutions.yaml";

/// The substitutions in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Substitutions {
    /// Chart as written in releases (`repo/chart`, `oci://...`, a path) ->
    /// local chart directory (absolute).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub charts: BTreeMap<String, PathBuf>,
    /// Image reference -> replacement image.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<String, String>,
}

/// A substitutions file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SubstitutionError {
    /// Unreadable or not YAML of the expected shape.
    #[error("{path}: {message}; fix it or delete the file to drop every substitution")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Writing failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Substitutions {
    /// The file beside a state in `state_dir`.
    pub fn file_in(state_dir: &Path) -> PathBuf {
        state_dir.join(SUBSTITUTIONS_FILE)
    }

    /// Reads the file; no file means no substitutions.
    pub fn load(path: &Path) -> Result<Substitutions, SubstitutionError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Substitutions::default()),
            Err(e) => return Err(SubstitutionError::Invalid { path: path.to_path_buf(), message: e.to_string() }),
        };
        if text.trim().is_empty() {
            return Ok(Substitutions::default());
        }
        serde_yaml_ng::from_str(&text)
            .map_err(|e| SubstitutionError::Invalid { path: path.to_path_buf(), message: e.to_string() })
    }

    /// Reads the file, changes it with `change` and writes it back, holding
    /// an exclusive lock on its directory meanwhile: the CLI and the
    /// daemon's API (concurrent requests included) never lose each other's
    /// changes. `change`'s error leaves the file as it was.
    pub fn update<E: From<SubstitutionError>>(
        path: &Path,
        change: impl FnOnce(&mut Substitutions) -> Result<(), E>,
    ) -> Result<Substitutions, E> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let lock_err = |source| SubstitutionError::Write { path: path.to_path_buf(), source };
        let dir_handle = std::fs::File::open(dir).map_err(lock_err)?;
        rustix::fs::flock(&dir_handle, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| lock_err(std::io::Error::from(e)))?;
        let mut subs = Substitutions::load(path)?;
        change(&mut subs)?;
        subs.save(path)?;
        // Closing the directory releases the lock.
        drop(dir_handle);
        Ok(subs)
    }

    /// Writes the file (atomically); an empty set removes it.
    pub fn save(&self, path: &Path) -> Result<(), SubstitutionError> {
        let write_err = |source| SubstitutionError::Write { path: path.to_path_buf(), source };
        if self.is_empty() {
            return match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(write_err(e)),
                _ => Ok(()),
            };
        }
        let body = serde_yaml_ng::to_string(self).map_err(|e| write_err(std::io::Error::other(e)))?;
        let text = format!(
            "# helmfire's development substitutions (helmfire chart|image|remove).\n# Delete this file to drop them all.\n{body}"
        );
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(write_err)?;
        tmp.persist(path).map_err(|e| write_err(e.error))?;
        Ok(())
    }

    /// No substitution at all.
    pub fn is_empty(&self) -> bool {
        self.charts.is_empty() && self.images.is_empty()
    }

    /// The local chart to use for a chart as written in a release.
    pub fn chart_for(&self, chart_ref: &str) -> Option<&Path> {
        self.charts.get(chart_ref).map(PathBuf::as_path)
    }

    /// The image substitutions, in a stable order.
    pub fn image_pairs(&self) -> Vec<(String, String)> {
        self.images.iter().map(|(a, b)| (a.clone(), b.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_no_substitution_and_an_empty_set_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = Substitutions::file_in(dir.path());
        assert!(Substitutions::load(&path).unwrap().is_empty());

        let mut subs = Substitutions::default();
        subs.charts.insert("bitnami/nginx".into(), "/src/nginx".into());
        subs.images.insert("nginx".into(), "localhost:5000/nginx:dev".into());
        subs.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# helmfire's development substitutions"), "{text}");
        assert_eq!(Substitutions::load(&path).unwrap(), subs);
        assert_eq!(subs.chart_for("bitnami/nginx"), Some(Path::new("/src/nginx")));

        Substitutions::default().save(&path).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn concurrent_updates_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = Substitutions::file_in(dir.path());
        std::thread::scope(|scope| {
            for i in 0..32 {
                let path = &path;
                scope.spawn(move || {
                    Substitutions::update(path, |subs| {
                        subs.images.insert(format!("image-{i}"), format!("local/image-{i}"));
                        Ok::<(), SubstitutionError>(())
                    })
                    .unwrap();
                });
            }
        });
        assert_eq!(Substitutions::load(&path).unwrap().images.len(), 32);
    }

    #[test]
    fn a_broken_file_says_how_to_recover() {
        let dir = tempfile::tempdir().unwrap();
        let path = Substitutions::file_in(dir.path());
        std::fs::write(&path, "charts: [1, 2\n").unwrap();
        let err = Substitutions::load(&path).unwrap_err().to_string();
        assert!(err.contains(SUBSTITUTIONS_FILE) && err.contains("delete the file"), "{err}");
    }
}
