//! The selected environment: its name, kube context and values, gathered as
//! helmfile gathers them (top-level `values:`, then the environment's own
//! `values:`, then `--state-values-*` from the command line).

use std::path::Path;

use serde_yaml_ng::{Mapping, Value};

use super::engine::{RenderRequest, TemplateEngine, TextSource};
use super::error::{Location, StateError};
use super::missing_files::{MissingFileHandler, ResolvedFiles, Skipped, resolve_files};
use super::remote::{Fetched, SourceKind, is_remote};
use super::schema::{HelmfileDoc, ValuesEntry};
use super::secrets::{decrypt, parse_document};
use super::values::{empty, merge, merge_fallback};

/// helmfile's implicit environment.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// The environment a state file is loaded for.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// `-e`, or `default`.
    pub name: String,
    /// The environment's `kubeContext`, possibly empty.
    pub kube_context: String,
    /// The merged environment values (`.Values` in templates).
    pub values: Value,
    /// Secrets files `missingFileHandler` skipped, to report.
    pub skipped: Vec<Skipped>,
}

impl Environment {
    /// The environment before any part of the state file is read: only the
    /// command line's state values.
    pub fn initial(name: &str, overrides: &Value) -> Self {
        Environment {
            name: name.to_string(),
            kube_context: String::new(),
            values: overrides.clone(),
            skipped: Vec::new(),
        }
    }

    /// The data helmfile gives state-file templates.
    pub fn template_data(&self, namespace: &str) -> Value {
        let mut env = Mapping::new();
        env.insert("Name".into(), self.name.clone().into());
        env.insert("KubeContext".into(), self.kube_context.clone().into());
        env.insert("Values".into(), self.values.clone());
        let mut data = Mapping::new();
        data.insert("Environment".into(), Value::Mapping(env));
        data.insert("Values".into(), self.values.clone());
        data.insert("StateValues".into(), self.values.clone());
        data.insert("Namespace".into(), namespace.into());
        Value::Mapping(data)
    }
}

/// What the environment is gathered from.
pub(crate) struct EnvironmentInputs<'a> {
    pub name: &'a str,
    pub overrides: &'a Value,
    pub namespace: &'a str,
    pub state_path: &'a Path,
    pub base_dir: &'a Path,
    pub engine: &'a dyn TemplateEngine,
    /// The parent's environment a sub-helmfile inherits (`inherits:
    /// [environments]`): the base its own values merge over.
    pub inherited: Option<&'a Environment>,
}

