//! YAML read exactly as helmfile reads it.
//!
//! helmfile decodes state files and values with go-yaml v3. Its typing is
//! neither YAML 1.1 (which helm's own values parser follows: `off` is
//! `false`) nor the YAML 1.2 core schema of Rust's YAML crates (`017` and
//! `1_000` are strings there): `true`/`false` are the only booleans, `017` is
//! octal, underscores separate digits, a quoted scalar is always a string,
//! and a scalar decoded into a string field keeps its literal text. Reading
//! helmfile's files with anything else turns `mode: "off"` into `false` on
//! its way to a chart, silently.
//!
//! This module composes documents from saphyr's event parser, keeping each
//! scalar's style, and resolves scalars with go-yaml v3's rules:
//! - [`compose`]: events to a [`Node`] tree; anchors, aliases (with an
//!   expansion budget) and merge keys (nested ones too) resolved as v3 does;
//!   duplicate keys are errors;
//! - [`resolve`]: what a scalar means when nothing says what type it is;
//! - [`de`]: a serde `Deserializer` over the tree, so the schema types decode
//!   as helmfile's Go structs do, with errors that carry the key path, line
//!   and column;
//! - [`emit`]: YAML written as helmfile's encoder writes it (v3, indent 2),
//!   quoting every string another reader could re-type.
//!
//! Values handed on to Go go as JSON (see [`to_json`]), never re-emitted as
//! YAML text: helm's parser would read a string `off` back as `false`.
//!
//! This module depends on nothing else in the crate.

mod compose;
mod de;
mod emit;
mod error;
mod resolve;

pub use compose::Node;
pub use emit::{KeyOrder, go_format_float, to_string};
pub use error::{Error, ErrorKind, PathSegment, path_string};
pub use resolve::Scalar;

use serde::de::DeserializeOwned;

/// Decodes the first document of `text` into `T` with go-yaml v3's rules.
/// An empty document decodes from null (structs and maps come out empty, as
/// in Go).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let node = compose::first_document(text)?;
    de::from_node(&node)
}

/// Decodes a composed node into `T`.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, Error> {
    de::from_node(node)
}

/// Parses the first document of `text` into a tree.
pub fn parse(text: &str) -> Result<Node, Error> {
    compose::first_document(text)
}

/// A values document as helmfile holds it after decoding: the text of a
/// values file or inline map, typed by go-yaml v3. An empty document is an
/// empty mapping.
pub fn values_from_str(text: &str) -> Result<serde_yaml_ng::Value, Error> {
    let value: serde_yaml_ng::Value = from_str(text)?;
    Ok(if value.is_null() { serde_yaml_ng::Value::Mapping(Default::default()) } else { value })
}

/// Converts a value to JSON for the Go side, where it decodes with the
/// types it had here (JSON strings are never re-typed, unlike YAML
/// scalars). Mapping keys become strings as helmfile stringifies them
/// (`fmt.Sprint` of the key); non-finite floats, which JSON cannot carry,
/// become YAML's spelling of them as strings.
pub fn to_json(value: &serde_yaml_ng::Value) -> serde_json::Value {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::Null => serde_json::Value::Null,
        Y::Bool(b) => serde_json::Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f).map_or_else(|| serde_json::Value::String(non_finite(f)), Into::into)
            }
        }
        Y::String(s) => serde_json::Value::String(s.clone()),
        Y::Sequence(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Y::Mapping(map) => serde_json::Value::Object(map.iter().map(|(k, v)| (key_string(k), to_json(v))).collect()),
        Y::Tagged(tagged) => to_json(&tagged.value),
    }
}

/// A mapping key as helmfile turns it into a string (`fmt.Sprint`).
pub fn key_string(key: &serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value as Y;
    match key {
        Y::String(s) => s.clone(),
        Y::Null => "<nil>".to_string(),
        Y::Bool(b) => b.to_string(),
        Y::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.is_finite() => go_format_float(f),
            Some(f) if n.is_f64() => non_finite(f),
            _ => n.to_string(),
        },
        other => serde_json::to_string(&to_json(other)).unwrap_or_default(),
    }
}

/// How Go prints a non-finite float (`fmt.Sprint`).
fn non_finite(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

#[cfg(test)]
mod tests;
