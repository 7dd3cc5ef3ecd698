//! Finds the state files and parses them into [`StateFile`]s.

use std::path::{Path, PathBuf};

use super::chart_options::ChartOptions;
use super::environment::Environment;
use super::error::{Location, StateError};
use super::inherit::apply_inheritance;
use super::inherits::Inherited;
use super::layering::{LoadOptions, load_layers};
use super::missing_files::{MissingFileHandler, Skipped};
use super::parse::{check_unique, release_lines};
use super::release::{Release, resolve_chart};
use super::release_template::ReleaseTemplating;
use super::remote::{Fetched, SourceKind, is_remote};

/// Where to read the state from: helmfile's `-f`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateSource {
    /// helmfile's default search in a directory: helmfile.yaml, then
    /// helmfile.yaml.gotmpl, then helmfile.d/*.yaml[.gotmpl].
    Search(PathBuf),
    /// A file, or a directory of state files (`-f FILE|DIR`).
    Path(PathBuf),
    /// The state file is read from stdin (`-f -`).
    Stdin,
}

/// Which selectors apply to a state file's releases.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SelectorScope {
    /// The command line's `-l` (files named on the command line, and
    /// sub-helmfiles that inherit).
    #[default]
    CommandLine,
    /// The `selectors:` of the `helmfiles:` entry that loaded it (or of an
    /// ancestor it inherited from); empty selects every release.
    Explicit(Vec<String>),
}

/// One loaded state file: its releases in declaration order.
#[derive(Debug, Clone)]
pub struct StateFile {
    /// The file, as found or given.
    pub path: PathBuf,
    /// The directory relative paths in the file are resolved against.
    pub base_dir: PathBuf,
    /// The environment it was loaded for.
    pub environment: Environment,
    /// Its chart repositories.
    pub repositories: Vec<super::schema::RepositorySpec>,
    /// Its `helmfiles:` entries (already loaded before it by [`load`]).
    pub helmfiles: Vec<super::schema::SubHelmfileEntry>,
    /// Which selectors pick this file's releases.
    pub selectors: SelectorScope,
    /// The merged document, releases taken out (for `build`).
    pub doc: super::schema::HelmfileDoc,
    /// The releases, resolved, in declaration order.
    pub releases: Vec<Release>,
    /// Files skipped by `missingFileHandler` while loading, to report.
    pub skipped: Vec<Skipped>,
}

impl StateFile {
    /// Renders a release's `.gotmpl` values file with the release's template
    /// data (`.Release`, `.Values`, `.Environment`...), as helmfile does
    /// before handing it to helm. `namespace` is the command line's `-n`
    /// (`.Namespace`). Relative paths in the template resolve from the
    /// values file's directory, and its `_*.tpl` helpers are the ones there.
    /// A secrets file rendered as it is on disk (what `build
    /// --embed-values` shows) is `TextSource::Derived`: the engine keeps
    /// nothing of it, should it be plaintext.
    pub fn render_values_template(
        &self,
        release: &Release,
        file: &Path,
        namespace: &str,
        engine: &dyn super::engine::TemplateEngine,
        source: super::engine::TextSource,
    ) -> Result<String, StateError> {
        self.templating(namespace, engine).render_values_file(&release.spec, file, &release.location, source)
    }

    /// Renders a release's `.gotmpl` patch file (`strategicMergePatches`,
    /// `jsonPatches`, `transformers`) as helmfile 1.8 does: with the
    /// release's data, `.Values` and `.StateValues` being the state's
    /// values with the release's own `values:` merged over them.
    pub fn render_patch_template(
        &self,
        release: &Release,
        file: &Path,
        merged_values: serde_yaml_ng::Value,
        namespace: &str,
        engine: &dyn super::engine::TemplateEngine,
    ) -> Result<String, StateError> {
        let templating = self.templating(namespace, engine);
        let mut data = templating.data(&release.spec);
        if let serde_yaml_ng::Value::Mapping(map) = &mut data {
            map.insert("Values".into(), merged_values.clone());
            map.insert("StateValues".into(), merged_values);
        }
        let text = super::input::read_input(file).map_err(|e| StateError::Invalid {
            location: release.location.clone(),
            message: format!("release `{}`: {e}", release.name),
        })?;
        templating.render_file_with(file, &text, &data, super::engine::TextSource::File)
    }

