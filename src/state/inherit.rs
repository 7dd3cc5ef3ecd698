//! Release templates: `inherit:` (and `defaultInherit:`) build a release
//! from the `templates:` it names, as helmfile 1.8 does it (observed with
//! helmfile itself, see tests/helmfile_semantics.rs): the templates in
//! order, then the release, each laid over what came before. A later
//! layer's non-empty value wins (a string, `true`, a non-zero number, a
//! label); an empty one (`""`, `false`, `0`) leaves the earlier value; a
//! field set only as `false` by a layer with nothing before it stays set;
//! lists are concatenated, earliest first.

use std::collections::BTreeMap;

use super::error::{Location, StateError};
use super::schema::{InheritSpec, ReleaseSpec};

/// Fields `except:` may name (helmfile's list).
const EXCEPTABLE: &[&str] = &["labels", "values", "valuesTemplate", "set", "setString", "setTemplate", "secrets"];

/// The release with its templates applied.
pub(crate) fn apply_inheritance(
    release: ReleaseSpec,
    templates: &BTreeMap<String, ReleaseSpec>,
    default_inherit: &[String],
    location: &Location,
) -> Result<ReleaseSpec, StateError> {
    let mut release = release;
    let mut inherits: Vec<InheritSpec> = default_inherit
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty() && !release.inherit.iter().any(|i| i.template == *t))
        .map(|t| InheritSpec { template: t.to_string(), except: Vec::new() })
        .collect();
    inherits.append(&mut release.inherit);
    release.inherit = inherits;
    resolve(&release, templates, &mut Vec::new(), location)
}