/// Computes the environment from the state merged so far.
pub(crate) fn gather(doc: &HelmfileDoc, inputs: &EnvironmentInputs<'_>) -> Result<Environment, StateError> {
    let spec = doc.environments.get(inputs.name).cloned().flatten().unwrap_or_default();
    let mut env = Environment {
        name: inputs.name.to_string(),
        kube_context: spec.kube_context.clone(),
        values: inputs.inherited.map_or_else(empty, |parent| parent.values.clone()),
        skipped: Vec::new(),
    };
    // An inherited kube context wins, as helmfile's context environment does.
    if let Some(parent) = inputs.inherited.filter(|p| !p.kube_context.is_empty()) {
        env.kube_context.clone_from(&parent.kube_context);
    }
    let missing_is_error = matches!(spec.missing_file_handler.as_str(), "" | "Error");
    let fallback = match spec.merge_strategy.as_str() {
        "" | "override" => false,
        "fallback" => true,
        other => {
            return Err(StateError::Invalid {
                location: Location { path: inputs.state_path.to_path_buf(), line: None, column: None },
                message: format!(
                    "environment `{}` has mergeStrategy `{other}`; use `override` or `fallback`",
                    inputs.name
                ),
            });
        }
    };
    // helmfile's order: the top-level list, then the environment's own;
    // within a list, YAML entries in order, then its HCL files together.
    // `fallback` applies within the environment's own list: its earlier
    // files win over its later ones; the list still wins over the top level.
    // The environment's secrets are decrypted first, as helmfile does (a
    // missing key fails before any values file is read): YAML ones merge
    // over its values at the end, whatever the merge strategy; HCL ones are
    // evaluated with its `.hcl` values files, before them.
    let secrets = if spec.secrets.is_empty() {
        EnvironmentSecrets::default()
    } else {
        let handler = MissingFileHandler::first_of(&[
            Some(spec.missing_file_handler.as_str()).filter(|h| !h.is_empty()),
            doc.missing_file_handler.as_deref(),
        ])
        .map_err(|message| StateError::Invalid { location: at_state(inputs), message })?;
        environment_secrets(&spec.secrets, handler, inputs, &mut env.skipped)?
    };
    for (list, strategy_applies) in [(&doc.values, false), (&spec.values, true)] {
        let combine = |into: &mut Value, new: Value| {
            if fallback && strategy_applies { merge_fallback(into, new) } else { merge(into, new) }
        };
        let mut list_values = empty();
        let mut hcl_files = Vec::new();
        let local: Vec<ValuesEntry> = list.iter().map(|e| fetched(e, inputs)).collect::<Result<_, _>>()?;
        for entry in local.iter().flat_map(|e| expand_glob(e, inputs.base_dir)) {
            let entry = &entry;
            if let ValuesEntry::File(file) = entry
                && file.ends_with(".hcl")
            {
                let path = inputs.base_dir.join(file);
                let path = std::path::absolute(&path).unwrap_or(path);
                if path.is_file() || missing_is_error {
                    hcl_files.push(path);
                }
                continue;
            }
            // `.gotmpl` files see everything gathered so far.
            let mut so_far = env.clone();
            merge(&mut so_far.values, list_values.clone());
            if let Some(values) = load_entry(entry, &so_far, inputs, missing_is_error)? {
                combine(&mut list_values, values);
            }
        }
        let hcl_secrets: &[std::path::PathBuf] = if strategy_applies { &secrets.hcl } else { &[] };
        if !hcl_files.is_empty() || !hcl_secrets.is_empty() {
            combine(&mut list_values, evaluate_hcl(&hcl_files, hcl_secrets, inputs)?);
        }
        if strategy_applies {
            merge(&mut list_values, secrets.yaml.clone());
        }
        merge(&mut env.values, list_values);
    }
    merge(&mut env.values, inputs.overrides.clone());
    Ok(env)
}

fn at_state(inputs: &EnvironmentInputs<'_>) -> Location {
    Location { path: inputs.state_path.to_path_buf(), line: None, column: None }
}

/// An environment's `secrets:`: the YAML and JSON ones decrypted and
/// merged, the HCL ones left for the HCL evaluation.
struct EnvironmentSecrets {
    yaml: Value,
    hcl: Vec<std::path::PathBuf>,
}

impl Default for EnvironmentSecrets {
    fn default() -> Self {
        // An empty mapping, not null: merging null would erase the values.
        EnvironmentSecrets { yaml: empty(), hcl: Vec::new() }
    }
}

/// The environment's `secrets:` decrypted and merged in order (globs
/// expand to their files in name order, as helmfile expands them).
fn environment_secrets(
    patterns: &[String],
    handler: MissingFileHandler,
    inputs: &EnvironmentInputs<'_>,
    skipped: &mut Vec<Skipped>,
) -> Result<EnvironmentSecrets, StateError> {
    let owner = format!("environment `{}`", inputs.name);
    let mut merged = empty();
    let mut hcl = Vec::new();
    for pattern in patterns {
        let pattern = fetch_remote(pattern, inputs)?.unwrap_or_else(|| inputs.base_dir.join(pattern));
        let files =
            match resolve_files(&pattern, "environment values", inputs.base_dir, handler).map_err(|message| {
                StateError::Invalid { location: at_state(inputs), message: format!("{owner}: {message}") }
            })? {
                ResolvedFiles::Found(files) => files,
                ResolvedFiles::Skipped(skip) => {
                    skipped.push(skip);
                    continue;
                }
            };
        for file in files {
            if file.extension().is_some_and(|e| e == "hcl") {
                hcl.push(file);
                continue;
            }
            let text = decrypt(inputs.engine, &file, &owner, &at_state(inputs))?;
            merge(&mut merged, parse_document(&text, &file)?);
        }
    }
    Ok(EnvironmentSecrets { yaml: merged, hcl })
}

