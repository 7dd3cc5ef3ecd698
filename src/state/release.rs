//! [`Release`]: a release of the state, with paths resolved and fields
//! checked, ready for planning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{Location, StateError};
use super::remote::is_remote;
use super::schema::{ReleaseSpec, SetValue, ValuesEntry};

/// Where a release's chart comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartSource {
    /// A chart directory or archive on disk (absolute path).
    Local(PathBuf),
    /// A chart from a repository, `repo/chart` as written, or from an OCI
    /// registry, `oci://host/path/chart`; pulled into the chart cache (see
    /// [`StateFile::remote_chart`](super::StateFile::remote_chart)).
    Remote(String),
    /// A go-getter reference (`git::https://host/repo.git@charts/app?ref=v1`,
    /// `https://host/app-1.0.0.tgz`), fetched into the source cache when
    /// charts are prepared, then used as a local chart.
    Fetched(String),
}

/// One entry of the values list, paths resolved, nothing read yet: values
/// are resolved only by the commands that need them (helmfile's `list`
/// and `build` never open a values file), through
/// [`StateFile::render_values_template`] for templates.
#[derive(Debug, Clone, PartialEq)]
pub enum ValuesInput {
    /// A plain values file (absolute path): helm reads its bytes as they
    /// are, as helmfile hands them over.
    File(PathBuf),
    /// A `.gotmpl` values file (absolute path), rendered with the release's
    /// template data before helm reads it.
    Template(PathBuf),
    /// A remote reference (`git::...`, `https://...`), fetched when the
    /// values are resolved; a fetched `.gotmpl` file is rendered.
    Remote(String),
    /// A document written inline in the state.
    Inline(serde_yaml_ng::Mapping),
}

/// A secrets file as written: a path (absolute, possibly a glob) or a
/// remote reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRef {
    /// On disk.
    Local(PathBuf),
    /// Fetched when needed.
    Remote(String),
}

/// An entry of a release's `secrets:`.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretRef {
    /// A sops-encrypted file.
    File(FileRef),
    /// A sops-encrypted document written in the state file itself.
    Inline(serde_yaml_ng::Mapping),
}