fn resolve(
    spec: &ReleaseSpec,
    templates: &BTreeMap<String, ReleaseSpec>,
    path: &mut Vec<String>,
    location: &Location,
) -> Result<ReleaseSpec, StateError> {
    let invalid = |message: String| StateError::Invalid { location: location.clone(), message };
    let mut merged = ReleaseSpec::default();
    for inherit in &spec.inherit {
        let name = &inherit.template;
        if path.contains(name) {
            path.push(name.clone());
            return Err(invalid(format!("cyclic inheritance of release templates: {}", path.join(" -> "))));
        }
        let template = templates.get(name).ok_or_else(|| {
            invalid(format!("release `{}` inherits the release template `{name}`, which is not defined", spec.name))
        })?;
        path.push(name.clone());
        let mut source = resolve(template, templates, path, location)?;
        path.pop();
        for field in &inherit.except {
            match field.as_str() {
                "labels" => source.labels.clear(),
                "values" => source.values.clear(),
                "valuesTemplate" => source.values_template.clear(),
                "set" => source.set.clear(),
                "setString" => source.set_string.clear(),
                "setTemplate" => source.set_template.clear(),
                "secrets" => source.secrets.clear(),
                other => {
                    return Err(invalid(format!(
                        "`{other}` is not allowed under `inherit.except`; allowed are {}",
                        EXCEPTABLE.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
        overlay(&mut merged, source, location)?;
    }
    let mut own = spec.clone();
    own.inherit.clear();
    overlay(&mut merged, own, location)?;
    Ok(merged)
}

/// Lays `from` over `into` as helmfile's inheritance merge does (mergo with
/// appended slices and override): lists are appended, labels merged (a
/// non-empty label wins, an empty one only fills a gap), and any other key
/// `from` sets wins unless its value is empty (`""`, `false`, `0`, null),
/// which only fills a gap. It works on the written form of a release, so
/// every key, implemented or not, follows the same rule.
fn overlay(into: &mut ReleaseSpec, from: ReleaseSpec, location: &Location) -> Result<(), StateError> {
    use serde_yaml_ng::Value;
    let broken = |e: serde_yaml_ng::Error| StateError::Invalid {
        location: location.clone(),
        message: format!("merging release templates: {e}"),
    };
    let (Value::Mapping(mut base), Value::Mapping(layer)) =
        (serde_yaml_ng::to_value(&*into).map_err(broken)?, serde_yaml_ng::to_value(&from).map_err(broken)?)
    else {
        return Ok(());
    };
    for (key, value) in layer {
        match (base.get_mut(&key), value) {
            (Some(Value::Sequence(existing)), Value::Sequence(more)) => existing.extend(more),
            (Some(Value::Mapping(existing)), Value::Mapping(more)) if key.as_str() == Some("labels") => {
                for (label, text) in more {
                    if !is_empty(&text) || !existing.contains_key(&label) {
                        existing.insert(label, text);
                    }
                }
            }
            (Some(_), value) if is_empty(&value) => {}
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
    *into = serde_yaml_ng::from_value(Value::Mapping(base)).map_err(broken)?;
    Ok(())
}

/// mergo's idea of an empty value.
fn is_empty(value: &serde_yaml_ng::Value) -> bool {
    use serde_yaml_ng::Value;
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Sequence(items) => items.is_empty(),
        Value::Mapping(map) => map.is_empty(),
        Value::Tagged(tagged) => is_empty(&tagged.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> ReleaseSpec {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    fn here() -> Location {
        Location { path: "helmfile.yaml".into(), line: None, column: None }
    }

    #[test]
    fn templates_fill_empty_fields_and_lists_are_appended_template_first() {
        let mut templates = BTreeMap::new();
        templates.insert(
            "base".to_string(),
            spec("chart: ./base\nnamespace: t\nvalues: [{a: 1}]\nlabels: {tier: t, team: t}\n"),
        );
        let release =
            spec("name: r\nnamespace: mine\ninherit: [{template: base}]\nvalues: [{b: 2}]\nlabels: {tier: r}\n");
        let out = apply_inheritance(release, &templates, &[], &here()).unwrap();
        assert_eq!(out.chart, "./base");
        // The release's own non-empty fields win, as in helmfile.
        assert_eq!(out.namespace, "mine");
        assert_eq!(out.values, spec("values: [{a: 1}, {b: 2}]").values);
        assert_eq!(out.labels["tier"], "r");
        assert_eq!(out.labels["team"], "t");
    }

    #[test]
    fn except_leaves_fields_out_and_templates_inherit_recursively() {
        let mut templates = BTreeMap::new();
        templates.insert("base".into(), spec("chart: ./c\nlabels: {base: x}\n"));
        templates.insert("mid".into(), spec("inherit: [{template: base, except: [labels]}]\nlabels: {mid: y}\n"));
        let out = apply_inheritance(spec("name: r\ninherit: [{template: mid}]\n"), &templates, &[], &here()).unwrap();
        assert_eq!(out.chart, "./c");
        assert!(!out.labels.contains_key("base"));
        assert_eq!(out.labels["mid"], "y");
    }

    #[test]
    fn cycles_and_unknown_templates_are_errors() {
        let mut templates = BTreeMap::new();
        templates.insert("a".into(), spec("inherit: [{template: b}]\n"));
        templates.insert("b".into(), spec("inherit: [{template: a}]\n"));
        let err = apply_inheritance(spec("name: r\ninherit: [{template: a}]\n"), &templates, &[], &here()).unwrap_err();
        assert!(err.to_string().contains("a -> b -> a"), "{err}");
        let err =
            apply_inheritance(spec("name: r\ninherit: [{template: zz}]\n"), &templates, &[], &here()).unwrap_err();
        assert!(err.to_string().contains("`zz`, which is not defined"), "{err}");
    }

    #[test]
    fn later_layers_win_unless_empty() {
        let mut templates = BTreeMap::new();
        templates.insert(
            "one".into(),
            spec(
                "namespace: one
wait: true
installed: false
",
            ),
        );
        templates.insert(
            "two".into(),
            spec(
                "namespace: two
wait: false
",
            ),
        );
        let out = apply_inheritance(
            spec(
                "name: r
installed: true
inherit: [{template: one}, {template: two}]
",
            ),
            &templates,
            &[],
            &here(),
        )
        .unwrap();
        assert_eq!(out.namespace, "two");
        assert_eq!(out.deferred_value("wait"), Some(&serde_yaml_ng::Value::Bool(true)), "false does not override");
        assert_eq!(out.installed, Some(true));
    }

    #[test]
    fn default_inherit_comes_first() {
        let mut templates = BTreeMap::new();
        templates.insert("d".into(), spec("values: [{d: 1}]\n"));
        let out = apply_inheritance(spec("name: r\nvalues: [{r: 1}]\n"), &templates, &["d".into()], &here()).unwrap();
        assert_eq!(out.values, spec("values: [{d: 1}, {r: 1}]").values);
    }
}
