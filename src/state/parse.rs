//! Parsing one YAML part of a state file into the schema, with errors that
//! name the file, line and column, and suggest the closest valid key.

use std::path::Path;

use super::error::{Location, StateError};
use super::release::Release;
use super::schema::{
    DependencySpec, EnvironmentSpec, HelmDefaults, HelmfileDoc, HookSpec, InheritSpec, ReleaseSpec, RepositorySpec,
    SetValue, SubHelmfileSpec,
};

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

/// Parses one part with helmfile's YAML rules ([`crate::yaml`]): strict
/// keys, go-yaml v3's typing, merge keys applied.
pub(crate) fn parse_part(text: &str, origin: PartOrigin<'_>) -> Result<HelmfileDoc, StateError> {
    let parsed = crate::yaml::from_str::<HelmfileDoc>(text);
    let doc = parsed.map_err(|e| yaml_error(origin, e, text))?;
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
    // helmfile's release id: kube context, namespace and name.
    let mut seen: std::collections::HashMap<(&str, &str, &str), &Release> = std::collections::HashMap::new();
    for release in releases {
        if let Some(earlier) = seen.insert((&release.kube_context, &release.namespace, &release.name), release) {
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

/// Turns a YAML error into a located error; an unknown key is named with
/// the section it is in and the closest valid key there.
fn yaml_error(origin: PartOrigin<'_>, e: crate::yaml::Error, text: &str) -> StateError {
    let location = Location {
        path: origin.path.to_path_buf(),
        line: e.line.map(|line| line + origin.line_offset),
        column: e.column,
    };
    if let crate::yaml::ErrorKind::UnknownField { field } = &e.kind {
        let parent = &e.path[..e.path.len().saturating_sub(1)];
        let (section, keys) = section_of(parent);
        return StateError::UnknownKey { location, suggestion: closest(field, keys), key: field.clone(), section };
    }
    let mut message = e.message();
    let path = e.path_string();
    if !path.is_empty() {
        message = format!("`{path}`: {message}");
    }
    if origin.rendered {
        message.push_str(" (the line is that of the rendered template)");
    } else if text.contains("{{") {
        // helmfile v1 renders only `.gotmpl` files: `{{ }}` elsewhere is
        // YAML, and usually the reason it does not parse.
        message.push_str(&format!(
            "; {} is not rendered as a template, so its `{{{{ }}}}` are read as YAML: rename it to end in .gotmpl",
            origin.path.display()
        ));
    }
    StateError::Yaml { location, message }
}

/// What the mapping at `path` is, in words, and the keys it accepts.
fn section_of(path: &[crate::yaml::PathSegment]) -> (String, &'static [&'static str]) {
    use crate::yaml::PathSegment::{Index, Key};
    let at = |what: &str| format!("{what} (`{}`)", crate::yaml::path_string(path));
    match path {
        [] => ("the top level".into(), HelmfileDoc::KEYS),
        [Key(k), Index(_)] if k == "releases" => ("a release".into(), ReleaseSpec::KEYS),
        [Key(k), Key(name)] if k == "templates" => (format!("release template `{name}`"), ReleaseSpec::KEYS),
        [Key(k), _] if k == "environments" => ("an environment".into(), EnvironmentSpec::KEYS),
        [Key(k)] if k == "helmDefaults" => ("`helmDefaults`".into(), HelmDefaults::KEYS),
        [Key(k), Index(_)] if k == "repositories" => (at("a repository"), RepositorySpec::KEYS),
        [Key(k), Index(_)] if k == "helmfiles" => (at("a `helmfiles:` entry"), SubHelmfileSpec::KEYS),
        [.., Key(last), Index(_)] => match last.as_str() {
            "set" | "setString" | "setTemplate" => (at("a set entry"), SetValue::KEYS),
            "hooks" => (at("a hook"), HookSpec::KEYS),
            "dependencies" => (at("a dependency"), DependencySpec::KEYS),
            "inherit" => (at("an `inherit` entry"), InheritSpec::KEYS),
            _ => (at("a mapping"), &[]),
        },
        _ => (at("a mapping"), &[]),
    }
}

/// The valid key closest to `key`, if any is close enough to be a typo.
/// Similar spellings (Jaro-Winkler above 0.8) and one-edit typos, swapped
/// letters included (`ulr` for `url`), count.
pub(crate) fn closest(key: &str, keys: &[&'static str]) -> Option<&'static str> {
    let key = key.to_lowercase();
    keys.iter()
        .map(|k| {
            let k_lower = k.to_lowercase();
            let one_edit = key.len() >= 3 && strsim::osa_distance(&key, &k_lower) <= 1;
            let score = strsim::jaro_winkler(&key, &k_lower);
            (if one_edit { score.max(0.81) } else { score }, *k)
        })
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
/// the lines where the items of the top-level `releases:` list start (a
/// release without a `name:` line gets one too), else the lines of
/// `- name:` items, when there are as many as releases.
pub(crate) fn release_lines(text: &str, count: usize) -> Vec<Option<usize>> {
    let items = list_item_lines(text, "releases");
    if items.len() == count {
        return items.into_iter().map(Some).collect();
    }
    let lines: Vec<usize> =
        text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with("- name:")).map(|(i, _)| i + 1).collect();
    if lines.len() == count { lines.into_iter().map(Some).collect() } else { vec![None; count] }
}

/// The 1-based lines starting the items of the block list under the
/// top-level `key:` (items at the indentation of the first one).
fn list_item_lines(text: &str, key: &str) -> Vec<usize> {
    let mut lines = text.lines().enumerate();
    if !lines.any(|(_, l)| l.strip_prefix(key).is_some_and(|rest| rest.trim_end() == ":")) {
        return Vec::new();
    }
    let mut item_indent = None;
    let mut found = Vec::new();
    for (i, line) in lines {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 && !trimmed.starts_with('-') {
            break; // the next top-level key
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            match item_indent {
                None => {
                    item_indent = Some(indent);
                    found.push(i + 1);
                }
                Some(at) if at == indent => found.push(i + 1),
                _ => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_the_key_meant() {
        let keys = &["url", "name", "command", "wait", "timeout"];
        assert_eq!(closest("ulr", keys), Some("url"));
        assert_eq!(closest("comand", keys), Some("command"));
        assert_eq!(closest("waitt", keys), Some("wait"));
        assert_eq!(closest("zzzqqq", keys), None);
    }

    #[test]
    fn releases_are_found_by_their_list_items() {
        let text = "repositories:\n- name: r\n  url: x\nreleases:\n  # first\n  - chart: ./a\n    set:\n    - name: x\n  - name: b\n    chart: ./b\nhelmDefaults: {}\n";
        assert_eq!(release_lines(text, 2), [Some(6), Some(9)]);
        assert_eq!(release_lines("releases: []\n", 0), Vec::<Option<usize>>::new());
    }
}
