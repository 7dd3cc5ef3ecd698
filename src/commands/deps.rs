//! `helmfire deps`: resolves the version constraint of every remote chart
//! of each state file and writes the state file's lock file, in helmfile's
//! format and place (`lockFilePath`, else `<name>.lock` beside it). Every
//! other command then pulls the locked versions.
//!
//! helmfile builds a throw-away chart with the remote charts as
//! dependencies and runs `helm dependency update` on it; helmfire resolves
//! the same constraints directly (the newest version satisfying each), and
//! writes the digest helm would.

use std::sync::Arc;

use anyhow::Context as _;

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::exec::call_helm;
use crate::helm::{LockDependency, LockResolveRequest};
use crate::pipeline::charts::lock_file::LockFile;
use crate::pipeline::charts::registry::registry_access;
use crate::pipeline::charts::repos::{Refresh, prepare};
use crate::pipeline::{Context, Session};

/// Writes lock files.
pub struct DepsCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--skip-repos`: use the repository indexes already cached.
    pub skip_repos: bool,
    /// Shared context.
    pub ctx: Context,
}

impl DepsCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let files = &session.files[..];
        let refresh = if self.skip_repos || self.global.skip_refresh { Refresh::Skip } else { Refresh::Always };
        let repositories = prepare(files, &self.ctx, refresh).await?;
        let repository_config = repositories.as_ref().map(|r| r.config.clone()).unwrap_or_default();
        let registry = registry_access(files, self.global.oci_plain_http);
        for file in files {
            // The whole file is locked, whatever the selectors: a lock file
            // that covered only some releases would break the others.
            let mut dependencies: Vec<LockDependency> = Vec::new();
            for release in &file.releases {
                let Some(remote) = file.remote_chart(release).filter(|r| r.repository_name.is_some()) else {
                    continue;
                };
                let dependency = LockDependency {
                    chart: remote.pull,
                    name: remote.name,
                    repository: remote.repository,
                    version: release.version.clone(),
                    alias: format!("{}-{}", release.namespace, release.name),
                };
                if !dependencies.contains(&dependency) {
                    dependencies.push(dependency);
                }
            }
            if dependencies.is_empty() {
                self.ctx.printer.warn(&format!(
                    "{}: no release uses a chart of the state's repositories, so there is nothing to lock",
                    file.path.display()
                ));
                continue;
            }
            let request = LockResolveRequest {
                dependencies,
                repository_config: repository_config.clone(),
                registry: registry.clone(),
            };
            let out = call_helm(Arc::clone(&self.ctx.backend), move |helm, call| helm.lock_resolve(call, &request))
                .await
                .with_context(|| format!("resolving the charts of {}", file.path.display()))?;
            let lock = LockFile {
                version: env!("CARGO_PKG_VERSION").to_string(),
                dependencies: out.resolved,
                digest: out.digest,
                generated: out.generated,
            };
            let path = file.lock_file();
            write_atomically(&path, &lock.to_text())
                .with_context(|| format!("writing the lock file {}", path.display()))?;
            self.ctx.printer.info(&format!("Wrote {}", path.display()));
        }
        Ok(ExitStatus::Success)
    }
}

/// Writes through a temporary file in the same directory, so a reader (or
/// a crash) never sees half a lock file.
fn write_atomically(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path)?;
    Ok(())
}
