//! `helmfire show-dag`: the batches releases run in, per state file.

use std::collections::BTreeMap;

use super::ExitStatus;
use crate::cli::{DagFormat, GlobalSettings};
use crate::pipeline::{Context, Session};
use crate::plan::{Criteria, render_dot, render_json, render_table, show_dag};

/// Prints the needs graph.
pub struct ShowDagCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// Table, JSON or DOT.
    pub format: DagFormat,
    /// Shared context.
    pub ctx: Context,
}

impl ShowDagCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        let session = Session::open(&self.global, &self.ctx)?;
        let files = &session.files[..];
        let no_common = BTreeMap::new();
        let mut out = String::new();
        for file in files {
            let criteria = Criteria {
                selectors: &self.global.selectors,
                common_labels: &no_common,
                values: &file.environment.values,
            };
            let rows = show_dag(&file.releases, &criteria)?;
            out += &match self.format {
                DagFormat::Table => render_table(&rows),
                DagFormat::Json => render_json(&rows),
                DagFormat::Dot => render_dot(&rows),
            };
        }
        self.ctx.printer.stdout(&out)?;
        Ok(ExitStatus::Success)
    }
}
