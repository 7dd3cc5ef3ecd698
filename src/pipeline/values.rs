//! A release's values as helm gets them, in helmfile's order: its `values:`
//! (plain files passed as they are, `.gotmpl` files rendered with the
//! release's data, inline documents handed over as JSON: helm's YAML 1.1
//! parser would read a string `off` back as `false` if they were re-emitted
//! as plain YAML; helmfile's encoder quotes such strings for the same
//! reason), then its `secrets:` decrypted in memory, then vals `ref+`
//! references resolved where helmfile resolves them: in inline documents,
//! in any document whose text holds `ref+`, and in `set` values.
//!
//! Only the commands that give values to helm resolve them: `list` and
//! `build` show the entries as written, as helmfile does.

use std::path::{Path, PathBuf};

use crate::helm::ValueSource;
use crate::state::{
    Fetched, FileRef, MissingFileHandler, Release, ResolvedFiles, SecretRef, SetValue, Skipped, SourceKind, StateError,
    StateFile, TemplateEngine, TextSource, ValuesInput, nothing_found, resolve_files,
};

/// One resolved values entry.
#[derive(Clone, PartialEq)]
pub enum ResolvedValues {
    /// A file helm reads byte for byte.
    File(PathBuf),
    /// A document helmfire produced: a rendered template, an inline map, a
    /// decrypted secrets file, a document with references resolved.
    Text {
        /// The document.
        text: String,
        /// What it came from, for messages.
        origin: String,
        /// Whether it holds decrypted secrets or resolved references: the
        /// Go side then never quotes it, even in a parse error.
        sensitive: bool,
    },
}

impl std::fmt::Debug for ResolvedValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolvedValues::File(file) => f.debug_tuple("File").field(file).finish(),
            ResolvedValues::Text { origin, text, .. } => {
                write!(f, "Text {{ origin: {origin:?}, {} bytes }}", text.len())
            }
        }
    }
}

impl ResolvedValues {
    /// The entry as the shim takes it.
    pub fn to_source(&self) -> ValueSource {
        match self {
            ResolvedValues::File(file) => ValueSource::File { file: file.clone() },
            ResolvedValues::Text { text, origin, sensitive } => {
                ValueSource::Inline { inline: text.clone(), origin: origin.clone(), sensitive: *sensitive }
            }
        }
    }

    /// The document's text (a file is read), with what it came from.
    pub fn read(&self) -> std::io::Result<(String, String)> {
        match self {
            ResolvedValues::File(file) => {
                let text = crate::state::read_input(file).map_err(std::io::Error::other)?;
                Ok((text, file.display().to_string()))
            }
            ResolvedValues::Text { text, origin, .. } => Ok((text.clone(), origin.clone())),
        }
    }

    fn is_sensitive(&self) -> bool {
        matches!(self, ResolvedValues::Text { sensitive: true, .. })
    }

    /// The document as a values mapping (an empty document is an empty
    /// mapping). A sensitive one is described without quoting it.
    pub fn parse(&self, release: &Release) -> Result<serde_yaml_ng::Value, StateError> {
        let (text, origin) = self.read().map_err(|e| StateError::Invalid {
            location: release.location.clone(),
            message: format!("release `{}`: {e}", release.name),
        })?;
        if self.is_sensitive() {
            // A sensitive document's origin is its file, or the inline
            // document it was resolved from.
            return crate::state::parse_secrets_document(&text, Path::new(&origin));
        }
        crate::yaml::values_from_str(&text).map_err(|e| StateError::Invalid {
            location: release.location.clone(),
            message: format!("release `{}`: parsing {origin}: {e}", release.name),
        })
    }
}

/// How an inline document's origin begins.
const INLINE_ORIGIN: &str = "inline values of release ";

/// Everything helm gets as values for one release: the documents in merge
/// order and the `set`/`setString` entries with references resolved.
#[derive(Debug, Clone, Default)]
pub struct ReleaseValues {
    /// Values documents, merged in order.
    pub documents: Vec<ValueSource>,
    /// `set` entries (helm's `--set`, `--set-file`).
    pub set: Vec<SetValue>,
    /// `setString` entries (helm's `--set-string`).
    pub set_string: Vec<SetValue>,
}

/// helmfile's `env:` entries (kept for compatibility): each sets `name` to
/// the value of the environment variable its `value` names; any that is
/// unset is an error naming all of them, as in helmfile.
fn env_set_entries(release: &Release) -> Result<Vec<SetValue>, StateError> {
    let mut entries = Vec::new();
    let mut missing = Vec::new();
    for entry in &release.spec.env {
        let variable = entry.value.as_deref().unwrap_or_default();
        match std::env::var(variable) {
            Ok(value) => {
                entries.push(SetValue { name: entry.name.clone(), value: Some(value), file: None, values: None })
            }
            Err(_) => missing.push(format!("`{variable}`")),
        }
    }
    if missing.is_empty() {
        return Ok(entries);
    }
    Err(StateError::Invalid {
        location: release.location.clone(),
        message: format!(
            "release `{}`: `env:` names environment variables that are not set: {}; set them, or use `set:` instead",
            release.name,
            missing.join(", ")
        ),
    })
}