    /// The data `release`'s templates see, as JSON for the engine.
    pub fn release_template_data(
        &self,
        release: &Release,
        namespace: &str,
        engine: &dyn super::engine::TemplateEngine,
    ) -> serde_json::Value {
        crate::yaml::to_json(&self.templating(namespace, engine).data(&release.spec))
    }

    /// Renders `text`, the decrypted content of the `.gotmpl` secrets file
    /// `file`, with `release`'s data.
    pub fn render_values_text(
        &self,
        release: &Release,
        file: &Path,
        text: &str,
        namespace: &str,
        engine: &dyn super::engine::TemplateEngine,
    ) -> Result<String, StateError> {
        self.templating(namespace, engine).render_values_text(&release.spec, file, text)
    }

    fn templating<'a>(
        &'a self,
        namespace: &'a str,
        engine: &'a dyn super::engine::TemplateEngine,
    ) -> ReleaseTemplating<'a> {
        ReleaseTemplating {
            engine,
            environment: &self.environment,
            namespace,
            state_path: &self.path,
            base_dir: &self.base_dir,
        }
    }
}

/// Loads every state file `source` designates, in helmfile's order.
pub fn load(source: &StateSource, opts: &LoadOptions<'_>) -> Result<Vec<StateFile>, StateError> {
    match source {
        StateSource::Stdin => {
            let mut text = String::new();
            let limit = super::input::MAX_INPUT_BYTES;
            let read = std::io::Read::read_to_string(&mut std::io::Read::take(std::io::stdin(), limit + 1), &mut text)?;
            if read as u64 > limit {
                return Err(super::input::InputError::TooLarge("-".into()).into());
            }
            let cwd = std::env::current_dir()?;
            Ok(vec![parse_state(Path::new("-"), &cwd, &text, opts)?])
        }
        StateSource::Path(path) if is_remote(&path.to_string_lossy()) => {
            let local = fetch_state(&path.to_string_lossy(), opts, None)?;
            load_all(std::slice::from_ref(&local), opts)
        }
        StateSource::Path(path) => {
            if path.is_dir() {
                load_all(&files_in_dir(path)?, opts)
            } else if path.exists() {
                load_all(std::slice::from_ref(path), opts)
            } else {
                Err(StateError::Missing { path: path.clone() })
            }
        }
        StateSource::Search(dir) => load_all(&default_files(dir)?, opts),
    }
}

fn load_all(files: &[PathBuf], opts: &LoadOptions<'_>) -> Result<Vec<StateFile>, StateError> {
    let mut states = Vec::new();
    for path in files {
        load_tree(path, opts, Level::Top, &SelectorScope::CommandLine, &mut Vec::new(), &mut states)?;
    }
    Ok(states)
}

/// Whether a state file was named by the user or by a `helmfiles:` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Sub,
}

/// Loads a state file and, before it, its sub-helmfiles (depth first), as
/// helmfile orders them. A sub-helmfile that does not define the selected
/// environment is skipped, as helmfile skips it.
/// `chain` holds the files being loaded above this one: a file that
/// appears in its own chain includes itself, which would never end.
fn load_tree(
    path: &Path,
    opts: &LoadOptions<'_>,
    level: Level,
    scope: &SelectorScope,
    chain: &mut Vec<PathBuf>,
    out: &mut Vec<StateFile>,
) -> Result<(), StateError> {
    let canonical = fs_err::canonicalize(path)?;
    if let Some(first) = chain.iter().position(|p| *p == canonical) {
        let names: Vec<String> =
            chain[first..].iter().chain(std::iter::once(&canonical)).map(|p| p.display().to_string()).collect();
        return Err(StateError::Invalid {
            location: Location { path: path.to_path_buf(), line: None, column: None },
            message: format!(
                "`helmfiles:` include a cycle: {}; a state file cannot include itself, directly or through others",
                names.join(" -> ")
            ),
        });
    }
    chain.push(canonical);
    let result = load_subtree(path, opts, level, scope, chain, out);
    chain.pop();
    result
}

