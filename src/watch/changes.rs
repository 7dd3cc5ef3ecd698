//! File changes, debounced: changes to the files a state depends on
//! ([`super::Dependencies`]), except helmfire's own cache, temporary and
//! output directories (so a run never triggers the next one) and editors'
//! scratch files. Files are watched through their directories, so an
//! editor's atomic save (write a temp file, rename it over the original)
//! is seen; its burst of events becomes one change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::sync::{Arc, RwLock};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::Dependencies;

/// Paths whose changes never count.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    /// Directories ignored with everything below them.
    pub dirs: Vec<PathBuf>,
}

impl Ignore {
    /// Whether a changed path is noise.
    pub fn ignores(&self, path: &Path) -> bool {
        if self.dirs.iter().any(|d| path.starts_with(d)) {
            return true;
        }
        let in_noise_dir = path.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c == ".git" || c == "target" || c == "node_modules" || c.starts_with("helmfire-charts-")
        });
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let scratch = name.ends_with('~')
            || name.ends_with(".swp")
            || name.ends_with(".swx")
            || name.ends_with(".tmp")
            || name.starts_with(".#")
            || name == "4913"
            || name.starts_with(".tmp");
        in_noise_dir || scratch
    }
}

/// Debounced changes to a state's dependencies.
pub struct ChangeStream {
    watcher: notify::RecommendedWatcher,
    watched: BTreeSet<(PathBuf, bool)>,
    wanted: Arc<RwLock<Dependencies>>,
    events: mpsc::UnboundedReceiver<PathBuf>,
    quiet: Duration,
}

impl ChangeStream {
    /// Watches `deps`; a change is reported once nothing has changed for
    /// `quiet`.
    pub fn watch(deps: &Dependencies, ignore: Ignore, quiet: Duration) -> anyhow::Result<ChangeStream> {
        let (tx, events) = mpsc::unbounded_channel();
        let wanted = Arc::new(RwLock::new(deps.clone()));
        let filter = Arc::clone(&wanted);
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if matches!(event.kind, notify::EventKind::Access(_)) {
                return;
            }
            let Ok(wanted) = filter.read() else { return };
            for path in event.paths {
                if wanted.concerns(&path) && !ignore.ignores(&path) {
                    let _ = tx.send(path);
                }
            }
        })?;
        let mut stream = ChangeStream { watcher, watched: BTreeSet::new(), wanted, events, quiet };
        stream.set_dependencies(deps)?;
        Ok(stream)
    }

    /// Watches these dependencies from now on: new ones are added, gone
    /// ones dropped, and events already queued are kept (replacing the
    /// watcher would lose a change made in between).
    pub fn set_dependencies(&mut self, deps: &Dependencies) -> anyhow::Result<()> {
        if let Ok(mut wanted) = self.wanted.write() {
            *wanted = deps.clone();
        }
        // A file is watched through its directory (which sees an atomic
        // save, and a file that does not exist yet); a tree recursively.
        let mut targets: BTreeSet<(PathBuf, bool)> = BTreeSet::new();
        for file in &deps.files {
            if let Some(dir) = file.parent().filter(|d| d.is_dir()) {
                targets.insert((dir.to_path_buf(), false));
            }
        }
        for tree in deps.trees.iter().filter(|t| t.exists()) {
            targets.insert((tree.clone(), tree.is_dir()));
        }
        for gone in self.watched.difference(&targets).cloned().collect::<Vec<_>>() {
            let _ = self.watcher.unwatch(&gone.0);
            self.watched.remove(&gone);
        }
        for target in targets {
            if self.watched.contains(&target) {
                continue;
            }
            let (path, recursive) = &target;
            let mode = if *recursive { RecursiveMode::Recursive } else { RecursiveMode::NonRecursive };
            self.watcher.watch(path, mode).map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", path.display()))?;
            self.watched.insert(target);
        }
        Ok(())
    }

    /// The next change: the set of paths that changed in one burst.
    pub async fn next(&mut self) -> Option<BTreeSet<PathBuf>> {
        let first = self.events.recv().await?;
        let mut paths = BTreeSet::from([first]);
        loop {
            match tokio::time::timeout(self.quiet, self.events.recv()).await {
                Ok(Some(path)) => {
                    paths.insert(path);
                }
                Ok(None) | Err(_) => return Some(paths),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_scratch_files_and_helmfire_dirs_are_ignored() {
        let ignore = Ignore { dirs: vec![PathBuf::from("/cache/helmfire")] };
        for noise in ["/p/values.yaml~", "/p/.values.yaml.swp", "/p/4913", "/p/.git/index", "/cache/helmfire/refs/x"] {
            assert!(ignore.ignores(Path::new(noise)), "{noise}");
        }
        for real in ["/p/values.yaml", "/p/helmfile.yaml", "/p/charts/app/templates/deployment.yaml"] {
            assert!(!ignore.ignores(Path::new(real)), "{real}");
        }
    }

    #[tokio::test]
    async fn a_burst_of_writes_is_one_change_and_other_files_are_not_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let deps = Dependencies {
            files: BTreeSet::from([root.join("values.yaml"), root.join("other.yaml")]),
            trees: BTreeSet::new(),
        };
        let mut stream = ChangeStream::watch(&deps, Ignore::default(), Duration::from_millis(200)).unwrap();
        // A log written beside the state is not a change of it.
        std::fs::write(root.join("daemon.log"), "a line\n").unwrap();
        // An atomic save: a temp file renamed over the original.
        std::fs::write(root.join("values.yaml.tmp"), "a: 1\n").unwrap();
        std::fs::rename(root.join("values.yaml.tmp"), root.join("values.yaml")).unwrap();
        std::fs::write(root.join("other.yaml"), "b: 2\n").unwrap();
        let change = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.unwrap().unwrap();
        assert!(change.contains(&root.join("values.yaml")), "{change:?}");
        assert!(change.contains(&root.join("other.yaml")), "{change:?}");
        assert!(!change.iter().any(|p| p.ends_with("values.yaml.tmp")), "{change:?}");
        // Quiet afterwards.
        assert!(tokio::time::timeout(Duration::from_millis(400), stream.next()).await.is_err());
    }
}