/// What resolving a release's values needs.
pub struct ValuesContext<'a> {
    /// The state file declaring the release.
    pub file: &'a StateFile,
    /// The command line's `-n` (`.Namespace` in templates).
    pub namespace: &'a str,
    /// Renders templates, decrypts, resolves references.
    pub engine: &'a dyn TemplateEngine,
    /// Where skipped files are reported.
    pub notices: Notices<'a>,
}

/// Where the notices about files `missingFileHandler` skipped go.
pub enum Notices<'a> {
    /// Said at once.
    Say(&'a crate::output::Printer),
    /// Kept, to be said later: releases resolved in parallel keep theirs
    /// so that they are said in declaration order, as one after the other.
    Keep(&'a std::cell::RefCell<Vec<Skipped>>),
}

impl Notices<'_> {
    fn skipped(&self, skipped: Skipped) {
        match self {
            Notices::Say(printer) => super::session::say_skipped(printer, &skipped),
            Notices::Keep(kept) => kept.borrow_mut().push(skipped),
        }
    }
}

/// `release`'s values exactly as helm gets them: values, then secrets, then
/// references resolved (one vals call per release, so a reference used
/// twice is fetched once, and the vals cache shares it across releases).
pub fn release_values(cx: &ValuesContext<'_>, release: &Release) -> Result<ReleaseValues, StateError> {
    let documents = release_documents(cx, release)?;
    let (mut set, set_string) = resolve_set_references(cx, release)?;
    set.extend(env_set_entries(release)?);
    Ok(ReleaseValues { documents: documents.iter().map(ResolvedValues::to_source).collect(), set, set_string })
}

/// `release`'s values documents as helm gets them (`write-values` merges
/// these): values, then secrets, with references resolved.
pub fn release_documents(cx: &ValuesContext<'_>, release: &Release) -> Result<Vec<ResolvedValues>, StateError> {
    let mut documents = resolve_values(cx, release)?;
    documents.extend(resolve_secrets(cx, release)?);
    resolve_references(cx, release, documents, |_| true)
}

/// What `build --embed-values` puts in place of a release's entries, as
/// helmfile's LoadYAMLForEmbedding: values files rendered, with their
/// references resolved (inline documents stay as written), and secrets
/// files as they are on disk: still encrypted.
pub struct Embedded {
    /// The `values:` documents.
    pub values: Vec<serde_yaml_ng::Value>,
    /// The `secrets:` documents, encrypted.
    pub secrets: Vec<serde_yaml_ng::Value>,
}

/// The documents `build --embed-values` shows for `release`.
pub fn embedded_values(cx: &ValuesContext<'_>, release: &Release) -> Result<Embedded, StateError> {
    let from_file = |document: &ResolvedValues| match document {
        ResolvedValues::File(_) => true,
        ResolvedValues::Text { origin, .. } => !origin.starts_with(INLINE_ORIGIN),
    };
    let documents = resolve_references(cx, release, resolve_values(cx, release)?, from_file)?;
    let values = documents.iter().map(|d| d.parse(release)).collect::<Result<_, _>>()?;
    let mut secrets = Vec::new();
    for entry in &release.secrets {
        let pattern = match entry {
            SecretRef::File(pattern) => pattern,
            SecretRef::Inline(map) => {
                secrets.push(serde_yaml_ng::Value::Mapping(map.clone()));
                continue;
            }
        };
        let Some(path) = one_file(cx, release, pattern, "secrets", release.secrets_missing_file_handler)? else {
            continue;
        };
        let document = if path.to_string_lossy().ends_with(".gotmpl") {
            // As it is on disk, not decrypted, but a secrets file still.
            let text = cx.file.render_values_template(release, &path, cx.namespace, cx.engine, TextSource::Derived)?;
            ResolvedValues::Text { text, origin: path.display().to_string(), sensitive: false }
        } else {
            ResolvedValues::File(path)
        };
        secrets.push(document.parse(release)?);
    }
    Ok(Embedded { values, secrets })
}

