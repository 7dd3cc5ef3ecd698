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
                "helmfire {} ({} binary)\nHelm SDK {}\nGo {}\nclient-go {}\ndefault Kubernetes version {}\nsecret providers (ref+): {}\n",
                report.helmfire,
                report.linked,
                report.sdk.helm_sdk,
                report.sdk.go.trim_start_matches("go"),
                report.sdk.kube_client,
                report.sdk.default_kube_version,
                secret_providers_line(report.sdk.secret_providers.as_deref()),
            ),
        };
        self.ctx.printer.stdout(&text)?;
        Ok(ExitStatus::Success)
    }
}

/// The `secret providers` line: `all`, or the groups this build carries
/// beside the built-in echo, file, envsubst and exec.
fn secret_providers_line(groups: Option<&[String]>) -> String {
    match groups {
        None => "all".to_string(),
        Some([]) => "echo, file, envsubst, exec only".to_string(),
        Some(groups) => format!("{} (and echo, file, envsubst, exec)", groups.join(", ")),
    }
}
