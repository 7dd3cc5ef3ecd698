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

/// Whether two `list` tables hold the same cells (log lines dropped,
/// whitespace between cells ignored).
pub fn same_table(expected: &str, actual: &str) -> bool {
    let cells = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .filter(|l| !is_log_line(l) && !l.trim().is_empty())
            .map(|l| l.split_whitespace().map(str::to_string).collect())
            .collect()
    };
    cells(expected) == cells(actual)
}

/// Whether two `build` outputs hold the same YAML documents (log lines and
/// `# Source` comments dropped).
pub fn same_documents(expected: &str, actual: &str) -> bool {
    let docs = |text: &str| -> Option<Vec<serde_yaml_ng::Value>> {
        let kept: String = text.split_inclusive('\n').filter(|l| !is_log_line(l.trim_end())).collect();
        serde_yaml_ng::Deserializer::from_str(&kept)
            .map(<serde_yaml_ng::Value as serde::Deserialize>::deserialize)
            .collect::<Result<Vec<_>, _>>()
            .ok()
    };
    matches!((docs(expected), docs(actual)), (Some(e), Some(a)) if !e.is_empty() && e == a)
}
