//! [`TemplateEngine`]: how the state layer renders `.gotmpl` files and
//! templated release fields without knowing who renders them.
//!
//! helmfile's templates are Go templates (text/template + sprig + helmfile's
//! functions); only Go renders them faithfully, so the real engine is the Go
//! shim, injected by the commands layer. Keeping it behind a trait keeps this
//! layer free of FFI and lets unit tests use a tiny fake.

use std::path::Path;

/// One template to render.
#[derive(Debug, Clone, Copy)]
pub struct RenderRequest<'a> {
    /// The file the text comes from (named in errors).
    pub name: &'a Path,
    /// The template text.
    pub text: &'a str,
    /// The data (`.Environment`, `.Values`, `.Release`, ...).
    pub data: &'a serde_yaml_ng::Value,
    /// Relative paths in `readFile` and friends resolve against this.
    pub base_dir: &'a Path,
    /// Where `text` comes from, which decides whether the engine may keep
    /// it.
    pub source: TextSource,
}

/// Where a template's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    /// The content (or a `---` part) of the file `name` as read from disk,
    /// never decrypted nor rendered before: the engine may keep its parsed
    /// form for the next render of the same text (many releases list one
    /// `.gotmpl` values file).
    File,
    /// Decrypted, rendered before, or a field of a state file: it may hold
    /// a secret, so the engine keeps nothing of it.
    Derived,
}

/// What the state layer needs done in Go, the way helmfile does it: Go
/// templates, HCL values files, sops-encrypted files, vals `ref+`
/// references and remote (go-getter) sources. Decrypted text and resolved
/// references only ever live in memory.
pub trait TemplateEngine: Send + Sync {
    /// Renders `request.text` with `request.data`; the error is the
    /// engine's message, which names the file, line and function.
    fn render(&self, request: RenderRequest<'_>) -> Result<String, String>;

    /// Evaluates the `.hcl` files of one values list together (they refer
    /// to each other through `hv.`) into one mapping, as YAML text.
    /// `secrets` are sops-encrypted `.hcl` files, decrypted in memory and
    /// evaluated first, as helmfile puts them before the values.
    fn evaluate_hcl(&self, files: &[&Path], secrets: &[&Path], base_dir: &Path) -> Result<String, String>;

    /// The plaintext of a sops-encrypted file; the error names the file and
    /// how to provide a key, never a value.
    fn decrypt(&self, file: &Path) -> Result<String, String>;

    /// The plaintext of a sops-encrypted YAML document written inline in
    /// the state file `origin` (helmfile accepts a map among `secrets:`).
    fn decrypt_inline(&self, origin: &Path, document: &str) -> Result<String, String>;

    /// `values` (a JSON object) with every vals `ref+` reference resolved;
    /// relative file references resolve from `base_dir`.
    fn resolve_refs(&self, values: &serde_json::Value, base_dir: &Path) -> Result<serde_json::Value, String>;

    /// Fetches a remote `source` (see `state/remote.rs`) into the source
    /// cache; the error names the source, credentials masked.
    fn fetch_source(
        &self,
        source: &str,
        kind: super::remote::SourceKind,
        ignore_missing_git_branch: bool,
    ) -> Result<super::remote::Fetched, String>;
}