/// A release as the rest of helmfire sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// Release name.
    pub name: String,
    /// Namespace, possibly empty (helm's default applies).
    pub namespace: String,
    /// The chart as written, for messages and the `chart` label.
    pub chart_ref: String,
    /// Where the chart is.
    pub chart: ChartSource,
    /// Chart version constraint.
    pub version: String,
    /// Values in merge order.
    pub values: Vec<ValuesInput>,
    /// `set:` entries.
    pub set: Vec<SetValue>,
    /// `setString:` entries.
    pub set_string: Vec<SetValue>,
    /// Labels, without the implicit ones.
    pub labels: BTreeMap<String, String>,
    /// `needs` as written: `[[kubecontext/]namespace/]name`.
    pub needs: Vec<String>,
    /// The kube context, possibly empty: the release's own or
    /// helmDefaults'. Part of the release's id, as in helmfile.
    pub kube_context: String,
    /// The context the cluster commands talk to: `kube_context`, else the
    /// environment's `kubeContext` (which helmfile passes to helm without
    /// making it part of the release, so ids and `build` do not show it).
    pub cluster_context: String,
    /// `installed` (default true).
    pub installed: bool,
    /// `condition`, possibly empty.
    pub condition: String,
    /// Ad-hoc `dependencies:` (a wrapper chart is built from them).
    pub dependencies: Vec<super::schema::DependencySpec>,
    /// `strategicMergePatches`, each an object (files already read), or
    /// the absolute path of a `.gotmpl` file still to render, or a remote
    /// reference still to fetch.
    pub strategic_merge_patches: Vec<serde_yaml_ng::Value>,
    /// `jsonPatches`, each `{target, patch}` (files already read), or the
    /// absolute path of a `.gotmpl` file still to render, or a remote
    /// reference still to fetch.
    pub json_patches: Vec<serde_yaml_ng::Value>,
    /// `transformers`, each kustomize configuration as text.
    pub transformers: Vec<Transformer>,
    /// `forceNamespace`, possibly empty.
    pub force_namespace: String,
    /// `skipDeps` (release, else helmDefaults).
    pub skip_deps: bool,
    /// `skipRefresh` (release, else helmDefaults).
    pub skip_refresh: bool,
    /// The post-renderer program (release, else helmDefaults), resolved
    /// against the state file's directory when it is a relative path.
    pub post_renderer: String,
    /// Its arguments.
    pub post_renderer_args: Vec<String>,
    /// `forceConflicts`.
    pub force_conflicts: bool,
    /// Commands run on this release's events.
    pub hooks: Vec<super::schema::HookSpec>,
    /// `apiVersions` (release, else state).
    pub api_versions: Vec<String>,
    /// `kubeVersion` (release, else state).
    pub kube_version: String,
    /// Where the release is declared.
    pub location: Location,
    /// What a missing values file means (the release's, else the state's).
    pub missing_file_handler: super::MissingFileHandler,
    /// sops-encrypted values files or inline documents, merged after `values`.
    pub secrets: Vec<SecretRef>,
    /// A remote values file whose git ref does not exist counts as missing
    /// (`missingFileHandlerConfig.ignoreMissingGitBranch`, the release's,
    /// else the state's).
    pub ignore_missing_git_branch: bool,
    /// How the chart is fetched and checked (release, repository and
    /// helmDefaults combined).
    pub chart_options: super::ChartOptions,
    /// What a missing secrets file means: the release's own handler, else
    /// Error. helmfile does not fall back to the state's handler here, and
    /// neither do we: a skipped secrets file deploys without its secrets.
    pub secrets_missing_file_handler: super::MissingFileHandler,
    /// The release as written, after inheritance and templating (`build`
    /// shows it, deferred keys included).
    pub spec: ReleaseSpec,
}

