//! Getting the state's chart repositories ready before charts are resolved:
//! the `helm repo add` + `helm repo update` helmfile runs, done in-process
//! and without writing the user's helm configuration.

use std::sync::Arc;

use anyhow::Context as _;

use crate::exec::call_helm;
use crate::helm::{ReposRequest, Repository};
use crate::pipeline::Context;
use crate::state::{RepositorySpec, StateFile};

/// The repositories file of this run; removed when dropped.
pub(crate) struct PreparedRepositories {
    _dir: tempfile::TempDir,
    /// The merged repositories file to hand to chart resolution.
    pub config: String,
}

/// Registers every state's repositories and refreshes their indexes.
/// Returns None when no state declares repositories (helm's own
/// configuration then applies unchanged).
pub(crate) async fn prepare(
    files: &[StateFile],
    ctx: &Context,
    refresh: Refresh,
) -> anyhow::Result<Option<PreparedRepositories>> {
    // OCI registries are not chart repositories: they have no index, and
    // their credentials go to the registry client (see registry.rs).
    let specs: Vec<&RepositorySpec> = files.iter().flat_map(|f| &f.repositories).filter(|r| !r.oci).collect();
    if specs.is_empty() {
        return Ok(None);
    }
    let dir = tempfile::Builder::new()
        .prefix("helmfire-repos-")
        .tempdir_in(crate::env_vars::temp_dir())
        .context("creating a private temp directory")?;
    let config = dir.path().join("repositories.yaml").display().to_string();
    let mut repositories = Vec::with_capacity(specs.len());
    for spec in specs {
        ctx.printer.info(&format!("Adding repo {} {}", spec.name, spec.url));
        repositories.push(repository(spec));
    }
    let request =
        ReposRequest { repositories, repository_config: config.clone(), skip_refresh: refresh == Refresh::Skip };
    call_helm(Arc::clone(&ctx.backend), move |helm, call| helm.repos(call, &request)).await?;
    Ok(Some(PreparedRepositories { _dir: dir, config }))
}

/// Whether cached repository indexes are refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresh {
    /// Download every index (the default).
    Always,
    /// Keep cached indexes (`--skip-refresh`).
    Skip,
}

/// A repository's username and password: as written, else (helmfile's rule)
/// from `<NAME>_USERNAME` and `<NAME>_PASSWORD` (upper case, `-` as `_`).
pub(crate) fn credentials(spec: &RepositorySpec) -> (String, String) {
    let prefix = spec.name.to_uppercase().replace('-', "_");
    let from_env = |given: &str, suffix: &str| {
        if given.is_empty() {
            std::env::var(format!("{prefix}_{suffix}")).unwrap_or_default()
        } else {
            given.to_string()
        }
    };
    (from_env(&spec.username, "USERNAME"), from_env(&spec.password, "PASSWORD"))
}

fn repository(spec: &RepositorySpec) -> Repository {
    let (username, password) = credentials(spec);
    Repository {
        name: spec.name.clone(),
        url: spec.url.clone(),
        username,
        password,
        cert_file: spec.cert_file.clone(),
        key_file: spec.key_file.clone(),
        ca_file: spec.ca_file.clone(),
        insecure_skip_tls_verify: spec.skip_tls_verify,
        pass_credentials: spec.pass_credentials,
    }
}
