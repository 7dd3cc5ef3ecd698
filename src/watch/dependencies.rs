//! What a loaded state depends on, file by file: the state files (bases and
//! sub-helmfiles too), their environment values files, each release's
//! values files and templates, the `_*.tpl` helpers beside every template,
//! the lock file, the substitutions file, and local charts as whole trees.
//! Watch mode and the daemon react to these and nothing else, so a log or
//! an output written beside the state never triggers a run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::state::{ChartSource, FileRef, SecretRef, StateFile, ValuesEntry, ValuesInput};

/// The paths a state depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Files, each on its own (absolute).
    pub files: BTreeSet<PathBuf>,
    /// Directories whose every file counts (absolute): local charts.
    pub trees: BTreeSet<PathBuf>,
}

impl Dependencies {
    /// Whether a change to `path` concerns the state.
    pub fn concerns(&self, path: &Path) -> bool {
        self.files.contains(path) || self.trees.iter().any(|t| path.starts_with(t))
    }

    /// How many paths are watched, for the opening line.
    pub fn len(&self) -> usize {
        self.files.len() + self.trees.len()
    }

    /// Whether nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.trees.is_empty()
    }
}

/// The dependencies of `files`, plus `extra` files (the substitutions file).
pub fn dependencies(files: &[StateFile], extra: &[PathBuf]) -> Dependencies {
    let mut deps = Dependencies::default();
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut template_dirs = BTreeSet::new();
    for file in files {
        let base = &file.base_dir;
        deps.files.insert(absolute(&file.path));
        template_dirs.insert(absolute(base));
        for name in &file.doc.bases {
            deps.files.insert(absolute(&base.join(name)));
        }
        let environment = file.doc.environments.get(&file.environment.name).cloned().flatten().unwrap_or_default();
        for entry in file.doc.values.iter().chain(&environment.values) {
            if let ValuesEntry::File(name) = entry {
                for path in matches(&base.join(name)) {
                    template_dirs.insert(absolute(path.parent().unwrap_or(base)));
                    deps.files.insert(absolute(&path));
                }
            }
        }
        let lock = if file.doc.lock_file_path.is_empty() {
            file.path.with_extension("lock")
        } else {
            base.join(&file.doc.lock_file_path)
        };
        deps.files.insert(absolute(&lock));
        for release in &file.releases {
            if let ChartSource::Local(path) = &release.chart {
                deps.trees.insert(absolute(path));
            }
            for value in &release.values {
                match value {
                    ValuesInput::File(path) => {
                        deps.files.insert(absolute(path));
                    }
                    ValuesInput::Template(path) => {
                        deps.files.insert(absolute(path));
                        template_dirs.insert(absolute(path.parent().unwrap_or(base)));
                    }
                    // Remote sources change where they live, not here.
                    ValuesInput::Inline(_) | ValuesInput::Remote(_) => {}
                }
            }
            for secrets in &release.secrets {
                if let SecretRef::File(FileRef::Local(path)) = secrets {
                    deps.files.insert(absolute(path));
                }
            }
        }
    }
    // Helpers a template can `include`, present or to come.
    for dir in template_dirs {
        for helper in matches(&dir.join("_*.tpl")) {
            deps.files.insert(helper);
        }
    }
    deps.files.extend(extra.iter().map(|p| absolute(p)));
    deps
}

/// What a path or glob names now; a plain path names itself even when it
/// does not exist yet.
fn matches(path: &Path) -> Vec<PathBuf> {
    let text = path.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        return vec![path.to_path_buf()];
    }
    glob::glob(&text).map(|paths| paths.filter_map(Result::ok).collect()).unwrap_or_default()
}