impl Release {
    /// Checks a parsed release and resolves its paths against `base_dir`.
    pub(crate) fn resolve(spec: ReleaseSpec, base_dir: &Path, location: Location) -> Result<Release, StateError> {
        let written = spec.clone();
        let invalid = |message: String| StateError::Invalid { location: location.clone(), message };
        if spec.name.is_empty() {
            return Err(invalid("a release has no `name`".into()));
        }
        // `directory:` is documented by helmfile as an alias of `chart:`, but
        // helmfile 1.8 refuses a release without `chart:` before reading it,
        // and with `chart:` set it is never used; so it is kept and inert.
        if spec.chart.is_empty() && !spec.directory.is_empty() {
            return Err(invalid(format!(
                "release `{}` has `directory` but no `chart`; helmfile needs `chart` too, so write the directory as `chart: {}`",
                spec.name, spec.directory
            )));
        }
        if spec.chart.is_empty() {
            return Err(invalid(format!("release `{}` has no `chart`", spec.name)));
        }
        if spec.force_go_getter && !is_remote(&spec.chart) {
            return Err(invalid(format!(
                "release `{}` sets `forceGoGetter` but its chart `{}` is not a go-getter URL; write it as `git::https://host/org/repo.git@path?ref=v1` (or another go-getter form), or drop `forceGoGetter`",
                spec.name, spec.chart
            )));
        }

        let mut chart = resolve_chart(&spec.chart, base_dir, location.clone())?;
        // A hand-written `chartPath:` replaces a chart helmfile would pass to
        // helm as written (`repo/chart`); for local, OCI and fetched charts
        // helmfile overwrites it with its own prepared path, so it is ignored.
        if !spec.chart_path.is_empty() && matches!(&chart, ChartSource::Remote(r) if !r.starts_with("oci://")) {
            chart = ChartSource::Local(
                std::path::absolute(base_dir.join(&spec.chart_path))
                    .unwrap_or_else(|_| base_dir.join(&spec.chart_path)),
            );
        }
        // `valuesPathPrefix` is prepended as written, no separator added
        // (helmfile's concatenation).
        let prefixed = |file: &str| base_dir.join(format!("{}{file}", spec.values_path_prefix));
        let values = spec
            .values
            .into_iter()
            .map(|entry| match entry {
                ValuesEntry::File(file) if is_remote(&file) => {
                    ValuesInput::Remote(format!("{}{file}", spec.values_path_prefix))
                }
                ValuesEntry::File(file) if file.ends_with(".gotmpl") => ValuesInput::Template(prefixed(&file)),
                ValuesEntry::File(file) => ValuesInput::File(prefixed(&file)),
                ValuesEntry::Inline(map) => ValuesInput::Inline(map),
            })
            .collect::<Vec<_>>();
        let secrets = spec
            .secrets
            .iter()
            .map(|entry| match entry {
                ValuesEntry::File(file) if is_remote(file) => {
                    SecretRef::File(FileRef::Remote(format!("{}{file}", spec.values_path_prefix)))
                }
                ValuesEntry::File(file) => SecretRef::File(FileRef::Local(prefixed(file))),
                ValuesEntry::Inline(map) => SecretRef::Inline(map.clone()),
            })
            .collect::<Vec<_>>();
        let secrets_missing_file_handler =
            super::MissingFileHandler::first_of(&[spec.missing_file_handler.as_deref()]).map_err(&invalid)?;
        for set in spec.set.iter().chain(&spec.set_string) {
            if set.name.is_empty() {
                return Err(invalid(format!("a `set` entry of release `{}` has no `name`", spec.name)));
            }
        }
        let patches = read_patches(&spec.strategic_merge_patches, base_dir)
            .map_err(|message| invalid(format!("release `{}`: strategicMergePatches: {message}", spec.name)))?;
        let json_patches = read_patches(&spec.json_patches, base_dir)
            .and_then(|patches| {
                // A `.gotmpl` file (a path, kept) is checked once rendered.
                let objects = patches.iter().filter(|p| !p.is_string());
                objects.map(check_json_patch).collect::<Result<Vec<_>, _>>().map(|_| patches)
            })
            .map_err(|message| invalid(format!("release `{}`: jsonPatches: {message}", spec.name)))?;
        let transformers = read_transformers(&spec.transformers, base_dir)
            .map_err(|message| invalid(format!("release `{}`: transformers: {message}", spec.name)))?;
        Ok(Release {
            name: spec.name,
            namespace: spec.namespace,
            chart_ref: spec.chart,
            chart,
            version: spec.version,
            values,
            set: spec.set,
            set_string: spec.set_string,
            labels: spec.labels,
            needs: spec.needs,
            cluster_context: spec.kube_context.clone(),
            kube_context: spec.kube_context,
            installed: spec.installed.unwrap_or(true),
            condition: spec.condition,
            dependencies: spec.dependencies,
            strategic_merge_patches: patches,
            json_patches,
            transformers,
            force_namespace: spec.force_namespace,
            skip_deps: spec.skip_deps.unwrap_or(false),
            skip_refresh: spec.skip_refresh.unwrap_or(false),
            post_renderer: resolve_program(&spec.post_renderer, base_dir),
            post_renderer_args: spec.post_renderer_args,
            force_conflicts: spec.force_conflicts.unwrap_or(false),
            hooks: spec.hooks,
            api_versions: spec.api_versions,
            kube_version: spec.kube_version,
            location,
            missing_file_handler: super::MissingFileHandler::Error,
            secrets,
            secrets_missing_file_handler,
            chart_options: super::ChartOptions::default(),
            ignore_missing_git_branch: spec
                .missing_file_handler_config
                .as_ref()
                .is_some_and(|c| c.ignore_missing_git_branch),
            spec: written,
        })
    }
}

