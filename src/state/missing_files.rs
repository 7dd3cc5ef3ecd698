//! helmfile's `missingFileHandler`: what a values file (or a `helmfiles:`
//! glob) that matches nothing means. `Error` (the default) stops; `Warn`,
//! `Info` and `Debug` skip it with a line at that level.

use std::fmt;
use std::path::{Path, PathBuf};

/// What to do about a missing file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissingFileHandler {
    /// Fail (helmfile's default).
    #[default]
    Error,
    /// Skip it with a warning.
    Warn,
    /// Skip it with an info line.
    Info,
    /// Skip it with a debug line.
    Debug,
}

impl MissingFileHandler {
    /// helmfile's spellings; anything else is an error naming them.
    pub fn parse(text: &str) -> Result<MissingFileHandler, String> {
        match text {
            "Error" => Ok(MissingFileHandler::Error),
            "Warn" => Ok(MissingFileHandler::Warn),
            "Info" => Ok(MissingFileHandler::Info),
            "Debug" => Ok(MissingFileHandler::Debug),
            other => Err(format!("missingFileHandler `{other}` is not one of Error, Warn, Info, Debug")),
        }
    }

    /// The first handler set, in helmfile's order (a release's, then the
    /// state's), else `Error`.
    pub fn first_of(candidates: &[Option<&str>]) -> Result<MissingFileHandler, String> {
        candidates.iter().flatten().next().map_or(Ok(MissingFileHandler::Error), |text| Self::parse(text))
    }
}

impl fmt::Display for MissingFileHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MissingFileHandler::Error => "Error",
            MissingFileHandler::Warn => "Warn",
            MissingFileHandler::Info => "Info",
            MissingFileHandler::Debug => "Debug",
        })
    }
}

/// A line about a skipped file, at the handler's level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The handler that decided to skip.
    pub level: MissingFileHandler,
    /// helmfile's message (`skipping missing values file matching "x"`).
    pub message: String,
}

/// What a file entry of `values:` or `secrets:` names, as helmfile's
/// `resolveFile`: the files the pattern matches (a glob or one path), in
/// name order; none is an error or a skip, as the handler says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedFiles {
    /// The matching files (at least one).
    Found(Vec<PathBuf>),
    /// Nothing matched and the handler said to go on.
    Skipped(Skipped),
}

/// Resolves `pattern` (absolute, possibly a glob). `title` names the kind
/// of file in messages (`values`, `secrets`, `environment values`), and
/// `base_dir` is where the state file looks, as helmfile's messages say.
pub fn resolve_files(
    pattern: &Path,
    title: &str,
    base_dir: &Path,
    handler: MissingFileHandler,
) -> Result<ResolvedFiles, String> {
    let text = pattern.to_string_lossy();
    let found: Vec<PathBuf> = if text.contains(['*', '?', '[']) {
        let mut found: Vec<PathBuf> = glob::glob(&text)
            .map(|paths| paths.filter_map(Result::ok).filter(|p| p.is_file()).collect())
            .unwrap_or_default();
        found.sort();
        found
    } else if pattern.exists() {
        vec![pattern.to_path_buf()]
    } else {
        Vec::new()
    };
    if !found.is_empty() {
        return Ok(ResolvedFiles::Found(found));
    }
    let shown = pattern.strip_prefix(base_dir).unwrap_or(pattern).display().to_string();
    nothing_found(&shown, title, base_dir, handler)
}

/// What `handler` makes of a pattern, shown as `shown`, that names no file.
pub fn nothing_found(
    shown: &str,
    title: &str,
    base_dir: &Path,
    handler: MissingFileHandler,
) -> Result<ResolvedFiles, String> {
    if handler == MissingFileHandler::Error {
        return Err(format!(
            "{title} file matching \"{shown}\" does not exist in \"{}\"; create it, or set `missingFileHandler: Warn` to skip missing files",
            base_dir.display()
        ));
    }
    Ok(ResolvedFiles::Skipped(Skipped {
        level: handler,
        message: format!("skipping missing {title} file matching \"{shown}\""),
    }))
}
