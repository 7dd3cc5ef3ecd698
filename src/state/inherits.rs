//! `inherits:` on a `helmfiles:` entry: what a sub-helmfile takes from the
//! state file that names it, as helmfile 1.8 does (pkg/state/inherited.go).
//! The child wins and the parent fills gaps: repositories and apiVersions
//! are the parent's first, then the child's (a repository the child names
//! again is the child's); helmDefaults keys the child leaves empty take the
//! parent's; commonLabels and templates the child lacks are the parent's;
//! kubeVersion is the parent's when the child sets none. `environments`
//! makes the parent's environment (its values and kube context) the base
//! the child's own environment values are merged over.

use serde_yaml_ng::Value;

use super::environment::Environment;
use super::error::{Location, StateError};
use super::load::StateFile;
use super::schema::HelmfileDoc;

/// What `inherits:` may name.
pub const INHERITABLE: &[&str] =
    &["repositories", "helmDefaults", "commonLabels", "apiVersions", "kubeVersion", "templates", "environments"];

/// What one sub-helmfile inherits.
#[derive(Debug, Clone, Default)]
pub struct Inherited {
    /// The parent's fields it asked for (the others left empty).
    doc: HelmfileDoc,
    wants: Vec<String>,
    /// The parent's environment, when `environments` is inherited.
    pub environment: Option<Environment>,
}

impl Inherited {
    /// What `wants` takes from `parent`; a name helmfile does not allow is
    /// an error at `location`.
    pub fn from_parent(parent: &StateFile, wants: &[String], location: &Location) -> Result<Inherited, StateError> {
        if let Some(bad) = wants.iter().find(|w| !INHERITABLE.contains(&w.as_str())) {
            return Err(StateError::Invalid {
                location: location.clone(),
                message: format!(
                    "`inherits: [{bad}]` of a `helmfiles:` entry: `{bad}` cannot be inherited; use one of {}",
                    INHERITABLE.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        let wants: Vec<String> = wants.to_vec();
        let has = |key: &str| wants.iter().any(|w| w == key);
        let from = &parent.doc;
        let mut doc = HelmfileDoc::default();
        if has("repositories") {
            doc.repositories = from.repositories.clone();
        }
        if has("helmDefaults") {
            doc.helm_defaults = from.helm_defaults.clone();
        }
        if has("commonLabels") {
            doc.common_labels = from.common_labels.clone();
        }
        if has("apiVersions") {
            doc.api_versions = from.api_versions.clone();
        }
        if has("kubeVersion") {
            doc.kube_version = from.kube_version.clone();
        }
        if has("templates") {
            doc.templates = from.templates.clone();
        }
        let environment = has("environments").then(|| parent.environment.clone());
        Ok(Inherited { doc, wants, environment })
    }

    /// Merges the inherited fields into a sub-helmfile's merged state,
    /// before its releases are resolved.
    pub fn merge_into(&self, child: &mut HelmfileDoc, location: &Location) -> Result<(), StateError> {
        let has = |key: &str| self.wants.iter().any(|w| w == key);
        if has("repositories") {
            let mut combined = self.doc.repositories.clone();
            for own in std::mem::take(&mut child.repositories) {
                combined.retain(|r| r.name != own.name);
                combined.push(own);
            }
            child.repositories = combined;
        }
        if has("helmDefaults") {
            child.helm_defaults = fill_gaps(&child.helm_defaults, &self.doc.helm_defaults, location)?;
        }
        if has("commonLabels") {
            for (key, value) in &self.doc.common_labels {
                child.common_labels.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        if has("templates") {
            for (key, value) in &self.doc.templates {
                child.templates.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        if has("apiVersions") {
            let mut combined = self.doc.api_versions.clone();
            for own in std::mem::take(&mut child.api_versions) {
                if !combined.contains(&own) {
                    combined.push(own);
                }
            }
            child.api_versions = combined;
        }
        if has("kubeVersion") && child.kube_version.is_empty() {
            child.kube_version = self.doc.kube_version.clone();
        }
        Ok(())
    }
}

/// `child` with each key it leaves empty taken from `parent` (mergo's merge
/// without override).
fn fill_gaps<T>(child: &T, parent: &T, location: &Location) -> Result<T, StateError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let broken = |e: serde_yaml_ng::Error| StateError::Invalid {
        location: location.clone(),
        message: format!("inheriting helmDefaults: {e}"),
    };
    let (Value::Mapping(mut own), Value::Mapping(theirs)) =
        (serde_yaml_ng::to_value(child).map_err(broken)?, serde_yaml_ng::to_value(parent).map_err(broken)?)
    else {
        return serde_yaml_ng::from_value(serde_yaml_ng::to_value(child).map_err(broken)?).map_err(broken);
    };
    // What the child wrote is kept (an empty key is not written at all).
    for (key, value) in theirs {
        if !own.contains_key(&key) {
            own.insert(key, value);
        }
    }
    serde_yaml_ng::from_value(Value::Mapping(own)).map_err(broken)
}
