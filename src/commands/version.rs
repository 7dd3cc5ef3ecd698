//! `helmfire version`.

use anyhow::Context as _;
use serde::Serialize;

use super::ExitStatus;
use crate::cli::OutputFormat;
use crate::helm::SdkVersion;
use crate::pipeline::Context;

/// Prints helmfire's version and the embedded SDK's.
pub struct VersionCommand {
    /// Text or JSON.
    pub format: OutputFormat,
    /// Shared context.
    pub ctx: Context,
}

#[derive(Serialize)]
struct VersionReport {
    helmfire: &'static str,
    /// How the binary was linked (build.rs): `static` or `dynamic`.
    linked: &'static str,
    #[serde(flatten)]
    sdk: SdkVersion,
}

impl VersionCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let sdk = self.ctx.backend.version().context("asking the embedded Helm SDK for its version")?;
        let report = VersionReport { helmfire: env!("CARGO_PKG_VERSION"), linked: env!("HELMFIRE_LINKAGE"), sdk };
        let text = match self.format {
            OutputFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
            OutputFormat::Text => format!(
                "helmfire {} ({} binary)\nHelm SDK {}\nGo {}\nclient-go {}\ndefault Kubernetes version {}\n",
                report.helmfire,
                report.linked,
                report.sdk.helm_sdk,
                report.sdk.go.trim_start_matches("go"),
                report.sdk.kube_client,
                report.sdk.default_kube_version,
            ),
        };
        self.ctx.printer.stdout(&text)?;
        Ok(ExitStatus::Success)
    }
}