/// Resolves `release`'s `values:` entries, in order, without resolving
/// references (what `build --embed-values` starts from). A file entry may
/// be a glob matching one file; one that matches nothing is skipped or
/// refused as the release's `missingFileHandler` says, as helmfile does.
pub fn resolve_values(cx: &ValuesContext<'_>, release: &Release) -> Result<Vec<ResolvedValues>, StateError> {
    let mut resolved = Vec::with_capacity(release.values.len());
    for input in &release.values {
        match input {
            ValuesInput::File(_) | ValuesInput::Template(_) | ValuesInput::Remote(_) => {
                let written = match input {
                    ValuesInput::Remote(source) => FileRef::Remote(source.clone()),
                    ValuesInput::File(path) | ValuesInput::Template(path) => FileRef::Local(path.clone()),
                    ValuesInput::Inline(_) => unreachable!("matched above"),
                };
                let Some(path) = one_file(cx, release, &written, "values", release.missing_file_handler)? else {
                    continue;
                };
                // A template is a `.gotmpl` file, fetched ones included.
                resolved.push(if path.to_string_lossy().ends_with(".gotmpl") {
                    ResolvedValues::Text {
                        text: cx.file.render_values_template(
                            release,
                            &path,
                            cx.namespace,
                            cx.engine,
                            TextSource::File,
                        )?,
                        origin: path.display().to_string(),
                        sensitive: false,
                    }
                } else {
                    ResolvedValues::File(path)
                });
            }
            ValuesInput::Inline(map) => resolved.push(ResolvedValues::Text {
                text: crate::yaml::to_json(&serde_yaml_ng::Value::Mapping(map.clone())).to_string(),
                origin: format!("{INLINE_ORIGIN}`{}` in {}", release.name, release.location.path.display()),
                sensitive: false,
            }),
        }
    }
    Ok(resolved)
}

/// `release`'s `secrets:`, decrypted in memory; a `.gotmpl` one is
/// rendered after decryption, as helmfile renders helm-secrets' output.
/// The decrypted text is checked here, so a malformed document is reported
/// without quoting it.
fn resolve_secrets(cx: &ValuesContext<'_>, release: &Release) -> Result<Vec<ResolvedValues>, StateError> {
    let owner = format!("release `{}`", release.name);
    let mut resolved = Vec::with_capacity(release.secrets.len());
    for (index, entry) in release.secrets.iter().enumerate() {
        let pattern = match entry {
            SecretRef::File(pattern) => pattern,
            SecretRef::Inline(map) => {
                resolved.push(inline_secrets(cx, release, index, map)?);
                continue;
            }
        };
        let Some(path) = one_file(cx, release, pattern, "secrets", release.secrets_missing_file_handler)? else {
            continue;
        };
        let mut text = crate::state::decrypt_secrets(cx.engine, &path, &owner, &release.location)?;
        if path.to_string_lossy().ends_with(".gotmpl") {
            text = cx.file.render_values_text(release, &path, &text, cx.namespace, cx.engine)?;
        }
        crate::state::parse_secrets_document(&text, &path)?;
        resolved.push(ResolvedValues::Text { text, origin: path.display().to_string(), sensitive: true });
    }
    Ok(resolved)
}

/// An encrypted document written among a release's `secrets:`, decrypted
/// in memory. helmfile writes it to a temporary file for helm-secrets;
/// sops only needs its bytes, in the order they were written (the MAC
/// covers the values in that order, which the state's mapping keeps).
fn inline_secrets(
    cx: &ValuesContext<'_>,
    release: &Release,
    index: usize,
    map: &serde_yaml_ng::Mapping,
) -> Result<ResolvedValues, StateError> {
    let owner = format!("release `{}`: secrets[{index}] (an inline document)", release.name);
    let document = crate::yaml::to_string(&serde_yaml_ng::Value::Mapping(map.clone()), crate::yaml::KeyOrder::AsGiven);
    let text = cx.engine.decrypt_inline(&release.location.path, &document).map_err(|message| StateError::Invalid {
        location: release.location.clone(),
        message: format!("{owner}: {message}"),
    })?;
    crate::state::parse_secrets_document(&text, &release.location.path)?;
    Ok(ResolvedValues::Text { text, origin: owner, sensitive: true })
}

/// Resolves the vals references in the documents `applies` picks whose text
/// holds `ref+` (helmfile's test), all in one call; the others pass
/// unchanged. A resolved document goes to helm as JSON.
pub fn resolve_references(
    cx: &ValuesContext<'_>,
    release: &Release,
    documents: Vec<ResolvedValues>,
    applies: impl Fn(&ResolvedValues) -> bool,
) -> Result<Vec<ResolvedValues>, StateError> {
    let invalid = |message: String| StateError::Invalid {
        location: release.location.clone(),
        message: format!("release `{}`: {message}", release.name),
    };
    let mut pending = Vec::new();
    let mut parsed = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        if !applies(document) {
            continue;
        }
        let (text, origin) = document.read().map_err(|e| invalid(e.to_string()))?;
        if !text.contains("ref+") {
            continue;
        }
        pending.push((index, origin));
        parsed.push(crate::yaml::to_json(&document.parse(release)?));
    }
    if pending.is_empty() {
        return Ok(documents);
    }
    let resolved = resolve_list(cx, release, parsed)?;
    let mut documents = documents;
    for ((index, origin), value) in pending.into_iter().zip(resolved) {
        documents[index] = ResolvedValues::Text { text: value.to_string(), origin, sensitive: true };
    }
    Ok(documents)
}

