//! A drift report: per release, the drifted objects, as text for people
//! and JSON for programs (`--output json`, webhooks, the daemon's API).

use serde::Serialize;

use crate::helm::{DriftObject, DriftOutput};

/// The drift of one release, after the ignore rules.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseDrift {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// The kube context, when not the current one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kube_context: String,
    /// The deployed revision compared.
    pub revision: i64,
    /// Objects compared.
    pub checked: u64,
    /// Drifted objects.
    pub objects: Vec<DriftObject>,
    /// A remark from the comparison.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl ReleaseDrift {
    /// From the shim's answer.
    pub fn new(out: DriftOutput, kube_context: &str) -> Self {
        ReleaseDrift {
            release: out.release,
            namespace: out.namespace,
            kube_context: kube_context.to_string(),
            revision: out.revision,
            checked: out.checked,
            objects: out.objects,
            note: out.note,
        }
    }
}

/// Drift of every release checked, and the ones that could not be.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DriftReport {
    /// Releases checked (with or without drift).
    pub releases: Vec<ReleaseDrift>,
    /// Releases that could not be checked, with why.
    pub errors: Vec<ReleaseError>,
}

/// A release the check failed on.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseError {
    /// Release name.
    pub release: String,
    /// The error, one sentence.
    pub error: String,
}

impl DriftReport {
    /// Drifted objects over all releases.
    pub fn drifted(&self) -> usize {
        self.releases.iter().map(|r| r.objects.len()).sum()
    }

    /// The report for people: one block per drifted object, quiet releases
    /// summed up in a line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for release in &self.releases {
            for object in &release.objects {
                let ns = if object.namespace.is_empty() { String::new() } else { format!("{}/", object.namespace) };
                let heal = match (object.healed, object.heal_error.is_empty()) {
                    (true, _) if object.taken_from.is_empty() => " (healed)".to_string(),
                    (true, _) => format!(" (healed, taken back from {})", object.taken_from.join(", ")),
                    (false, false) => format!(" (heal failed: {})", object.heal_error),
                    (false, true) => String::new(),
                };
                let what = if object.state == "deleted" { "deleted outside Helm" } else { "changed" };
                out += &format!(
                    "release {} (revision {}): {} {ns}{} {what}{heal}\n",
                    release.release, release.revision, object.kind, object.name
                );
                for field in &object.fields {
                    let by = if field.manager.is_empty() { String::new() } else { format!(" by {}", field.manager) };
                    out += &format!("  {}: {} -> {}{by}\n", field.path, show(&field.declared), show(&field.live));
                }
            }
        }
        let clean = self.releases.iter().filter(|r| r.objects.is_empty()).count();
        let drifted = self.releases.len() - clean;
        out += &format!(
            "{} drifted object(s) in {drifted} release(s); {clean} release(s) as deployed{}\n",
            self.drifted(),
            if self.errors.is_empty() { String::new() } else { format!("; {} not checked", self.errors.len()) }
        );
        out
    }
}

fn show(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "(absent)".into(),
        serde_json::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