impl Release {
    /// Checks the release's name and namespace as helm and Kubernetes would
    /// (`list` and `build` show any name, as helmfile's do; anything that
    /// renders, deploys or writes files named after a release checks first,
    /// so `../../x` never becomes a path).
    pub fn check_names(&self) -> Result<(), StateError> {
        let invalid = |message: String| StateError::Invalid { location: self.location.clone(), message };
        check_release_name(&self.name).map_err(|why| invalid(format!("release name `{}` {why}", self.name)))?;
        if !self.namespace.is_empty() {
            check_dns_label(&self.namespace, 63)
                .map_err(|why| invalid(format!("namespace `{}` of release `{}` {why}", self.namespace, self.name)))?;
        }
        Ok(())
    }
}

/// helm's release name rule (`chartutil.ValidateReleaseName`): at most 53
/// characters of lowercase DNS-1123 labels joined by dots.
fn check_release_name(name: &str) -> Result<(), String> {
    if name.len() > 53 {
        return Err(format!("is {} characters long; helm allows at most 53", name.len()));
    }
    name.split('.').try_for_each(|label| check_dns_label(label, 63))
}

/// A DNS-1123 label: lowercase letters, digits and `-`, starting and ending
/// with a letter or digit (Kubernetes' rule for namespaces).
fn check_dns_label(label: &str, max: usize) -> Result<(), String> {
    let fits = !label.is_empty()
        && label.len() <= max
        && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-');
    if fits {
        Ok(())
    } else {
        Err(format!(
            "is not valid: use at most {max} lowercase letters, digits and `-`, starting and ending with a letter or digit"
        ))
    }
}

/// A chart reference is local when it is a path (as helmfile decides: it
/// starts with `.` or `/`, or names something that exists on disk); else it
/// is `repo/chart`.
pub(crate) fn resolve_chart(chart: &str, base_dir: &Path, location: Location) -> Result<ChartSource, StateError> {
    let path = base_dir.join(chart);
    let looks_like_path = chart.starts_with('.') || chart.starts_with('/');
    if looks_like_path || path.exists() {
        let absolute = std::path::absolute(&path).unwrap_or(path);
        return Ok(ChartSource::Local(absolute));
    }
    let unsupported = |what: &str| StateError::NotSupportedYet {
        location: location.clone(),
        key: format!("chart `{chart}` ({what})"),
        section: "releases".into(),
    };
    if chart.starts_with("oci://") {
        return Ok(ChartSource::Remote(chart.to_string()));
    }
    if is_remote(chart) {
        return Ok(ChartSource::Fetched(chart.to_string()));
    }
    if chart.contains("://") || chart.contains("::") {
        return Err(unsupported("a URL scheme helmfile does not fetch either"));
    }
    // Anything else goes to Helm as written, as helmfile passes it to helm:
    // `repo/chart` resolves against the repositories; a mistake is reported
    // by Helm when the chart is needed, not when the state is loaded (`list`
    // works without charts).
    Ok(ChartSource::Remote(chart.to_string()))
}

/// A kustomize transformer configuration of `transformers:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transformer {
    /// Its YAML (or JSON) text: one document, a list, or several documents;
    /// empty for a `.gotmpl` file still to render (`template`).
    pub text: String,
    /// Where a `path:` in it is relative to (the state file's directory).
    pub dir: PathBuf,
    /// A `.gotmpl` file or a remote reference, fetched and rendered with
    /// the release's data by the commands that build charts
    /// (pipeline/prepare.rs).
    pub template: Option<PathBuf>,
}

