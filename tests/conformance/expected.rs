//! Reading the suite's expected outputs: which file to use, and how to take
//! helmfile's log lines out of them.

use std::path::{Path, PathBuf};

/// The README's order of preference: helm 4's output, the yaml.v3 variant,
/// then the plain one.
pub fn expected_output_file(dir: &Path) -> Option<PathBuf> {
    ["output-helm4.yaml", "gopkg.in-yaml.v3-output.yaml", "output.yaml"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// Lines helmfile and helm print around the manifests.
fn is_log_line(line: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "Adding repo ",
        "Building dependency ",
        "Templating release=",
        "Saving ",
        "Deleting outdated charts",
        "Hang tight",
        "...Successfully got an update",
        "Update Complete",
        "Pulling ",
        "Listing releases",
        "Downloading ",
        "Fetching ",
        "WARNING",
        "Processing ",
        "Skipping ",
        "Affected releases",
        "Pulled:",
        "Digest:",
        "Creating ",
        "Pushed:",
    ];
    PREFIXES.iter().any(|p| line.starts_with(p))
        || (line.starts_with('"') && line.ends_with("has been added to your repositories"))
}

/// The manifests of a `template` case: each block from a `---` line up to
/// the next log line, concatenated; blank lines that only separated a block
/// from the next log line are kept, as helm prints them.
pub fn manifests(expected: &str) -> String {
    let mut out = String::new();
    let mut in_manifest = false;
    for line in expected.split_inclusive('\n') {
        let bare = line.trim_end_matches('\n');
        if is_log_line(bare) {
            in_manifest = false;
            continue;
        }
        if bare == "---" {
            in_manifest = true;
        }
        if in_manifest {
            out.push_str(line);
        }
    }
    out
}

/// Where two texts first differ, for a short reason in the table.
pub fn first_difference(expected: &str, actual: &str) -> String {
    for (n, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}: expected `{e}`, got `{a}`", n + 1);
        }
    }
    format!("expected {} lines, got {}", expected.lines().count(), actual.lines().count())
}

/// Whether both texts hold the same data: YAML documents (build) or a table
/// (list) compared cell by cell.
pub fn same_data(expected: &str, actual: &str) -> bool {
    let data_lines = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !is_log_line(l))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect()
    };
    let docs = |text: &str| -> Option<Vec<serde_yaml_ng::Value>> {
        serde_yaml_ng::Deserializer::from_str(text)
            .map(serde_yaml_ng::Value::deserialize_from)
            .collect::<Result<_, _>>()
            .ok()
    };
    match (docs(&data_lines(expected).join("\n")), docs(actual)) {
        (Some(e), Some(a)) if !e.is_empty() => e == a,
        _ => data_lines(expected) == data_lines(actual),
    }
}

trait DeserializeFrom: Sized {
    fn deserialize_from(d: serde_yaml_ng::Deserializer<'_>) -> Result<Self, serde_yaml_ng::Error>;
}

impl DeserializeFrom for serde_yaml_ng::Value {
    fn deserialize_from(d: serde_yaml_ng::Deserializer<'_>) -> Result<Self, serde_yaml_ng::Error> {
        serde::Deserialize::deserialize(d)
    }
}
