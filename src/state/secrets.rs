//! sops-encrypted values files (`secrets:` on environments and releases),
//! as helm-secrets gives them to helmfile, but decrypted in memory by the
//! engine: no `.dec` file is ever written.
//!
//! Everything here keeps plaintext out of messages: a decryption failure
//! names the file and how to provide a key, a malformed decrypted document
//! names the file, line and column and what is wrong with its structure,
//! never a value.

use std::path::Path;

use serde_yaml_ng::Value;

use super::engine::TemplateEngine;
use super::error::{Location, StateError};

/// The plaintext of the sops-encrypted `file`. `owner` names what lists it
/// (`release \`db\``, `environment \`prod\``) and `location` where.
pub fn decrypt(
    engine: &dyn TemplateEngine,
    file: &Path,
    owner: &str,
    location: &Location,
) -> Result<String, StateError> {
    engine
        .decrypt(file)
        .map_err(|message| StateError::Invalid { location: location.clone(), message: format!("{owner}: {message}") })
}

/// A decrypted document as a values mapping (empty for an empty document),
/// typed as helmfile types it (go-yaml v3).
pub fn parse_document(text: &str, file: &Path) -> Result<Value, StateError> {
    let at = |line, column| Location { path: file.to_path_buf(), line, column };
    let value = crate::yaml::values_from_str(text)
        .map_err(|e| StateError::Yaml { location: at(e.line, e.column), message: value_free_message(&e) })?;
    if !value.is_mapping() {
        return Err(StateError::Yaml {
            location: at(None, None),
            message: "the decrypted document is not a mapping of values".into(),
        });
    }
    Ok(value)
}

/// The parser's message when it describes structure only; a type error may
/// quote the value, so it is replaced by where it happened.
fn value_free_message(error: &crate::yaml::Error) -> String {
    use crate::yaml::ErrorKind;
    match &error.kind {
        ErrorKind::Syntax(message) => format!("the decrypted document is not valid YAML: {message}"),
        ErrorKind::DuplicateKey { .. } => format!("the decrypted document has a duplicate key: {}", error.message()),
        _ => {
            let path = error.path_string();
            if path.is_empty() {
                "the decrypted document is not a mapping of values".into()
            } else {
                format!("the decrypted document has a value of the wrong type at `{path}`")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_document_is_described_without_its_values() {
        let file = Path::new("/s/secrets.yaml");
        let err = parse_document("password: hunter2\n  bad: [\n", file).unwrap_err().to_string();
        assert!(err.starts_with("/s/secrets.yaml:"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        let err = parse_document("just-a-secret-string\n", file).unwrap_err().to_string();
        assert!(err.contains("not a mapping"), "{err}");
        assert!(!err.contains("just-a-secret-string"), "{err}");
    }

    #[test]
    fn an_empty_document_is_an_empty_mapping() {
        assert_eq!(parse_document("", Path::new("s.yaml")).unwrap(), Value::Mapping(Default::default()));
        let value = parse_document("a: {b: 'off'}\n", Path::new("s.yaml")).unwrap();
        assert_eq!(value["a"]["b"], Value::String("off".into()));
    }
}
