//! Release templating: string fields of a release that hold `{{ }}` are
//! rendered with `.Release` (as helmfile's ExecuteTemplateExpressions does),
//! repeatedly until nothing changes, since one field may refer to another.

use std::path::Path;

use serde_yaml_ng::{Mapping, Value};

use super::engine::{RenderRequest, TemplateEngine, TextSource};
use super::environment::Environment;
use super::error::{Location, StateError};
use super::schema::{ReleaseSpec, ValuesEntry};

/// helmfile gives up after this many passes.
const MAX_PASSES: usize = 6;

/// What release templates are rendered with.
pub(crate) struct ReleaseTemplating<'a> {
    pub engine: &'a dyn TemplateEngine,
    pub environment: &'a Environment,
    pub namespace: &'a str,
    pub state_path: &'a Path,
    pub base_dir: &'a Path,
}

impl ReleaseTemplating<'_> {
    /// Renders every templated field of `spec`.
    pub(crate) fn apply(&self, mut spec: ReleaseSpec, location: &Location) -> Result<ReleaseSpec, StateError> {
        if !has_templates(&spec) {
            return Ok(spec);
        }
        let mut pass = 0;
        loop {
            let before = snapshot(&spec);
            let data = self.data(&spec);
            spec.name = self.field(&spec.name, &data, location, "name")?;
            spec.chart = self.field(&spec.chart, &data, location, "chart")?;
            spec.namespace = self.field(&spec.namespace, &data, location, "namespace")?;
            spec.version = self.field(&spec.version, &data, location, "version")?;
            for (key, value) in spec.labels.iter_mut() {
                *value = self.field(value, &data, location, &format!("labels.{key}"))?;
            }
            for (i, need) in spec.needs.iter_mut().enumerate() {
                *need = self.field(need, &data, location, &format!("needs[{i}]"))?;
            }
            if before == snapshot(&spec) {
                break;
            }
            pass += 1;
            if pass >= MAX_PASSES {
                return Err(StateError::Invalid {
                    location: location.clone(),
                    message: format!(
                        "the template expressions of release `{}` still change after {MAX_PASSES} passes; they probably refer to each other in a loop",
                        spec.name
                    ),
                });
            }
        }

        let data = self.data(&spec);
        let mut values = Vec::with_capacity(spec.values_template.len() + spec.values.len());
        for (i, entry) in std::mem::take(&mut spec.values_template).into_iter().enumerate() {
            values.push(self.values_entry(entry, &data, location, &format!("valuesTemplate[{i}]"))?);
        }
        for (i, entry) in std::mem::take(&mut spec.values).into_iter().enumerate() {
            values.push(match entry {
                ValuesEntry::File(path) => {
                    ValuesEntry::File(self.field(&path, &data, location, &format!("values[{i}]"))?)
                }
                inline => inline,
            });
        }
        spec.values = values;
        for (i, entry) in spec.secrets.iter_mut().enumerate() {
            if let ValuesEntry::File(path) = entry {
                *path = self.field(path, &data, location, &format!("secrets[{i}]"))?;
            }
        }
        // setTemplate: rendered `set` entries, after the plain ones.
        for (i, mut entry) in std::mem::take(&mut spec.set_template).into_iter().enumerate() {
            let field = format!("setTemplate[{i}]");
            entry.name = self.field(&entry.name, &data, location, &field)?;
            if let Some(value) = entry.value.take() {
                entry.value = Some(self.field(&value, &data, location, &field)?);
            }
            if let Some(values) = entry.values.take() {
                entry.values =
                    Some(values.iter().map(|v| self.field(v, &data, location, &field)).collect::<Result<_, _>>()?);
            }
            spec.set.push(entry);
        }
        if let Some(template) = spec.installed_template.take() {
            let rendered = self.field(&template, &data, location, "installedTemplate")?;
            spec.installed = Some(rendered.trim() == "true");
        }
        if let Some(template) = spec.verify_template.take() {
            let rendered = self.field(&template, &data, location, "verifyTemplate")?;
            spec.verify = Some(rendered.trim() == "true");
        }
        if let Some(template) = spec.condition_template.take() {
            spec.condition = self.field(&template, &data, location, "conditionTemplate")?.trim().to_string();
        }
        if let Some(template) = spec.deferred_value("waitTemplate").and_then(|v| v.as_str()).map(str::to_string) {
            let rendered = self.field(&template, &data, location, "waitTemplate")?;
            spec.set_deferred("wait", Some(serde_yaml_ng::Value::Bool(rendered.trim() == "true")));
            spec.set_deferred("waitTemplate", None);
        }
        Ok(spec)
    }

    /// Renders one `.gotmpl` values (or, as they are on disk, secrets) file
    /// with the release's data.
    pub(crate) fn render_values_file(
        &self,
        spec: &ReleaseSpec,
        file: &Path,
        location: &Location,
        source: TextSource,
    ) -> Result<String, StateError> {
        let text = super::input::read_input(file).map_err(|e| StateError::Invalid {
            location: location.clone(),
            message: format!("release `{}`: {e}", spec.name),
        })?;
        self.render_file_with(file, &text, &self.data(spec), source)
    }

    /// Renders `text`, the decrypted content of the `.gotmpl` secrets file
    /// `file`, with the release's data.
    pub(crate) fn render_values_text(&self, spec: &ReleaseSpec, file: &Path, text: &str) -> Result<String, StateError> {
        self.render_file_with(file, text, &self.data(spec), TextSource::Derived)
    }

    /// Renders `text`, the content of `file` (read or decrypted, as
    /// `source` says), with `data`.
    pub(crate) fn render_file_with(
        &self,
        file: &Path,
        text: &str,
        data: &Value,
        source: TextSource,
    ) -> Result<String, StateError> {
        let dir = file.parent().unwrap_or(self.base_dir);
        self.engine.render(RenderRequest { name: file, text, data, base_dir: dir, source }).map_err(|message| {
            StateError::Template { location: Location { path: file.to_path_buf(), line: None, column: None }, message }
        })
    }

    /// The data release templates see (`.Release`, `.Values`,
    /// `.Environment`, `.Namespace`...).
    pub(crate) fn data(&self, spec: &ReleaseSpec) -> Value {
        let mut release = Mapping::new();
        release.insert("Name".into(), spec.name.clone().into());
        release.insert("Namespace".into(), spec.namespace.clone().into());
        let labels: Mapping =
            spec.labels.iter().map(|(k, v)| (Value::from(k.clone()), Value::from(v.clone()))).collect();
        release.insert("Labels".into(), Value::Mapping(labels));
        release.insert("Chart".into(), spec.chart.clone().into());
        release.insert("ChartVersion".into(), spec.version.clone().into());
        release.insert("KubeContext".into(), spec.kube_context.clone().into());
        let mut data = match self.environment.template_data(self.namespace) {
            Value::Mapping(m) => m,
            _ => Mapping::new(),
        };
        data.insert("Release".into(), Value::Mapping(release));
        Value::Mapping(data)
    }

    fn field(&self, text: &str, data: &Value, location: &Location, field: &str) -> Result<String, StateError> {
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        let rendered = self
            .engine
            .render(RenderRequest {
                name: self.state_path,
                text,
                data,
                base_dir: self.base_dir,
                source: TextSource::Derived,
            })
            .map_err(|message| StateError::Template {
                location: location.clone(),
                message: format!("in field `{field}` of a release: {message}"),
            })?;
        Ok(rendered.trim().to_string())
    }

    /// A valuesTemplate entry: a path is rendered as a path; an inline
    /// document is rendered as YAML text and parsed again.
    fn values_entry(
        &self,
        entry: ValuesEntry,
        data: &Value,
        location: &Location,
        field: &str,
    ) -> Result<ValuesEntry, StateError> {
        match entry {
            ValuesEntry::File(path) => Ok(ValuesEntry::File(self.field(&path, data, location, field)?)),
            ValuesEntry::Inline(map) => {
                // Written and read back as helmfile does it (its YAML library
                // both ways), so quoting and typing survive the round trip.
                let text = crate::yaml::to_string(&Value::Mapping(map), crate::yaml::KeyOrder::Sorted);
                let rendered = self.field(&text, data, location, field)?;
                let parsed: Mapping = crate::yaml::from_str(&rendered).map_err(|e| StateError::Invalid {
                    location: location.clone(),
                    message: format!("`{field}` does not render to a YAML mapping: {e}"),
                })?;
                Ok(ValuesEntry::Inline(parsed))
            }
        }
    }
}

/// The fields one pass may change, to detect the fixpoint.
fn snapshot(spec: &ReleaseSpec) -> Snapshot {
    (
        spec.name.clone(),
        spec.chart.clone(),
        spec.namespace.clone(),
        spec.version.clone(),
        spec.labels.clone(),
        spec.needs.clone(),
    )
}

type Snapshot = (String, String, String, String, std::collections::BTreeMap<String, String>, Vec<String>);

fn has_templates(spec: &ReleaseSpec) -> bool {
    let strings = [&spec.name, &spec.chart, &spec.namespace, &spec.version];
    strings.iter().any(|s| s.contains("{{"))
        || spec.labels.values().any(|v| v.contains("{{"))
        || spec.needs.iter().any(|v| v.contains("{{"))
        || !spec.values_template.is_empty()
        || spec.values.iter().chain(&spec.secrets).any(|v| matches!(v, ValuesEntry::File(p) if p.contains("{{")))
        || spec.installed_template.is_some()
        || !spec.set_template.is_empty()
        || spec.condition_template.is_some()
        || spec.verify_template.is_some()
        || spec.deferred_value("waitTemplate").is_some()
}
