//! How OCI registries are reached, from the state's `repositories:` with
//! `oci: true` and `--oci-plain-http` (go-shim/internal/charts/registry.go uses it).

use crate::helm::{RegistryAccess, RegistryHost};
use crate::state::StateFile;

/// The registry settings of every OCI repository of the loaded state files.
/// Credentials follow helmfile's rule (`<NAME>_USERNAME` / `_PASSWORD` when
/// the repository gives none); they reach the registry client in memory and
/// are never written to a file.
pub(crate) fn registry_access(files: &[StateFile], oci_plain_http: bool) -> RegistryAccess {
    let mut registries: Vec<RegistryHost> = Vec::new();
    for (file, spec) in files.iter().flat_map(|f| f.repositories.iter().map(move |r| (f, r))).filter(|(_, r)| r.oci) {
        let host = spec.url.trim_start_matches("oci://").split('/').next().unwrap_or_default().to_string();
        if host.is_empty() || registries.iter().any(|r| r.host == host) {
            continue;
        }
        let (username, password) = super::repos::credentials(spec);
        registries.push(RegistryHost {
            host,
            name: spec.name.clone(),
            username,
            password,
            ca_file: spec.ca_file.clone(),
            cert_file: spec.cert_file.clone(),
            key_file: spec.key_file.clone(),
            insecure_skip_tls_verify: spec.skip_tls_verify,
            plain_http: spec.plain_http,
            // Relative to the state file, as its other paths are.
            credentials_file: if spec.registry_config.is_empty() {
                String::new()
            } else {
                file.base_dir.join(&spec.registry_config).display().to_string()
            },
        });
    }
    RegistryAccess { registries, plain_http: oci_plain_http }
}
