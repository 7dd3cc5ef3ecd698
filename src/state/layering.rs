//! helmfile's `---` layering: a state file is split into parts; each part is
//! rendered (for `.gotmpl` files) with the environment gathered from the
//! parts before it, parsed, and merged over them.

use std::path::Path;

use serde_yaml_ng::Value;

use super::engine::{RenderRequest, TemplateEngine, TextSource};
use super::environment::{DEFAULT_ENVIRONMENT, Environment, EnvironmentInputs, gather};
use super::error::{Location, StateError};
use super::parse::{PartOrigin, parse_part};
use super::policy;
use super::schema::{HelmfileDoc, Omit};

/// What loading a state depends on beyond its files.
#[derive(Clone, Copy)]
pub struct LoadOptions<'a> {
    /// `-e`: the environment to load.
    pub environment: &'a str,
    /// `--state-values-set`, `--state-values-set-string` and
    /// `--state-values-file`, merged: they override environment values.
    pub overrides: &'a Value,
    /// `-n` (`.Namespace` in templates), empty when not given.
    pub namespace: &'a str,
    /// `-c`: the chart every release renders instead of its own (as the
    /// file's own `chart:`, which it overrides); empty when not given.
    pub chart: &'a str,
    /// Renders Go templates.
    pub engine: &'a dyn TemplateEngine,
    /// Render plain `.yaml` files too (helmfile's `HELMFILE_RENDER_YAML=true`).
    pub render_yaml: bool,
    /// Whether a sub-helmfile's own selectors can match nothing the
    /// command line selects (then it is skipped unloaded, as in helmfile).
    pub selectors_conflict: &'a dyn Fn(&[String]) -> bool,
    /// What a sub-helmfile inherits from the file naming it (`inherits:`).
    pub inherited: Option<&'a super::inherits::Inherited>,
}

impl std::fmt::Debug for LoadOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("environment", &self.environment)
            .field("namespace", &self.namespace)
            .field("render_yaml", &self.render_yaml)
            .finish_non_exhaustive()
    }
}

/// A state file's parts, merged, with the environment they produced.
pub(crate) struct Layered {
    pub doc: HelmfileDoc,
    pub environment: Environment,
    /// The text the releases were parsed from, for locating them.
    pub release_text: String,
    /// Lines of the file before that text.
    pub release_line_offset: usize,
}

/// Renders, parses and merges the parts of one state file.
pub(crate) fn load_layers(
    path: &Path,
    base_dir: &Path,
    text: &str,
    opts: &LoadOptions<'_>,
) -> Result<Layered, StateError> {
    load_file_layers(path, base_dir, text, opts, Kind::State)
}

/// The environment before any part of a state file is read: the command
/// line's state values, over the parent's environment when it is inherited.
fn initial_environment(opts: &LoadOptions<'_>) -> Environment {
    let mut environment = Environment::initial(opts.environment, opts.overrides);
    if let Some(parent) = opts.inherited.and_then(|i| i.environment.as_ref()) {
        let mut values = parent.values.clone();
        super::values::merge(&mut values, opts.overrides.clone());
        environment.values = values;
        environment.kube_context.clone_from(&parent.kube_context);
    }
    environment
}

/// A state file, or a file named by `bases:`.
#[derive(Clone, Copy)]
enum Kind<'a> {
    State,
    /// Rendered with the environment of the part that names it; its own
    /// `bases:` are refused and the environment checks are left to the
    /// state file, as helmfile does.
    Base(&'a Environment),
}