/// `set` and `setString` values with their references resolved, as
/// helmfile's `renderValsSecrets` does (a resolved value that is not a
/// string is written as Go's `%v` would; helm parses it again).
fn resolve_set_references(
    cx: &ValuesContext<'_>,
    release: &Release,
) -> Result<(Vec<SetValue>, Vec<SetValue>), StateError> {
    let mut set = release.set.clone();
    let mut set_string = release.set_string.clone();
    let mut slots: Vec<&mut String> = Vec::new();
    for entry in set.iter_mut().chain(set_string.iter_mut()) {
        if let Some(value) = entry.value.as_mut() {
            slots.push(value);
        }
        if let Some(values) = entry.values.as_mut() {
            slots.extend(values.iter_mut());
        }
    }
    let slots: Vec<&mut String> = slots.into_iter().filter(|s| s.contains("ref+")).collect();
    if slots.is_empty() {
        return Ok((set, set_string));
    }
    let inputs: Vec<serde_json::Value> = slots.iter().map(|s| serde_json::Value::String(s.to_string())).collect();
    let resolved = resolve_list(cx, release, inputs)?;
    for (slot, value) in slots.into_iter().zip(resolved) {
        *slot = go_sprint(&value);
    }
    Ok((set, set_string))
}

/// One vals call over `items`, as helmfile's `Eval(map{"values": items})`.
fn resolve_list(
    cx: &ValuesContext<'_>,
    release: &Release,
    items: Vec<serde_json::Value>,
) -> Result<Vec<serde_json::Value>, StateError> {
    let count = items.len();
    let request = serde_json::json!({ "values": items });
    let invalid = |message: String| StateError::Invalid {
        location: release.location.clone(),
        message: format!("release `{}`: {message}", release.name),
    };
    let out = cx.engine.resolve_refs(&request, &cx.file.base_dir).map_err(invalid)?;
    match out.get("values").and_then(|v| v.as_array()) {
        Some(list) if list.len() == count => Ok(list.clone()),
        _ => Err(invalid("resolving secret references returned a different shape than was sent".into())),
    }
}

/// A resolved reference as Go's `fmt.Sprintf("%v")` writes it (maps with
/// sorted keys, as Go prints them).
fn go_sprint(value: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match value {
        J::String(s) => s.clone(),
        J::Null => "<nil>".into(),
        J::Array(items) => format!("[{}]", items.iter().map(go_sprint).collect::<Vec<_>>().join(" ")),
        J::Object(map) => {
            let mut entries: Vec<(&String, &J)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let parts: Vec<String> = entries.iter().map(|(k, v)| format!("{k}:{}", go_sprint(v))).collect();
            format!("map[{}]", parts.join(" "))
        }
        other => other.to_string(),
    }
}

/// The one file `written` names (fetched first when it is remote), or None
/// when it names none and `handler` says to go on without it.
fn one_file(
    cx: &ValuesContext<'_>,
    release: &Release,
    written: &FileRef,
    title: &str,
    handler: MissingFileHandler,
) -> Result<Option<PathBuf>, StateError> {
    let invalid = |message: String| StateError::Invalid {
        location: release.location.clone(),
        message: format!("release `{}`: {message}", release.name),
    };
    let resolved = match written {
        FileRef::Local(pattern) => resolve_files(pattern, title, &cx.file.base_dir, handler),
        FileRef::Remote(source) => {
            match cx
                .engine
                .fetch_source(source, SourceKind::Values, release.ignore_missing_git_branch)
                .map_err(invalid)?
            {
                // Named as written when nothing in the fetched tree matches.
                Fetched::Path(path) => {
                    match resolve_files(&path, title, &cx.file.base_dir, MissingFileHandler::Error) {
                        Ok(found) => Ok(found),
                        Err(_) => nothing_found(source, title, &cx.file.base_dir, handler),
                    }
                }
                Fetched::MissingRef => nothing_found(source, title, &cx.file.base_dir, handler),
            }
        }
    };
    match resolved.map_err(invalid)? {
        ResolvedFiles::Skipped(skipped) => {
            cx.notices.skipped(skipped);
            Ok(None)
        }
        ResolvedFiles::Found(files) => match files.as_slice() {
            [one] => Ok(Some(one.clone())),
            many => Err(invalid(format!(
                "the {title} file pattern \"{}\" matches {} files; helmfile takes one file per entry, so list them one by one",
                match written {
                    FileRef::Local(pattern) => pattern.display().to_string(),
                    FileRef::Remote(source) => source.clone(),
                },
                many.len()
            ))),
        },
    }
}
