//! Errors of the YAML reader: what went wrong, at which key path, line and
//! column.

use std::fmt;

/// One step of the path from the document root to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not well-formed YAML.
    Syntax(String),
    /// A struct got a key it does not declare.
    UnknownField {
        /// The key.
        field: String,
    },
    /// A mapping sets the same key twice.
    DuplicateKey {
        /// The key.
        key: String,
        /// The line of its first occurrence.
        first_line: usize,
    },
    /// Anything else: a wrong type, a bad alias, a missing field.
    Message(String),
}

/// An error with its place in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// From the root to the value (or key) at fault.
    pub path: Vec<PathSegment>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error { kind, path: Vec::new(), line: None, column: None }
    }

    pub(crate) fn at(kind: ErrorKind, mark: super::compose::Mark) -> Self {
        Error { kind, path: Vec::new(), line: Some(mark.line), column: Some(mark.column) }
    }

    /// The path as helmfire prints it: `releases[0].set[1].name`.
    pub fn path_string(&self) -> String {
        path_string(&self.path)
    }

    /// The message without the path or location.
    pub fn message(&self) -> String {
        match &self.kind {
            ErrorKind::Syntax(message) | ErrorKind::Message(message) => message.clone(),
            ErrorKind::UnknownField { field } => format!("unknown field `{field}`"),
            ErrorKind::DuplicateKey { key, first_line } => {
                format!("mapping key `{key}` is already defined at line {first_line}")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path_string();
        if !path.is_empty() {
            write!(f, "{path}: ")?;
        }
        write!(f, "{}", self.message())?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " at line {line} column {column}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A key path as helmfire prints it: `releases[0].set[1].name`.
pub fn path_string(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            PathSegment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            PathSegment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Message(msg.to_string()))
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        Error::new(ErrorKind::UnknownField { field: field.to_string() })
    }
}