fn load_file_layers(
    path: &Path,
    base_dir: &Path,
    text: &str,
    opts: &LoadOptions<'_>,
    kind: Kind<'_>,
) -> Result<Layered, StateError> {
    let at_file = || Location { path: path.to_path_buf(), line: None, column: None };
    let undefined = |merged: &HelmfileDoc| StateError::UndefinedEnvironment {
        location: at_file(),
        name: opts.environment.to_string(),
        defined: merged.environments.keys().cloned().collect(),
    };
    let text = text.replace("\r\n", "\n");
    let render = opts.render_yaml || path.to_string_lossy().ends_with(".gotmpl");
    // A state read from stdin (`-f -`) may have been decrypted on its way
    // (`sops -d helmfile.yaml | helmfire -f -`): the engine keeps nothing
    // of it.
    let source = if path == Path::new("-") { TextSource::Derived } else { TextSource::File };
    if let Err(violation) = policy::check(&text) {
        // A template that fails (`{{ fail "..." }}`) says why it failed
        // rather than what its unrendered text lacks.
        if render {
            let start = match kind {
                Kind::State => initial_environment(opts),
                Kind::Base(start) => start.clone(),
            };
            let data = start.template_data(opts.namespace);
            for part in text.split("\n---\n") {
                opts.engine
                    .render(RenderRequest { name: path, text: part, data: &data, base_dir, source })
                    .map_err(|message| StateError::Template { location: at_file(), message })?;
            }
        }
        return Err(StateError::Policy { location: at_file(), violation });
    }

    let inputs = EnvironmentInputs {
        name: opts.environment,
        overrides: opts.overrides,
        namespace: opts.namespace,
        state_path: path,
        base_dir,
        engine: opts.engine,
        inherited: opts.inherited.and_then(|i| i.environment.as_ref()),
    };
    let mut environment = match kind {
        Kind::State => initial_environment(opts),
        Kind::Base(start) => start.clone(),
    };
    let mut merged = HelmfileDoc::default();
    let mut release_text = String::new();
    let mut release_line_offset = 0;
    let mut line_offset = 0;
    for part in text.split("\n---\n") {
        let rendered = if render {
            let data = environment.template_data(opts.namespace);
            opts.engine
                .render(RenderRequest { name: path, text: part, data: &data, base_dir, source })
                .map_err(|message| StateError::Template { location: at_file(), message })?
        } else {
            part.to_string()
        };
        let mut doc = parse_part(&rendered, PartOrigin { path, line_offset, rendered: render })?;
        if !doc.bases.is_empty() {
            if let Kind::Base(_) = kind {
                return Err(StateError::Invalid {
                    location: at_file(),
                    message: "a file named in `bases:` has `bases:` of its own, which helmfile does not support either"
                        .into(),
                });
            }
            let mut named_at = super::parse::locate_key(path, &rendered, "bases");
            named_at.line = named_at.line.map(|l| l + line_offset);
            doc = with_bases(doc, base_dir, opts, &environment, &named_at)?;
        }
        if !doc.releases.is_empty() {
            release_text = rendered;
            release_line_offset = line_offset;
        }
        let defines_environment = !doc.environments.is_empty() || !doc.values.is_empty();
        merged.merge_from(doc);
        if defines_environment {
            environment = gather(&merged, &inputs)?;
        }
        // As helmfile: once environments are defined, the selected one must
        // be among them before any later part renders with its values
        // (unless it comes from the parent, `inherits: [environments]`).
        if matches!(kind, Kind::State)
            && inputs.inherited.is_none()
            && !merged.environments.is_empty()
            && opts.environment != DEFAULT_ENVIRONMENT
            && !merged.environments.contains_key(opts.environment)
        {
            return Err(undefined(&merged));
        }
        line_offset += part.lines().count() + 1;
    }

    // No environments at all: only an error when nothing else supplies
    // environment values (helmfile's `hasEnv`).
    let has_overrides = opts.overrides.as_mapping().is_some_and(|m| !m.is_empty());
    if matches!(kind, Kind::State)
        && inputs.inherited.is_none()
        && merged.environments.is_empty()
        && opts.environment != DEFAULT_ENVIRONMENT
        && !has_overrides
    {
        return Err(undefined(&merged));
    }
    Ok(Layered { doc: merged, environment, release_text, release_line_offset })
}