fn load_subtree(
    path: &Path,
    opts: &LoadOptions<'_>,
    level: Level,
    scope: &SelectorScope,
    chain: &mut Vec<PathBuf>,
    out: &mut Vec<StateFile>,
) -> Result<(), StateError> {
    let mut state = match load_file(path, opts) {
        Err(StateError::UndefinedEnvironment { .. }) if level == Level::Sub => return Ok(()),
        other => other?,
    };
    state.selectors = scope.clone();
    for entry in &state.helmfiles {
        // helmfile skips, without loading it, a sub-helmfile whose own
        // selectors cannot match anything the command line selects.
        let own = entry.own_selectors();
        if let Some(own) = own
            && (opts.selectors_conflict)(own)
        {
            continue;
        }
        let sub_scope = own.map_or_else(|| state.selectors.clone(), |own| SelectorScope::Explicit(own.to_vec()));
        let values = sub_helmfile_values(&state, entry.values(), opts)?;
        let mut overrides = opts.overrides.clone();
        super::values::merge(&mut overrides, values);
        let at_state = Location { path: state.path.clone(), line: None, column: None };
        let inherited = (!entry.inherits().is_empty())
            .then(|| Inherited::from_parent(&state, entry.inherits(), &at_state))
            .transpose()?;
        // Each entry says what its own sub-helmfiles inherit; nothing is
        // passed further down on its own.
        let sub_opts = LoadOptions { overrides: &overrides, inherited: inherited.as_ref(), ..*opts };
        let handler =
            MissingFileHandler::first_of(&[state.doc.missing_file_handler.as_deref()]).map_err(|message| {
                StateError::Invalid {
                    location: Location { path: state.path.clone(), line: None, column: None },
                    message,
                }
            })?;
        let subs = expand(&state.base_dir, entry.path(), &state.path, &sub_opts)?;
        if subs.is_empty() {
            let message = format!("no matches for path: {}", entry.path());
            if handler == MissingFileHandler::Error {
                return Err(StateError::Invalid {
                    location: Location { path: state.path.clone(), line: None, column: None },
                    message: format!(
                        "the sub-helmfile pattern `{}` matches no file in {}",
                        entry.path(),
                        state.base_dir.display()
                    ),
                });
            }
            state.skipped.push(Skipped { level: handler, message });
        }
        for sub in subs {
            load_tree(&sub, &sub_opts, Level::Sub, &sub_scope, chain, out)?;
        }
    }
    out.push(state);
    Ok(())
}

/// The `values:` of a `helmfiles:` entry, merged.
fn sub_helmfile_values(
    parent: &StateFile,
    entries: &[super::schema::ValuesEntry],
    opts: &LoadOptions<'_>,
) -> Result<serde_yaml_ng::Value, StateError> {
    let inputs = super::environment::EnvironmentInputs {
        name: opts.environment,
        overrides: opts.overrides,
        namespace: opts.namespace,
        state_path: &parent.path,
        base_dir: &parent.base_dir,
        engine: opts.engine,
        inherited: None,
    };
    let mut merged = super::values::empty();
    for entry in entries {
        if let Some(value) = super::environment::load_entry(entry, &parent.environment, &inputs, true)? {
            super::values::merge(&mut merged, value);
        }
    }
    Ok(merged)
}

/// A `helmfiles:` path or glob, relative to the parent's directory.
/// Fetches a remote state file (`-f` or a `helmfiles:` entry) into the
/// source cache; `parent` is the state file naming it, if any.
fn fetch_state(source: &str, opts: &LoadOptions<'_>, parent: Option<&Path>) -> Result<PathBuf, StateError> {
    let location =
        Location { path: parent.map_or_else(|| PathBuf::from(source), Path::to_path_buf), line: None, column: None };
    match opts.engine.fetch_source(source, SourceKind::States, false) {
        Ok(Fetched::Path(path)) if path.is_file() => Ok(path),
        Ok(Fetched::Path(path)) => Err(StateError::Invalid {
            location,
            message: format!("the state file `{source}` is not in what was fetched (no file {})", path.display()),
        }),
        Ok(Fetched::MissingRef) => {
            Err(StateError::Invalid { location, message: format!("`{source}`: its ref does not exist") })
        }
        Err(message) => Err(StateError::Invalid { location, message }),
    }
}

