//! What a release's remote chart is, in the terms of the state's
//! `repositories:`: the reference the chart cache pulls, and the name and
//! repository URL a lock file records (helmfile's `getUnresolvedDependencies`).
//! Also where a state file's lock file is.

use std::path::PathBuf;

use super::load::StateFile;
use super::release::{ChartSource, Release};

/// A release's chart when it comes from a repository or a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteChart {
    /// What to pull: `oci://host/path/chart` or `repo/chart`.
    pub pull: String,
    /// The chart's name (the last path segment).
    pub name: String,
    /// The repository URL a lock file records: `oci://host/path` or the
    /// chart repository's URL. Empty when the repository is not one of the
    /// state's (helm's own repositories file); such charts are not locked.
    pub repository: String,
    /// The state repository it resolves through, when it does.
    pub repository_name: Option<String>,
    /// An OCI registry rather than a chart repository.
    pub oci: bool,
}

impl StateFile {
    /// The remote chart of `release`, or None for a local chart.
    pub fn remote_chart(&self, release: &Release) -> Option<RemoteChart> {
        let ChartSource::Remote(chart) = &release.chart else {
            return None;
        };
        if let Some(rest) = chart.strip_prefix("oci://") {
            let rest = rest.trim_end_matches('/');
            let (repository, name) = rest.rsplit_once('/').unwrap_or(("", rest));
            return Some(RemoteChart {
                pull: format!("oci://{rest}"),
                name: name.to_string(),
                repository: format!("oci://{repository}"),
                repository_name: None,
                oci: true,
            });
        }
        let (repo_name, path) = chart.split_once('/').unwrap_or((chart.as_str(), ""));
        let name = path.rsplit('/').next().unwrap_or(path).to_string();
        let Some(spec) = self.repositories.iter().find(|r| r.name == repo_name) else {
            return Some(RemoteChart {
                pull: chart.clone(),
                name,
                repository: String::new(),
                repository_name: None,
                oci: false,
            });
        };
        if spec.oci {
            // helmfile's ociDependencyRepoURL: a chart path's directories
            // belong to the repository.
            let base = format!("oci://{}", spec.url.trim_start_matches("oci://").trim_end_matches('/'));
            let repository = match path.rsplit_once('/') {
                Some((dirs, _)) => format!("{base}/{dirs}"),
                None => base.clone(),
            };
            return Some(RemoteChart {
                pull: format!("{base}/{path}"),
                name,
                repository,
                repository_name: Some(spec.name.clone()),
                oci: true,
            });
        }
        Some(RemoteChart {
            pull: chart.clone(),
            name,
            repository: spec.url.clone(),
            repository_name: Some(spec.name.clone()),
            oci: false,
        })
    }

    /// The lock file of this state file: `lockFilePath` (relative to the
    /// state file's directory), else `<name>.lock` beside it, where name is
    /// the file name without `.gotmpl`, `.yaml` or `.yml` (helmfile's rule).
    pub fn lock_file(&self) -> PathBuf {
        if !self.doc.lock_file_path.is_empty() {
            return self.base_dir.join(&self.doc.lock_file_path);
        }
        let file = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let stem = file.strip_suffix(".gotmpl").unwrap_or(&file);
        let stem = stem.strip_suffix(".yaml").or_else(|| stem.strip_suffix(".yml")).unwrap_or(stem);
        self.base_dir.join(format!("{stem}.lock"))
    }
}