/// `bases:` of one part: each base file loaded with the environment so
/// far, then the part itself, merged as helmfile's `loadBases` merges them
/// (mergo with appended lists and override).
///
/// Relative paths inside a base (values files, charts, `readFile`, its
/// `helmfiles:`) resolve from `base_dir`, the directory of the state file
/// that names the base, not from the base's own directory: helmfile loads
/// a base with the including file's base path.
fn with_bases(
    doc: HelmfileDoc,
    base_dir: &Path,
    opts: &LoadOptions<'_>,
    environment: &Environment,
    named_at: &Location,
) -> Result<HelmfileDoc, StateError> {
    let mut layers: Option<HelmfileDoc> = None;
    for base in &doc.bases {
        let file = base_dir.join(base);
        if !file.exists() {
            return Err(StateError::Invalid {
                location: named_at.clone(),
                message: format!(
                    "the base `{base}` does not exist (looked for {}); paths in `bases:` are relative to this file's directory",
                    file.display()
                ),
            });
        }
        let text = super::input::read_input(&file)?;
        let layered = load_file_layers(&file, base_dir, &text, opts, Kind::Base(environment))?;
        match &mut layers {
            None => layers = Some(layered.doc),
            Some(acc) => acc.append_from(layered.doc),
        }
    }
    let mut merged = layers.unwrap_or_default();
    let mut own = doc;
    // The names stay (helmfile's `build` prints them; watch mode watches
    // the files); the bases are already merged in.
    let bases = std::mem::take(&mut own.bases);
    merged.append_from(own);
    merged.bases = bases;
    Ok(merged)
}

impl HelmfileDoc {
    /// The file-wide settings a later part (or the file over its bases)
    /// sets win.
    fn take_overrides(&mut self, later: &HelmfileDoc) {
        for (mine, theirs) in [
            (&mut self.namespace, &later.namespace),
            (&mut self.kube_context, &later.kube_context),
            (&mut self.chart, &later.chart),
        ] {
            if !theirs.is_empty() {
                mine.clone_from(theirs);
            }
        }
        if later.missing_file_handler.is_some() {
            self.missing_file_handler.clone_from(&later.missing_file_handler);
        }
        if later.missing_file_handler_config.is_some() {
            self.missing_file_handler_config.clone_from(&later.missing_file_handler_config);
        }
        if later.llm.is_some() {
            self.llm.clone_from(&later.llm);
        }
    }

    /// Merges a layer of `bases:` (mergo with appended slices and override):
    /// lists are concatenated, maps merged, environments merged per name
    /// with their values lists concatenated.
    fn append_from(&mut self, later: HelmfileDoc) {
        self.merge_deferred(&later);
        self.take_overrides(&later);
        self.releases.extend(later.releases);
        self.repositories.extend(later.repositories);
        self.hooks.extend(later.hooks);
        self.api_versions.extend(later.api_versions);
        if !later.kube_version.is_empty() {
            self.kube_version = later.kube_version;
        }
        self.helmfiles.extend(later.helmfiles);
        self.values.extend(later.values);
        if !later.lock_file_path.is_empty() {
            self.lock_file_path = later.lock_file_path;
        }
        if !later.helmfire.is_empty() {
            self.helmfire = later.helmfire;
        }
        self.default_inherit.extend(later.default_inherit);
        self.common_labels.extend(later.common_labels);
        self.templates.extend(later.templates);
        if !later.helm_defaults.omit() {
            self.helm_defaults = later.helm_defaults;
        }
        for (name, spec) in later.environments {
            match (self.environments.get_mut(&name), spec) {
                (Some(Some(existing)), Some(spec)) => {
                    existing.values.extend(spec.values);
                    existing.secrets.extend(spec.secrets);
                    if !spec.kube_context.is_empty() {
                        existing.kube_context = spec.kube_context;
                    }
                    if !spec.missing_file_handler.is_empty() {
                        existing.missing_file_handler = spec.missing_file_handler;
                    }
                    if !spec.merge_strategy.is_empty() {
                        existing.merge_strategy = spec.merge_strategy;
                    }
                }
                (Some(existing @ None), spec) => *existing = spec,
                (Some(Some(_)), None) => {}
                (None, spec) => {
                    self.environments.insert(name, spec);
                }
            }
        }
    }