/// The files a `helmfiles:` entry names: a remote reference fetched, a
/// path, or a glob's matches.
fn expand(base_dir: &Path, pattern: &str, parent: &Path, opts: &LoadOptions<'_>) -> Result<Vec<PathBuf>, StateError> {
    if is_remote(pattern) {
        return Ok(vec![fetch_state(pattern, opts, Some(parent))?]);
    }
    let joined = base_dir.join(pattern);
    let text = joined.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        if !joined.exists() {
            return Err(StateError::Invalid {
                location: Location { path: parent.to_path_buf(), line: None, column: None },
                message: format!("the sub-helmfile {} does not exist", joined.display()),
            });
        }
        return Ok(vec![joined]);
    }
    let mut matches: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| StateError::Invalid {
            location: Location { path: parent.to_path_buf(), line: None, column: None },
            message: format!("invalid sub-helmfile pattern `{pattern}`: {e}"),
        })?
        .filter_map(Result::ok)
        .collect();
    matches.sort();
    Ok(matches)
}

/// helmfile's default search. In the current directory (`.`) the names stay
/// bare: `helmfile.yaml`, not `./helmfile.yaml`.
fn default_files(dir: &Path) -> Result<Vec<PathBuf>, StateError> {
    let in_dir = |name: &str| {
        if dir == Path::new(".") { PathBuf::from(name) } else { dir.join(name) }
    };
    let d = in_dir("helmfile.d");
    for name in ["helmfile.yaml", "helmfile.yaml.gotmpl"] {
        let file = in_dir(name);
        if file.is_file() {
            if d.is_dir() {
                return Err(StateError::Ambiguous { file, dir: d });
            }
            return Ok(vec![file]);
        }
    }
    if d.is_dir() {
        let files = files_in_dir(&d)?;
        if !files.is_empty() {
            return Ok(files);
        }
    }
    Err(StateError::NotFound { dir: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()) })
}

/// The `*.yaml` and `*.yaml.gotmpl` files of a directory, in name order.
fn files_in_dir(dir: &Path) -> Result<Vec<PathBuf>, StateError> {
    let mut files: Vec<PathBuf> = fs_err::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            p.is_file() && (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".yaml.gotmpl"))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn load_file(path: &Path, opts: &LoadOptions<'_>) -> Result<StateFile, StateError> {
    let text = super::input::read_input(path)?;
    let base_dir = path
        .parent()
        .map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p })
        .unwrap_or(Path::new("."))
        .to_path_buf();
    parse_state(path, &base_dir, &text, opts)
}

