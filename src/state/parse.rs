//! Parsing one YAML part of a state file into the schema, with errors that
//! name the file, line and column, and suggest the closest valid key.

use std::path::Path;

use serde::Deserialize;

use super::error::{Location, StateError};
use super::release::Release;
use super::schema::{EnvironmentSpec, HelmfileDoc, ReleaseSpec, SetValue};

/// Where a part sits in its file, so that errors point at the file's lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartOrigin<'a> {
    pub path: &'a Path,
    /// Lines of the file before this part (0 for the first).
    pub line_offset: usize,
    /// Whether the text was rendered from a template (its lines are then
    /// those of the rendered text, not of the file).
    pub rendered: bool,
}

/// Parses one part. YAML merge keys (`<<: *anchor`) are applied as helmfile's
/// YAML library applies them.
pub(crate) fn parse_part(text: &str, origin: PartOrigin<'_>) -> Result<HelmfileDoc, StateError> {
    let parsed = if text.contains("<<") {
        serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text).and_then(|mut value| {
            value.apply_merge()?;
            HelmfileDoc::deserialize(value)
        })
    } else {
        // Straight from the text, so that errors carry line and column.
        let mut documents = serde_yaml_ng::Deserializer::from_str(text);
        match documents.next() {
            Some(document) => HelmfileDoc::deserialize(document),
            None => Ok(HelmfileDoc::default()),
        }
    };
    let doc = parsed.map_err(|e| yaml_error(origin, e))?;
    if let Some(key) = doc.pending_keys().first() {
        return Err(not_supported(origin.path, text, key, "the top level"));
    }
    // Pending keys anywhere are reported, never silently ignored.
    let releases = doc.releases.iter().map(|r| (r.pending_keys(), format!("release `{}`", r.name)));
    let templates = doc.templates.iter().map(|(n, t)| (t.pending_keys(), format!("release template `{n}`")));
    let environments = doc
        .environments
        .iter()
        .filter_map(|(n, e)| e.as_ref().map(|e| (e.pending_keys(), format!("environment `{n}`"))));
    let repositories = doc.repositories.iter().map(|r| (r.pending_keys(), format!("repository `{}`", r.name)));
    let helmfiles = doc.helmfiles.iter().filter_map(|h| match h {
        super::schema::SubHelmfileEntry::Spec(spec) => {
            Some((spec.pending_keys(), format!("sub-helmfile `{}`", spec.path)))
        }
        super::schema::SubHelmfileEntry::Path(_) => None,
    });
    let defaults = std::iter::once((doc.helm_defaults.pending_keys(), "helmDefaults".to_string()));
    let hooks = doc
        .hooks
        .iter()
        .chain(doc.releases.iter().flat_map(|r| &r.hooks))
        .map(|h| (h.pending_keys(), format!("hook `{}`", if h.name.is_empty() { &h.command } else { &h.name })));
    for (pending, section) in
        releases.chain(templates).chain(environments).chain(repositories).chain(helmfiles).chain(defaults).chain(hooks)
    {
        if let Some(key) = pending.first() {
            return Err(not_supported(origin.path, text, key, &section));
        }
    }
    Ok(doc)
}

/// helmfile refuses two releases with the same name in one namespace.
pub(crate) fn check_unique(releases: &[Release]) -> Result<(), StateError> {
    for (i, release) in releases.iter().enumerate() {
        if let Some(earlier) = releases[..i].iter().find(|r| r.name == release.name && r.namespace == release.namespace)
        {
            return Err(StateError::Invalid {
                location: release.location.clone(),
                message: format!(
                    "release `{}` in namespace `{}` is declared twice (first at line {})",
                    release.name,
                    release.namespace,
                    earlier.location.line.unwrap_or(0)
                ),
            });
        }
    }
    Ok(())
}

/// Turns a serde_yaml_ng error into a located error, recognising unknown keys
/// to suggest the closest valid one.
fn yaml_error(origin: PartOrigin<'_>, e: serde_yaml_ng::Error) -> StateError {
    let (line, column) =
        e.location().map(|l| (Some(l.line() + origin.line_offset), Some(l.column()))).unwrap_or((None, None));
    let location = Location { path: origin.path.to_path_buf(), line, column };
    let message = e.to_string();
    if let Some(key) = unknown_field(&message) {
        let (section, keys): (&'static str, &[&'static str]) = if message.starts_with("releases[") {
            if message.contains("].set") { ("a set entry", SetValue::KEYS) } else { ("a release", ReleaseSpec::KEYS) }
        } else if message.starts_with("environments.") {
            ("an environment", EnvironmentSpec::KEYS)
        } else {
            ("the top level", HelmfileDoc::KEYS)
        };
        return StateError::UnknownKey { location, suggestion: closest(&key, keys), key, section };
    }
    // Drop serde_yaml_ng's trailing " at line X column Y": the location says it.
    let mut message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    if origin.rendered {
        message.push_str(" (the line is that of the rendered template)");
    }
    StateError::Yaml { location, message }
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.split_once("unknown field `")?.1;
    Some(rest.split_once('`')?.0.to_string())
}

/// The valid key closest to `key`, if any is close enough to be a typo.
pub(crate) fn closest(key: &str, keys: &[&'static str]) -> Option<&'static str> {
    keys.iter()
        .map(|k| (strsim::jaro_winkler(&key.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

fn not_supported(path: &Path, text: &str, key: &str, section: &str) -> StateError {
    StateError::NotSupportedYet {
        location: locate_key(path, text, key),
        key: key.to_string(),
        section: section.to_string(),
    }
}

/// The first line that sets `key`, for errors about keys serde accepted.
pub(crate) fn locate_key(path: &Path, text: &str, key: &str) -> Location {
    let line = text.lines().position(|l| {
        let t = l.trim_start().trim_start_matches("- ").trim_start();
        t.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':'))
    });
    Location { path: path.to_path_buf(), line: line.map(|l| l + 1), column: None }
}

/// Best-effort line numbers of the releases, for messages about a release:
/// the lines of `- name:` items, when there are as many as releases.
pub(crate) fn release_lines(text: &str, count: usize) -> Vec<Option<usize>> {
    let lines: Vec<usize> =
        text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with("- name:")).map(|(i, _)| i + 1).collect();
    if lines.len() == count { lines.into_iter().map(Some).collect() } else { vec![None; count] }
}
