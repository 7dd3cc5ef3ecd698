//! `helmfire build`: the loaded state as helmfile prints it, one YAML
//! document per state file: what each file means after rendering, layering,
//! inheritance and templating.

use serde_yaml_ng::{Mapping, Value};

use super::ExitStatus;

mod helmfile_order;
use crate::cli::GlobalSettings;
use crate::pipeline::{Context, Notices, Session, ValuesContext, embedded_values};
use crate::plan::{release_labels, resolved_needs};
use crate::state::{Release, StateFile, TemplateEngine, ValuesEntry};

/// Prints the state.
pub struct BuildCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--embed-values`: values files are replaced by their content.
    pub embed_values: EmbedValues,
    /// Shared context.
    pub ctx: Context,
}

/// Whether `build` inlines values files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedValues {
    /// Show file names, as written.
    No,
    /// Show each file's content instead (`--embed-values`).
    Yes,
}

impl BuildCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let selected = session.filter()?;
        let engine = session.engine();
        let mut out = String::new();
        for group in &selected {
            out += &self.state_text(group.file, &group.releases, &engine)?;
        }
        self.ctx.printer.stdout(&out)?;
        Ok(ExitStatus::Success)
    }

    /// One state file as helmfile's `build` (and `fetch --write-output`)
    /// print it: a `#  Source:` header, then the document.
    pub(crate) fn state_text(
        &self,
        file: &StateFile,
        releases: &[&Release],
        engine: &dyn TemplateEngine,
    ) -> anyhow::Result<String> {
        let doc = self.document(file, releases, engine)?;
        // helmfile names the file by its absolute path here.
        let source = std::path::absolute(&file.path).unwrap_or_else(|_| file.path.clone());
        Ok(format!(
            "---\n#  Source: {}\n\n{}",
            source.display(),
            crate::yaml::to_string(&doc, crate::yaml::KeyOrder::AsGiven)
        ))
    }

    /// helmfile's HelmState fields, in its order, empty ones left out
    /// (helmfile's `omitempty`), the others printed even when zero.
    fn document(&self, file: &StateFile, releases: &[&Release], engine: &dyn TemplateEngine) -> anyhow::Result<Value> {
        let mut doc = match serde_yaml_ng::to_value(&file.doc)? {
            Value::Mapping(m) => m,
            _ => Mapping::new(),
        };
        // A state printed by build, read back: these are computed again.
        doc.remove("filepath");
        doc.remove("renderedvalues");
        if let Some(Value::Mapping(envs)) = doc.remove("environments") {
            // `prod:` with nothing under it is an empty environment.
            let envs: Mapping = envs
                .into_iter()
                .map(|(k, v)| match v {
                    Value::Mapping(env) => (k, Value::Mapping(helmfile_order::environment(env))),
                    _ => (k, Value::Mapping(Mapping::new())),
                })
                .collect();
            doc.insert("environments".into(), Value::Mapping(envs));
        }
        if let Some(Value::Mapping(defaults)) = doc.remove("helmDefaults") {
            doc.insert("helmDefaults".into(), Value::Mapping(helmfile_order::helm_defaults(defaults)));
        }
        if let Some(Value::Sequence(hooks)) = doc.remove("hooks") {
            doc.insert("hooks".into(), Value::Sequence(hooks.into_iter().map(helmfile_order::hook).collect()));
        }
        let releases: Vec<Value> =
            releases.iter().map(|r| self.release(file, r, engine)).collect::<anyhow::Result<_>>()?;
        doc.remove("releases");
        if !releases.is_empty() {
            doc.insert("releases".into(), Value::Sequence(releases));
        }
        doc.entry("helmBinary".into()).or_insert_with(|| "helm".into());
        doc.entry("kustomizeBinary".into()).or_insert_with(|| "kustomize".into());
        let mut out = Mapping::new();
        let name = file.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        out.insert("filepath".into(), name.into());
        out.extend(helmfile_order::top_level(doc));
        out.insert("renderedvalues".into(), file.environment.values.clone());
        Ok(Value::Mapping(out))
    }

    /// A release as helmfile shows it: labels with the implicit ones, needs
    /// as release ids.
    fn release(&self, file: &StateFile, release: &Release, engine: &dyn TemplateEngine) -> anyhow::Result<Value> {
        let mut spec = release.spec.clone();
        spec.labels = release_labels(release, &Default::default());
        spec.needs = resolved_needs(release);
        if self.embed_values == EmbedValues::Yes {
            // As helmfile's --embed-values: values files rendered (and their
            // references resolved), secrets files as they are, encrypted.
            let namespace = self.global.namespace_override.as_deref().unwrap_or_default();
            let cx = ValuesContext { file, namespace, engine, notices: Notices::Say(&self.ctx.printer) };
            let embedded = embedded_values(&cx, release)?;
            let inline = |documents: Vec<Value>| -> Vec<ValuesEntry> {
                documents
                    .into_iter()
                    .map(|v| ValuesEntry::Inline(v.as_mapping().cloned().unwrap_or_default()))
                    .collect()
            };
            spec.values = inline(embedded.values);
            spec.secrets = inline(embedded.secrets);
        }
        let mut value = serde_yaml_ng::to_value(&spec)?;
        if let Value::Mapping(map) = &mut value {
            if let Some(Value::Sequence(hooks)) = map.remove("hooks") {
                map.insert("hooks".into(), Value::Sequence(hooks.into_iter().map(helmfile_order::hook).collect()));
            }
            value = Value::Mapping(helmfile_order::release(std::mem::take(map)));
        }
        Ok(value)
    }
}