/// Loads one state file's text: layers rendered and merged, then releases
/// labelled, templated and resolved.
pub fn parse_state(path: &Path, base_dir: &Path, text: &str, opts: &LoadOptions<'_>) -> Result<StateFile, StateError> {
    let mut layered = load_layers(path, base_dir, text, opts)?;
    if let Some(inherited) = opts.inherited {
        inherited.merge_into(&mut layered.doc, &Location { path: path.to_path_buf(), line: None, column: None })?;
    }
    if !layered.doc.namespace.is_empty() && !opts.namespace.is_empty() {
        return Err(StateError::Invalid {
            location: Location { path: path.to_path_buf(), line: None, column: None },
            message: format!(
                "the file sets `namespace: {}` for every release, and -n/--namespace sets another; use one of them",
                layered.doc.namespace
            ),
        });
    }
    let defaults = &layered.doc.helm_defaults;
    super::deferred_types::check(&defaults.deferred_keys(), |k| defaults.deferred_value(k)).map_err(|message| {
        StateError::Invalid {
            location: super::parse::locate_key(path, &layered.release_text, "helmDefaults"),
            message: format!("helmDefaults: {message}"),
        }
    })?;
    let count = layered.doc.releases.len();
    let lines = release_lines(&layered.release_text, count);
    let templating = ReleaseTemplating {
        engine: opts.engine,
        environment: &layered.environment,
        namespace: opts.namespace,
        state_path: path,
        base_dir,
    };
    let mut releases = Vec::with_capacity(count);
    let specs = std::mem::take(&mut layered.doc.releases);
    for (spec, line) in specs.into_iter().zip(lines) {
        let location =
            Location { path: path.to_path_buf(), line: line.map(|l| l + layered.release_line_offset), column: None };
        let mut spec = apply_inheritance(spec, &layered.doc.templates, &layered.doc.default_inherit, &location)?;
        // helmfile's ExecuteTemplates: commonLabels win over a release's own.
        for (key, value) in &layered.doc.common_labels {
            spec.labels.insert(key.clone(), value.clone());
        }
        let defaults = &layered.doc.helm_defaults;
        // The release's own kubeContext, else helmDefaults' (the
        // environment's is only where the release is deployed:
        // `cluster_context`).
        if spec.kube_context.is_empty() {
            spec.kube_context = defaults.kube_context.clone();
        }
        spec.skip_deps = spec.skip_deps.or(defaults.skip_deps.then_some(true));
        // helmfile's ExecuteTemplates: the state's apiVersions and
        // kubeVersion apply to releases that set none.
        if spec.api_versions.is_empty() {
            spec.api_versions = layered.doc.api_versions.clone();
        }
        if spec.kube_version.is_empty() {
            spec.kube_version = layered.doc.kube_version.clone();
        }
        spec.skip_refresh = spec.skip_refresh.or(defaults.skip_refresh.then_some(true));
        if spec.post_renderer.is_empty() {
            spec.post_renderer = defaults.post_renderer.clone();
            spec.post_renderer_args = defaults.post_renderer_args.clone();
        }
        let mut spec = templating.apply(spec, &location)?;
        // The file's own overrides, as helmfile's ApplyOverrides: every
        // release to this namespace, kube context or chart.
        let doc = &layered.doc;
        if !doc.namespace.is_empty() {
            spec.namespace = doc.namespace.clone();
        }
        // `-n` is the same override from the command line (helmfile's
        // OverrideNamespace): every command sees the release there.
        if !opts.namespace.is_empty() {
            spec.namespace = opts.namespace.to_string();
        }
        if !doc.kube_context.is_empty() {
            spec.kube_context = doc.kube_context.clone();
        }
        let handler =
            MissingFileHandler::first_of(&[spec.missing_file_handler.as_deref(), doc.missing_file_handler.as_deref()])
                .map_err(|message| StateError::Invalid { location: location.clone(), message })?;
        super::deferred_types::check(&spec.deferred_keys(), |k| spec.deferred_value(k)).map_err(|message| {
            StateError::Invalid { location: location.clone(), message: format!("release `{}`: {message}", spec.name) }
        })?;
        let mut release = Release::resolve(spec, base_dir, location)?;
        if release.cluster_context.is_empty() {
            release.cluster_context.clone_from(&layered.environment.kube_context);
        }
        release.missing_file_handler = handler;
        let repository =
            release.chart_ref.split_once('/').and_then(|(name, _)| doc.repositories.iter().find(|r| r.name == name));
        release.chart_options = ChartOptions::resolve(&release.spec, repository, &doc.helm_defaults);
        if release.spec.missing_file_handler_config.is_none() {
            release.ignore_missing_git_branch =
                doc.missing_file_handler_config.as_ref().is_some_and(|c| c.ignore_missing_git_branch);
        }
        // The file's `chart:` is rendered instead; the release still shows
        // (and is selected by) the chart it names, as in helmfile.
        let chart_override = if opts.chart.is_empty() { &doc.chart } else { opts.chart };
        if !chart_override.is_empty() {
            release.chart = resolve_chart(chart_override, base_dir, release.location.clone())?;
        }
        releases.push(release);
    }
    check_unique(&releases)?;
    let skipped = layered.environment.skipped.clone();
    Ok(StateFile {
        path: path.to_path_buf(),
        base_dir: base_dir.to_path_buf(),
        environment: layered.environment,
        repositories: layered.doc.repositories.clone(),
        helmfiles: layered.doc.helmfiles.clone(),
        selectors: SelectorScope::CommandLine,
        doc: layered.doc,
        releases,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::state::engine::{RenderRequest, TemplateEngine};
    use crate::state::values;

    /// Replaces `{{ .Environment.Name }}` and `{{ .Release.Name }}`: enough to
    /// test the plumbing; the Go engine itself is tested in go-shim.
    struct FakeEngine;

    impl TemplateEngine for FakeEngine {
        fn render(&self, r: RenderRequest<'_>) -> Result<String, String> {
            let env = r.data["Environment"]["Name"].as_str().unwrap_or_default().to_string();
            let release = r.data.get("Release").and_then(|v| v["Name"].as_str()).unwrap_or_default().to_string();
            if r.text.contains("{{ fail }}") {
                return Err(format!("template: {}:1: function \"fail\" not defined", r.name.display()));
            }
            Ok(r.text.replace("{{ .Environment.Name }}", &env).replace("{{ .Release.Name }}", &release))
        }

        fn evaluate_hcl(&self, _files: &[&Path], _secrets: &[&Path], _base_dir: &Path) -> Result<String, String> {
            Err("no HCL in unit tests".into())
        }

        fn decrypt(&self, file: &Path) -> Result<String, String> {
            Err(format!("no sops in unit tests ({})", file.display()))
        }

        fn decrypt_inline(&self, origin: &Path, _document: &str) -> Result<String, String> {
            Err(format!("no sops in unit tests ({})", origin.display()))
        }

        fn resolve_refs(&self, values: &serde_json::Value, _base_dir: &Path) -> Result<serde_json::Value, String> {
            Ok(values.clone())
        }

        fn fetch_source(
            &self,
            source: &str,
            _kind: crate::state::SourceKind,
            _ignore: bool,
        ) -> Result<crate::state::Fetched, String> {
            Err(format!("no remote sources in unit tests ({source})"))
        }
    }

    /// FakeEngine that records where each rendered text came from.
    #[derive(Default)]
    struct RecordingEngine(std::sync::Mutex<Vec<(String, crate::state::TextSource)>>);

    impl TemplateEngine for RecordingEngine {
        fn render(&self, r: RenderRequest<'_>) -> Result<String, String> {
            self.0.lock().unwrap().push((r.text.to_string(), r.source));
            FakeEngine.render(r)
        }
        fn evaluate_hcl(&self, files: &[&Path], secrets: &[&Path], base_dir: &Path) -> Result<String, String> {
            FakeEngine.evaluate_hcl(files, secrets, base_dir)
        }
        fn decrypt(&self, file: &Path) -> Result<String, String> {
            FakeEngine.decrypt(file)
        }
        fn decrypt_inline(&self, origin: &Path, document: &str) -> Result<String, String> {
            FakeEngine.decrypt_inline(origin, document)
        }
        fn resolve_refs(&self, values: &serde_json::Value, base_dir: &Path) -> Result<serde_json::Value, String> {
            FakeEngine.resolve_refs(values, base_dir)
        }
        fn fetch_source(
            &self,
            source: &str,
            kind: crate::state::SourceKind,
            ignore: bool,
        ) -> Result<crate::state::Fetched, String> {
            FakeEngine.fetch_source(source, kind, ignore)
        }
    }

    /// Only texts read from disk as they are may be kept by the engine:
    /// decrypted secrets and templated fields of a rendered state may hold
    /// a secret.
    #[test]
    fn only_texts_read_from_disk_are_marked_reusable() {
        use crate::state::TextSource::{Derived, File};
        let dir = tempfile::tempdir().unwrap();
        let values = dir.path().join("v.yaml.gotmpl");
        std::fs::write(&values, "valuesfile: {{ .Release.Name }}\n").unwrap();
        let engine = RecordingEngine::default();
        let overrides = values::empty();
        let opts = options("default", &overrides, &engine);
        let rendered_state = "releases:\n- name: {{ .Environment.Name }}\n  chart: ./c\n";
        parse_state(&dir.path().join("helmfile.yaml.gotmpl"), dir.path(), rendered_state, &opts).unwrap();
        // A plain helmfile.yaml is not rendered as a whole; its templated
        // fields are.
        let state_text = "releases:\n- name: a\n  chart: ./c\n  installedTemplate: '{{ .Release.Name }}'\n";
        let state = parse_state(&dir.path().join("helmfile.yaml"), dir.path(), state_text, &opts).unwrap();
        let release = &state.releases[0];
        state.render_values_template(release, &values, "", &engine, File).unwrap();
        state.render_values_text(release, &values, "decrypted: {{ .Release.Name }}", "", &engine).unwrap();
        let secrets = dir.path().join("s.yaml.gotmpl");
        std::fs::write(&secrets, "secretsfile: {{ .Release.Name }}\n").unwrap();
        state.render_values_template(release, &secrets, "", &engine, Derived).unwrap();
        // A state read from stdin may have been decrypted on its way.
        let stdin_opts = LoadOptions { render_yaml: true, ..opts };
        parse_state(Path::new("-"), dir.path(), "releases:\n- name: fromstdin\n  chart: ./c\n", &stdin_opts).unwrap();

        let seen = engine.0.lock().unwrap().clone();
        let source_of = |needle: &str| {
            seen.iter().find(|(text, _)| text.contains(needle)).map(|(_, source)| *source).unwrap_or_else(|| {
                panic!("no render of a text with {needle:?} in {seen:?}");
            })
        };
        assert_eq!(source_of("releases:"), File, "the state file as read");
        assert_eq!(source_of("valuesfile:"), File, "a values file as read");
        assert_eq!(source_of("decrypted:"), Derived, "a decrypted secrets file");
        assert_eq!(source_of("secretsfile:"), Derived, "a secrets file as it is on disk");
        assert_eq!(source_of("fromstdin"), Derived, "a state from stdin");
        let field = seen.iter().find(|(text, _)| text == "{{ .Release.Name }}").map(|(_, source)| *source);
        assert_eq!(field, Some(Derived), "a templated field of the rendered state: {seen:?}");
    }

    /// The options of a unit test's load: environment `env`, no overrides.
    fn options<'a>(
        env: &'a str,
        overrides: &'a serde_yaml_ng::Value,
        engine: &'a dyn TemplateEngine,
    ) -> LoadOptions<'a> {
        LoadOptions {
            environment: env,
            overrides,
            namespace: "",
            chart: "",
            engine,
            render_yaml: false,
            selectors_conflict: &|_| false,
            inherited: None,
        }
    }

    fn parse_as(name: &str, env: &str, text: &str) -> Result<StateFile, StateError> {
        let overrides = values::empty();
        parse_state(Path::new(name), Path::new("/base"), text, &options(env, &overrides, &FakeEngine))
    }

    fn parse(text: &str) -> Result<StateFile, StateError> {
        parse_as("helmfile.yaml", "default", text)
    }

    #[test]
    fn a_hand_written_chart_path_replaces_only_a_repository_chart() {
        let state = parse(
            "releases:\n- name: a\n  chart: repo/a\n  chartPath: ./prepared/a\n- name: b\n  chart: ./charts/b\n  chartPath: ./prepared/b\n",
        )
        .unwrap();
        assert_eq!(state.releases[0].chart, crate::state::ChartSource::Local("/base/prepared/a".into()));
        assert_eq!(state.releases[0].chart_ref, "repo/a", "selectors still see the chart as written");
        assert_eq!(state.releases[1].chart, crate::state::ChartSource::Local("/base/charts/b".into()));
    }

    #[test]
    fn releases_resolve_paths_against_the_state_directory() {
        let state = parse("releases:\n- name: a\n  chart: ./charts/a\n  values:\n  - v.yaml\n  - {x: 1}\n").unwrap();
        let release = &state.releases[0];
        assert_eq!(release.chart, crate::state::ChartSource::Local("/base/charts/a".into()));
        assert_eq!(release.values[0], crate::state::ValuesInput::File("/base/v.yaml".into()));
        assert_eq!(release.values[1], crate::state::ValuesInput::Inline(crate::yaml::from_str("x: 1\n").unwrap()));
        assert_eq!(release.location.line, Some(2));
    }

    #[test]
    fn set_values_keep_the_literal_text_of_yaml_scalars() {
        let state = parse(
            "releases:\n- name: a\n  chart: ./c\n  set:\n  - name: v\n    value: 1.50\n  - name: b\n    value: true\n",
        )
        .unwrap();
        let values: Vec<_> = state.releases[0].set.iter().map(|s| s.value.clone().unwrap()).collect();
        assert_eq!(values, vec!["1.50", "true"]);
    }

    #[test]
    fn unknown_keys_are_located_and_get_a_suggestion() {
        let err = parse("releases:\n- name: a\n  chart: ./c\n  namespce: x\n").unwrap_err();
        match err {
            StateError::UnknownKey { location, key, suggestion, section } => {
                assert_eq!((location.line, location.column), (Some(4), Some(3)));
                assert_eq!(key, "namespce");
                assert_eq!(suggestion, Some("namespace"));
                assert_eq!(section, "a release");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_far_off_unknown_key_gets_no_suggestion() {
        let err = parse("zzzqqq: 1\n").unwrap_err();
        assert!(matches!(err, StateError::UnknownKey { suggestion: None, .. }), "{err:?}");
    }

    #[test]
    fn pending_helmfile_keys_are_reported_not_ignored() {
        let err = parse("releases: []\n---\nrepositories:\n- name: r\n  url: https://charts.example\n  managed: acr\n")
            .unwrap_err();
        match err {
            ref e @ StateError::NotSupportedYet { ref key, ref location, .. } => {
                assert_eq!(key, "managed");
                assert!(location.line.is_some(), "{location:?}");
                let hint = e.hint().unwrap_or_default();
                assert!(hint.contains("az acr helm repo add") && hint.contains("oci: true"), "{hint}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn helm_defaults_args_are_kept_as_written() {
        let state = parse("helmDefaults:\n  args: [--wait, --timeout 10m]\n  templateArgs: ['--set a=1']\n").unwrap();
        assert_eq!(state.doc.helm_defaults.args, ["--wait", "--timeout 10m"]);
        assert_eq!(state.doc.helm_defaults.template_args, ["--set a=1"]);
    }

    #[test]
    fn deferred_keys_are_kept_for_cluster_commands_and_do_not_stop_offline_ones() {
        let state = parse("helmDefaults:\n  wait: true\n  kubeContext: ctx\nreleases:\n- name: a\n  chart: ./c\n  trackMode: kubedog\n").unwrap();
        assert_eq!(state.releases[0].spec.deferred_keys(), ["trackMode"]);
        assert_eq!(state.releases[0].kube_context, "ctx", "helmDefaults.kubeContext applies");
        assert_eq!(state.doc.helm_defaults.deferred_keys(), ["wait"]);
    }

    #[test]
    fn the_environments_kube_context_is_the_last_default() {
        let text = "environments:\n  prod:\n    kubeContext: prod-ctx\n---\nreleases:\n- name: a\n  chart: ./c\n- name: b\n  chart: ./c\n  kubeContext: own\n";
        let state = parse_as("helmfile.yaml", "prod", text).unwrap();
        assert_eq!(state.releases[0].cluster_context, "prod-ctx");
        assert_eq!(state.releases[0].kube_context, "", "not part of the release's id, as in helmfile");
        assert_eq!(state.releases[1].cluster_context, "own");
        assert_eq!(state.releases[1].kube_context, "own");
    }

    #[test]
    fn a_release_without_chart_is_invalid() {
        let err = parse("releases:\n- name: a\n").unwrap_err();
        assert!(err.to_string().contains("release `a` has no `chart`"), "{err}");
    }

    #[test]
    fn gotmpl_parts_render_with_the_environment_of_earlier_parts() {
        let text = "environments:\n  prod:\n    values:\n    - {replicas: 3}\n---\nreleases:\n- name: app-{{ .Environment.Name }}\n  chart: ./c\n";
        let state = parse_as("helmfile.yaml.gotmpl", "prod", text).unwrap();
        assert_eq!(state.releases[0].name, "app-prod");
        assert_eq!(state.environment.values["replicas"], serde_yaml_ng::Value::from(3));
        assert_eq!(state.releases[0].location.line, Some(7));
    }

    #[test]
    fn an_undefined_environment_is_an_error_listing_the_defined_ones() {
        let err = parse_as("helmfile.yaml", "staging", "environments:\n  prod: {}\n---\nreleases: []\n").unwrap_err();
        assert!(
            matches!(&err, StateError::UndefinedEnvironment { defined, .. } if defined == &["prod".to_string()]),
            "{err:?}"
        );
    }

    #[test]
    fn release_fields_are_templated_with_the_release() {
        let state = parse("releases:\n- name: api\n  chart: ./c\n  namespace: ns-{{ .Release.Name }}\n").unwrap();
        assert_eq!(state.releases[0].namespace, "ns-api");
    }

    #[test]
    fn common_labels_override_the_releases_own() {
        let state =
            parse("commonLabels: {team: a, tier: x}\nreleases:\n- name: r\n  chart: ./c\n  labels: {tier: y}\n")
                .unwrap();
        assert_eq!(state.releases[0].labels["team"], "a");
        assert_eq!(state.releases[0].labels["tier"], "x");
    }

    #[test]
    fn template_errors_name_the_file() {
        let err = parse_as("helmfile.yaml.gotmpl", "default", "releases: {{ fail }}\n").unwrap_err();
        assert!(err.to_string().contains("helmfile.yaml.gotmpl"), "{err}");
    }

    #[test]
    fn yaml_merge_keys_are_applied() {
        let state = parse("releases:\n- &base\n  name: a\n  chart: ./c\n  namespace: shared\n- <<: *base\n  name: b\n")
            .unwrap();
        assert_eq!(state.releases[1].namespace, "shared");
        assert_eq!(state.releases[1].name, "b");
    }
}