/// The local, plain file a patch or transformer entry names, read (the
/// callers keep `.gotmpl` and remote files for the pipeline).
fn read_entry_file(file: &str, base_dir: &Path) -> Result<(PathBuf, String), String> {
    let path = base_dir.join(file);
    let text = super::input::read_input(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok((path, text))
}

/// helmfile's patch entries: an object, or a path (relative to the state
/// file) of a YAML file holding one. A `.gotmpl` file stays a path (made
/// absolute) and a remote one its reference: they are rendered (fetched)
/// only by the commands that build charts (pipeline/prepare.rs), as values
/// templates are.
fn read_patches(entries: &[serde_yaml_ng::Value], base_dir: &Path) -> Result<Vec<serde_yaml_ng::Value>, String> {
    entries
        .iter()
        .map(|entry| match entry {
            // A remote file (go-getter) is fetched when charts are built.
            serde_yaml_ng::Value::String(file) if is_remote(file) => Ok(entry.clone()),
            serde_yaml_ng::Value::String(file) if file.ends_with(".gotmpl") => {
                let path = base_dir.join(file);
                if !path.is_file() {
                    return Err(format!("{file} does not exist (looked for {})", path.display()));
                }
                Ok(serde_yaml_ng::Value::String(path.display().to_string()))
            }
            serde_yaml_ng::Value::String(file) => {
                let (path, text) = read_entry_file(file, base_dir)?;
                crate::yaml::from_str(&text).map_err(|e| format!("{} is not a YAML object: {e}", path.display()))
            }
            serde_yaml_ng::Value::Mapping(_) => Ok(entry.clone()),
            other => Err(format!("an entry must be an object or a file path, got {other:?}")),
        })
        .collect()
}

/// A JSON patch entry as chartify reads it: `target` (strings) and the
/// `patch` operations.
pub fn check_json_patch(entry: &serde_yaml_ng::Value) -> Result<(), String> {
    let Some(map) = entry.as_mapping() else { return Err("an entry must be an object".into()) };
    for (key, value) in map {
        match key.as_str() {
            Some("target") => {
                let strings = value.as_mapping().is_some_and(|t| t.values().all(|v| v.is_string()));
                if !strings {
                    return Err("`target` must map group, version, kind, name, namespace... to strings".into());
                }
            }
            Some("patch") if value.is_sequence() => {}
            Some("patch") => return Err("`patch` must be a list of JSON patch operations".into()),
            Some(other) => {
                return Err(format!("`{other}` is not a key of a JSON patch entry; give `target` and `patch`"));
            }
            None => return Err("a key of a JSON patch entry is not a string".into()),
        }
    }
    if !map.contains_key("patch") {
        return Err("an entry has no `patch` operations".into());
    }
    Ok(())
}

/// `transformers:` entries: an inline configuration (handed over as JSON,
/// which kustomize reads as YAML) or a file's text.
fn read_transformers(entries: &[serde_yaml_ng::Value], base_dir: &Path) -> Result<Vec<Transformer>, String> {
    entries
        .iter()
        .map(|entry| {
            let text = match entry {
                // Fetched when charts are built, as remote patch files are.
                serde_yaml_ng::Value::String(file) if is_remote(file) => {
                    return Ok(Transformer {
                        text: String::new(),
                        dir: base_dir.to_path_buf(),
                        template: Some(PathBuf::from(file)),
                    });
                }
                serde_yaml_ng::Value::String(file) if file.ends_with(".gotmpl") => {
                    let path = base_dir.join(file);
                    if !path.is_file() {
                        return Err(format!("{file} does not exist (looked for {})", path.display()));
                    }
                    return Ok(Transformer { text: String::new(), dir: base_dir.to_path_buf(), template: Some(path) });
                }
                serde_yaml_ng::Value::String(file) => read_entry_file(file, base_dir)?.1,
                serde_yaml_ng::Value::Mapping(_) | serde_yaml_ng::Value::Sequence(_) => {
                    crate::yaml::to_json(entry).to_string()
                }
                other => return Err(format!("an entry must be an object, a list or a file path, got {other:?}")),
            };
            Ok(Transformer { text, dir: base_dir.to_path_buf(), template: None })
        })
        .collect()
}

/// A program named with a path is taken relative to the state file; a bare
/// name is looked up on PATH when it runs.
fn resolve_program(program: &str, base_dir: &Path) -> String {
    if program.is_empty() || !program.contains('/') || Path::new(program).is_absolute() {
        return program.to_string();
    }
    let path = base_dir.join(program);
    std::path::absolute(&path).unwrap_or(path).display().to_string()
}
