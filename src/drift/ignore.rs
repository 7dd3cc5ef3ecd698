//! Which drift is expected: ignore rules per kind, name, namespace and JSON
//! pointer (`helmfire.drift.ignore` in the state file).

use crate::helm::DriftObject;
use crate::state::DriftIgnoreRule;

/// The ignore rules of a state file.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    rules: Vec<DriftIgnoreRule>,
}

impl IgnoreRules {
    /// Rules as written in the state.
    pub fn new(rules: Vec<DriftIgnoreRule>) -> Self {
        IgnoreRules { rules }
    }

    /// Drops the ignored fields of an object; returns false when nothing
    /// of it is left to report.
    pub fn keep(&self, object: &mut DriftObject) -> bool {
        let applicable: Vec<&DriftIgnoreRule> = self.rules.iter().filter(|r| r.matches(object)).collect();
        if applicable.iter().any(|r| r.paths.is_empty()) {
            return false;
        }
        if object.state == "deleted" {
            return true;
        }
        object.fields.retain(|f| !applicable.iter().any(|r| r.paths.iter().any(|p| covers(p, &f.path))));
        !object.fields.is_empty()
    }
}

trait Matches {
    fn matches(&self, object: &DriftObject) -> bool;
}

impl Matches for DriftIgnoreRule {
    fn matches(&self, object: &DriftObject) -> bool {
        let eq = |rule: &str, value: &str| rule.is_empty() || rule == value;
        eq(&self.kind, &object.kind) && eq(&self.name, &object.name) && eq(&self.namespace, &object.namespace)
    }
}

/// `/spec` covers `/spec` and `/spec/replicas`, not `/specs`.
fn covers(rule: &str, path: &str) -> bool {
    let rule = rule.trim_end_matches('/');
    path == rule || path.strip_prefix(rule).is_some_and(|rest| rest.starts_with('/')) || rule.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helm::DriftField;

    fn object(kind: &str, name: &str, paths: &[&str]) -> DriftObject {
        DriftObject {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            namespace: "apps".into(),
            name: name.into(),
            state: "changed".into(),
            fields: paths
                .iter()
                .map(|p| DriftField { path: (*p).into(), declared: 1.into(), live: 2.into(), manager: String::new() })
                .collect(),
            healed: false,
            taken_from: vec![],
            heal_error: String::new(),
        }
    }

    fn rule(kind: &str, name: &str, paths: &[&str]) -> DriftIgnoreRule {
        DriftIgnoreRule {
            kind: kind.into(),
            name: name.into(),
            namespace: String::new(),
            paths: paths.iter().map(|p| (*p).to_string()).collect(),
        }
    }

    #[test]
    fn a_path_rule_drops_that_field_and_everything_below_it() {
        let rules = IgnoreRules::new(vec![rule("Deployment", "", &["/spec/replicas", "/metadata/labels"])]);
        let mut o = object("Deployment", "web", &["/spec/replicas", "/metadata/labels/x", "/spec/replicasx"]);
        assert!(rules.keep(&mut o));
        let left: Vec<&str> = o.fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(left, ["/spec/replicasx"]);
        let mut only_ignored = object("Deployment", "api", &["/spec/replicas"]);
        assert!(!rules.keep(&mut only_ignored));
    }

    #[test]
    fn a_rule_without_paths_ignores_the_object_and_other_kinds_are_untouched() {
        let rules = IgnoreRules::new(vec![rule("", "web", &[])]);
        assert!(!rules.keep(&mut object("Service", "web", &["/spec/ports"])));
        assert!(rules.keep(&mut object("Service", "api", &["/spec/ports"])));
    }
}
