//! The `helmfire:` section of a state file: settings of what helmfire adds
//! to helmfile (drift detection, notifications). helmfile does not know
//! this key, so a state file that uses it is helmfire's only.
//!
//! ```yaml
//! helmfire:
//!   drift:
//!     ignore:
//!     - kind: Deployment          # optional; all kinds when empty
//!       name: web                 # optional; all names when empty
//!       namespace: apps           # optional
//!       paths: [/spec/replicas]   # JSON pointers; a path and all below it
//!     ignoreManagers: [kube-controller-manager]   # replaces the defaults
//!   webhooks:
//!   - url: https://hooks.example/drift
//!     secretEnv: DRIFT_WEBHOOK_SECRET   # HMAC-SHA256 key, read from the environment
//!   substitutions:
//!     forbidIn: [production]    # environments where `helmfire chart|image` must not apply
//! ```

use serde::{Deserialize, Serialize};

/// `helmfire:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HelmfireSection {
    /// Drift detection settings.
    #[serde(default, skip_serializing_if = "DriftSpec::is_empty")]
    pub drift: DriftSpec,
    /// Where drift (and heal) reports are POSTed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookSpec>,
    /// Where development substitutions may not be used.
    #[serde(default, skip_serializing_if = "SubstitutionsSpec::is_empty")]
    pub substitutions: SubstitutionsSpec,
}

impl HelmfireSection {
    /// Nothing set.
    pub fn is_empty(&self) -> bool {
        self.drift.is_empty() && self.webhooks.is_empty() && self.substitutions.is_empty()
    }
}

/// `helmfire.substitutions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubstitutionsSpec {
    /// Environments in which the commands that act on the cluster refuse
    /// to run while chart or image substitutions are in force.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbid_in: Vec<String>,
}

impl SubstitutionsSpec {
    fn is_empty(&self) -> bool {
        self.forbid_in.is_empty()
    }
}

/// `helmfire.drift`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DriftSpec {
    /// Changes that are not drift.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<DriftIgnoreRule>,
    /// Field managers whose changes are expected (controllers such as an
    /// autoscaler); replaces helmfire's defaults when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_managers: Option<Vec<String>>,
}

impl DriftSpec {
    fn is_empty(&self) -> bool {
        self.ignore.is_empty() && self.ignore_managers.is_none()
    }
}

/// One ignore rule: every field is optional, an empty one matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriftIgnoreRule {
    /// Object kind (`Deployment`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Object name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Object namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// JSON pointers (a path covers everything below it); empty means the
    /// whole object, deletion included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

/// One webhook receiver.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookSpec {
    /// Where to POST.
    pub url: String,
    /// The environment variable holding the HMAC-SHA256 key; the signature
    /// goes in `X-Helmfire-Signature: sha256=<hex>`. Never in the file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret_env: String,
}
