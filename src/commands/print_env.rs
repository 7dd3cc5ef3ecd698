//! `helmfire print-env`: the environment each state file was loaded with.

use serde_yaml_ng::{Mapping, Value};

use super::ExitStatus;
use crate::cli::{GlobalSettings, OutputFormat};
use crate::pipeline::{Context, Session};

/// Prints environments.
pub struct PrintEnvCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// YAML (text) or JSON.
    pub format: OutputFormat,
    /// Shared context.
    pub ctx: Context,
}

impl PrintEnvCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let files = &session.files[..];
        let mut documents = Vec::with_capacity(files.len());
        for file in files {
            // helmfile's keys, in the sorted order its map marshals in.
            let mut doc = Mapping::new();
            let absolute = std::path::absolute(&file.path).unwrap_or_else(|_| file.path.clone());
            doc.insert("filePath".into(), absolute.display().to_string().into());
            if !file.environment.kube_context.is_empty() {
                doc.insert("kubeContext".into(), file.environment.kube_context.clone().into());
            }
            doc.insert("name".into(), file.environment.name.clone().into());
            doc.insert("values".into(), file.environment.values.clone());
            documents.push(Value::Mapping(doc));
        }
        let text = match self.format {
            OutputFormat::Json => serde_json::to_string_pretty(&documents)? + "\n",
            OutputFormat::Text => {
                let parts: Vec<String> =
                    documents.iter().map(|d| crate::yaml::to_string(d, crate::yaml::KeyOrder::AsGiven)).collect();
                parts.join("---\n")
            }
        };
        self.ctx.printer.stdout(&text)?;
        Ok(ExitStatus::Success)
    }
}
