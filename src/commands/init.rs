//! `helmfire init`: helmfile's `init` installs helm and its plugins;
//! helmfire has them compiled in, so init only says so and checks the two
//! things a run needs from the machine: a kubeconfig for the cluster
//! commands and a writable chart cache.

use std::path::{Path, PathBuf};

use super::ExitStatus;
use crate::cli::GlobalSettings;
use crate::pipeline::Context;

/// Checks the machine.
pub struct InitCommand {
    /// Global settings (`--kubeconfig`, `--kube-context`, the cache).
    pub global: GlobalSettings,
    /// Shared context.
    pub ctx: Context,
}

/// The part of a kubeconfig init reads.
#[derive(Debug, serde::Deserialize, Default)]
#[serde(default)]
struct KubeconfigSummary {
    #[serde(rename = "current-context")]
    current_context: String,
    contexts: Vec<NamedContext>,
}

#[derive(Debug, serde::Deserialize)]
struct NamedContext {
    name: String,
}

impl InitCommand {
    /// Runs the command: exit 0 when helmfire can run here (the cluster
    /// commands need the kubeconfig too, which is reported, not required).
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let printer = self.ctx.printer;
        printer.info(
            "nothing to install: the Helm SDK, helm-diff's diff, helm-secrets' decryption (sops, vals) and kustomize are compiled into helmfire",
        );
        match kubeconfig_paths(self.global.kubeconfig.as_deref()) {
            None => printer.warn(
                "no kubeconfig: set KUBECONFIG or pass --kubeconfig for the cluster commands (template, lint, build and list need none)",
            ),
            Some(paths) => {
                for path in paths {
                    printer.info(&describe_kubeconfig(&path, self.global.kube_context.as_deref()));
                }
            }
        }
        check_cache(&self.global.cache_dir)?;
        printer.info(&format!("chart cache: {} (writable)", self.global.cache_dir.display()));
        printer.info("helmfire initialization completed");
        Ok(ExitStatus::Success)
    }
}

/// The kubeconfig files the cluster commands read, as client-go finds them:
/// `--kubeconfig`, else each file of $KUBECONFIG, else ~/.kube/config when
/// it exists. None when there is none.
fn kubeconfig_paths(flag: Option<&Path>) -> Option<Vec<PathBuf>> {
    if let Some(path) = flag {
        return Some(vec![path.to_path_buf()]);
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return Some(std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect());
    }
    let default = std::env::home_dir()?.join(".kube/config");
    default.exists().then(|| vec![default])
}

/// One line on a kubeconfig file: readable, its contexts, the one in use.
fn describe_kubeconfig(path: &Path, context_flag: Option<&str>) -> String {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            return format!("kubeconfig {}: cannot be read ({e}); the cluster commands will fail", path.display());
        }
    };
    let summary: KubeconfigSummary = match crate::yaml::from_str(&text) {
        Ok(summary) => summary,
        Err(e) => return format!("kubeconfig {}: not a kubeconfig ({e})", path.display()),
    };
    let context = context_flag.unwrap_or(&summary.current_context);
    let known = summary.contexts.iter().any(|c| c.name == context);
    match (context.is_empty(), known) {
        (true, _) => format!(
            "kubeconfig {}: {} context(s), none current; pass --kube-context or set kubeContext in the state",
            path.display(),
            summary.contexts.len()
        ),
        (false, true) => format!("kubeconfig {}: context `{context}`", path.display()),
        (false, false) => format!("kubeconfig {}: context `{context}` is not defined in it", path.display()),
    }
}

/// The chart cache must be a directory helmfire can write.
fn check_cache(dir: &Path) -> anyhow::Result<()> {
    let writable = std::fs::create_dir_all(dir).and_then(|()| tempfile::tempfile_in(dir).map(drop));
    writable.map_err(|e| {
        anyhow::anyhow!(
            "the chart cache {} is not writable ({e}); set HELMFIRE_CACHE_HOME to a directory helmfire may write",
            dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kubeconfig_is_described_by_its_context() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts: [{name: dev, context: {cluster: c}}]\n",
        )
        .unwrap();
        assert!(describe_kubeconfig(&path, None).ends_with("context `dev`"));
        assert!(describe_kubeconfig(&path, Some("prod")).ends_with("context `prod` is not defined in it"));
        assert!(describe_kubeconfig(&dir.path().join("missing"), None).contains("cannot be read"));
    }

    #[test]
    fn an_unwritable_cache_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let error = check_cache(&file.join("cache")).unwrap_err().to_string();
        assert!(error.contains("HELMFIRE_CACHE_HOME"), "{error}");
    }
}