fn evaluate_hcl(
    files: &[std::path::PathBuf],
    secrets: &[std::path::PathBuf],
    inputs: &EnvironmentInputs<'_>,
) -> Result<Value, StateError> {
    let refs: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    let secrets: Vec<&Path> = secrets.iter().map(|f| f.as_path()).collect();
    let location = Location { path: inputs.state_path.to_path_buf(), line: None, column: None };
    let text = inputs
        .engine
        .evaluate_hcl(&refs, &secrets, inputs.base_dir)
        .map_err(|message| StateError::Template { location: location.clone(), message })?;
    crate::yaml::values_from_str(&text)
        .map_err(|e| StateError::Invalid { location, message: format!("HCL values: {e}") })
}

/// A remote values file (`git::...`), fetched: its entry becomes the
/// fetched file's absolute path. Anything else is returned as it is.
fn fetched(entry: &ValuesEntry, inputs: &EnvironmentInputs<'_>) -> Result<ValuesEntry, StateError> {
    let ValuesEntry::File(file) = entry else { return Ok(entry.clone()) };
    let Some(path) = fetch_remote(file, inputs)? else { return Ok(entry.clone()) };
    Ok(ValuesEntry::File(path.display().to_string()))
}

/// The local path of `written` when it is a remote reference (None when it
/// is not one), fetched into the source cache.
fn fetch_remote(written: &str, inputs: &EnvironmentInputs<'_>) -> Result<Option<std::path::PathBuf>, StateError> {
    if !is_remote(written) {
        return Ok(None);
    }
    let failed = |message: String| StateError::Invalid {
        location: at_state(inputs),
        message: format!("environment `{}`: {message}", inputs.name),
    };
    match inputs.engine.fetch_source(written, SourceKind::Values, false).map_err(failed)? {
        Fetched::Path(path) => Ok(Some(path)),
        Fetched::MissingRef => Err(failed(format!("`{written}`: its ref does not exist"))),
    }
}

/// A values file entry written as a glob becomes one entry per matching
/// file, in name order, as helmfile expands environment values; a glob that
/// matches nothing stays as written, so it is reported as missing.
fn expand_glob(entry: &ValuesEntry, base_dir: &Path) -> Vec<ValuesEntry> {
    let ValuesEntry::File(file) = entry else { return vec![entry.clone()] };
    if !file.contains(['*', '?', '[']) {
        return vec![entry.clone()];
    }
    let pattern = base_dir.join(file);
    let mut matches: Vec<std::path::PathBuf> =
        glob::glob(&pattern.to_string_lossy()).map(|paths| paths.filter_map(Result::ok).collect()).unwrap_or_default();
    if matches.is_empty() {
        return vec![entry.clone()];
    }
    matches.sort();
    matches.into_iter().map(|m| ValuesEntry::File(m.display().to_string())).collect()
}

/// Loads one values entry (a file, rendered first when it is `.gotmpl`, or
/// an inline document); None for an empty document or a missing file that
/// is not an error.
pub(crate) fn load_entry(
    entry: &ValuesEntry,
    env_so_far: &Environment,
    inputs: &EnvironmentInputs<'_>,
    missing_is_error: bool,
) -> Result<Option<Value>, StateError> {
    let at_state = || Location { path: inputs.state_path.to_path_buf(), line: None, column: None };
    let file = match entry {
        ValuesEntry::Inline(map) => return Ok(Some(Value::Mapping(map.clone()))),
        ValuesEntry::File(file) => fetch_remote(file, inputs)?.unwrap_or_else(|| inputs.base_dir.join(file)),
    };
    if !file.exists() {
        if missing_is_error {
            return Err(StateError::Invalid {
                location: at_state(),
                message: format!("the values file {} of environment `{}` does not exist", file.display(), inputs.name),
            });
        }
        return Ok(None);
    }
    let mut text = super::input::read_input(&file)?;
    if file.to_string_lossy().ends_with(".gotmpl") {
        let data = env_so_far.template_data(inputs.namespace);
        let dir = file.parent().unwrap_or(inputs.base_dir);
        text = inputs
            .engine
            .render(RenderRequest { name: &file, text: &text, data: &data, base_dir: dir, source: TextSource::File })
            .map_err(|message| StateError::Template {
                location: Location { path: file.clone(), line: None, column: None },
                message,
            })?;
    }
    let value: Value = crate::yaml::from_str(&text).map_err(|e| StateError::Yaml {
        location: Location { path: file.clone(), line: e.line, column: e.column },
        message: e.to_string(),
    })?;
    Ok(match value {
        Value::Null => None,
        other => Some(other),
    })
}
