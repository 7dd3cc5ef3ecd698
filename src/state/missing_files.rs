//! helmfile's `missingFileHandler`: what a values file (or a `helmfiles:`
//! glob) that matches nothing means. `Error` (the default) stops; `Warn`,
//! `Info` and `Debug` skip it with a line at that level.

use std::fmt;

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
