//! helmfire standing in for the helm binary that kustomize runs.
//!
//! kustomize inflates a kustomization's `helmCharts:` by running `helm
//! version`, `helm pull` and `helm template` (chartify builds kustomize
//! directories with `--enable-helm`). helmfire has no helm binary, so the
//! shim points kustomize at a link to this very executable named
//! [`KUSTOMIZE_HELM_COMMAND`]; run under that name, helmfire does what helm
//! would for those commands (go-shim/internal/charts/kustomize_helm.go) and
//! nothing else.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::helm::{HelmBackend, KustomizeHelmRequest};

/// The name the shim gives the link kustomize runs
/// (`KustomizeHelmCommand` in go-shim/internal/charts/kustomize_helm.go).
pub const KUSTOMIZE_HELM_COMMAND: &str = "helmfire-kustomize-helm";

/// The helm arguments when this process was started as kustomize's helm.
pub fn invoked_as_kustomize_helm(mut args: impl Iterator<Item = OsString>) -> Option<Vec<String>> {
    let program = args.next()?;
    if Path::new(&program).file_name()? != KUSTOMIZE_HELM_COMMAND {
        return None;
    }
    Some(args.map(|a| a.to_string_lossy().into_owned()).collect())
}

/// Runs one helm command for kustomize: helm's output on stdout, an error
/// on stderr (kustomize quotes it in its own) and exit code 1.
pub fn run_as_kustomize_helm(backend: &dyn HelmBackend, args: Vec<String>) -> ExitCode {
    let result = crate::cli::cache_dir().map_err(|e| format!("{e:#}")).and_then(|cache_dir| {
        let request = KustomizeHelmRequest { args, cache_dir: cache_dir.display().to_string() };
        backend.kustomize_helm(&request).map_err(|e| e.to_string())
    });
    match result {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(output.stdout.as_bytes()).and_then(|()| stdout.flush()).is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            // kustomize quotes this, and the shim finds the message behind
            // "Error: " (kustomizeHelmErrorPrefix).
            let _ = writeln!(std::io::stderr(), "Error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = OsString> {
        list.iter().map(OsString::from).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn only_the_link_name_makes_helmfire_act_as_helm() {
        let link = format!("/tmp/x/.bin/{KUSTOMIZE_HELM_COMMAND}");
        assert_eq!(
            invoked_as_kustomize_helm(args(&[&link, "version", "--short"])),
            Some(vec!["version".to_string(), "--short".to_string()])
        );
        assert_eq!(invoked_as_kustomize_helm(args(&["/usr/bin/helmfire", "version"])), None);
        assert_eq!(invoked_as_kustomize_helm(args(&["helm", "template"])), None);
        assert_eq!(invoked_as_kustomize_helm(args(&[])), None);
    }
}