    /// Merges a later part over this one as helmfile does (mergo with
    /// override): a later non-empty list replaces, maps merge by key.
    fn merge_from(&mut self, later: HelmfileDoc) {
        self.merge_deferred(&later);
        self.take_overrides(&later);
        self.bases.extend(later.bases);
        if !later.releases.is_empty() {
            self.releases = later.releases;
        }
        if !later.helm_defaults.omit() {
            self.helm_defaults = later.helm_defaults.clone();
        }
        if !later.helmfiles.is_empty() {
            self.helmfiles = later.helmfiles;
        }
        if !later.hooks.is_empty() {
            self.hooks = later.hooks;
        }
        if !later.repositories.is_empty() {
            self.repositories = later.repositories;
        }
        if !later.api_versions.is_empty() {
            self.api_versions = later.api_versions;
        }
        if !later.kube_version.is_empty() {
            self.kube_version = later.kube_version;
        }
        if !later.values.is_empty() {
            self.values = later.values;
        }
        self.environments.extend(later.environments);
        self.common_labels.extend(later.common_labels);
        self.templates.extend(later.templates);
        if !later.default_inherit.is_empty() {
            self.default_inherit = later.default_inherit;
        }
        if !later.lock_file_path.is_empty() {
            self.lock_file_path = later.lock_file_path;
        }
        if !later.helmfire.is_empty() {
            self.helmfire = later.helmfire;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A top-level document setting every key helmfire implements. When a
    /// key is added to the schema this test fails until it is listed here,
    /// and then until layering carries it.
    const EVERY_KEY: &str = "\
releases: [{name: r, chart: ./c}]
environments: {default: {values: [{a: 1}]}}
values: [{b: 2}]
commonLabels: {team: t}
apiVersions: [x/v1]
kubeVersion: v1.30.0
bases: [base.yaml]
helmDefaults: {kubeContext: ctx}
hooks: [{events: [prepare], command: echo}]
helmfiles: [sub.yaml]
repositories: [{name: repo, url: 'https://example.invalid'}]
templates: {t: {chart: ./c}}
defaultInherit: [t]
lockFilePath: my.lock
helmfire: {drift: {ignoreManagers: [hpa]}}
namespace: ns
kubeContext: ctx
chart: ./chart
missingFileHandler: Warn
missingFileHandlerConfig: {ignoreMissingGitBranch: true}
llm: {provider: openai}
";

    fn every_key() -> HelmfileDoc {
        crate::yaml::from_str(EVERY_KEY).unwrap()
    }

    #[test]
    fn the_test_document_sets_every_implemented_key() {
        let set: Vec<&str> = EVERY_KEY.lines().filter_map(|l| l.split_once(':').map(|(k, _)| k)).collect();
        let mut missing: Vec<&&str> = HelmfileDoc::IMPLEMENTED.iter().filter(|k| !set.contains(k)).collect();
        missing.sort();
        assert!(missing.is_empty(), "add these keys to EVERY_KEY: {missing:?}");
    }

    #[test]
    fn a_later_part_and_a_base_carry_every_key() {
        let doc = every_key();
        let mut merged = HelmfileDoc::default();
        merged.merge_from(doc.clone());
        assert_eq!(serde_yaml_ng::to_value(&merged).unwrap(), serde_yaml_ng::to_value(&doc).unwrap());
        // A base's own `bases:` are refused before merging (with_bases).
        let mut without_bases = doc.clone();
        without_bases.bases.clear();
        let mut appended = HelmfileDoc::default();
        appended.append_from(without_bases.clone());
        assert_eq!(serde_yaml_ng::to_value(&appended).unwrap(), serde_yaml_ng::to_value(&without_bases).unwrap());
    }
}
