//! `helmfire destroy`: the selected releases uninstalled, dependents
//! before what they need (the needs graph in reverse).

use std::sync::Arc;
use std::time::Instant;

use super::cluster::{Direction, SummaryRow, kube_target, namespace_of, release_tasks, summary};
use super::hooks::{Event, trigger};
use super::selection::{check_any_matched, filter};
use super::{Context, ExitStatus, confirm};
use crate::cli::GlobalSettings;
use crate::exec::{Concurrency, Interrupts, StopSignal, TaskOutcome, call_helm_interruptible, run_dag};
use crate::helm::{HelmError, UninstallRequest};
use crate::output::report;
use crate::state::Release;

/// Uninstalls releases.
pub struct DestroyCommand {
    /// Global settings.
    pub global: GlobalSettings,
    /// `--concurrency`.
    pub concurrency: Concurrency,
    /// `-i`.
    pub interactive: bool,
    /// Shared context.
    pub ctx: Context,
}

impl DestroyCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitStatus> {
        let files = Arc::new(super::load_state(&self.global, &self.ctx)?);
        let selected = filter(&files, &self.global)?;
        if let Some(status) = check_any_matched(&selected, &self.global, &self.ctx.printer) {
            return Ok(status);
        }
        let tasks = release_tasks(&selected, Direction::DependentsFirst);
        if self.interactive {
            let names: Vec<String> = tasks.iter().map(|t| format!("uninstall {}", t.input.name)).collect();
            if !confirm(&self.ctx.printer, "destroy", &names)? {
                return Ok(ExitStatus::Success);
            }
        }
        let printer = self.ctx.printer;
        let interrupts = Interrupts::install(
            move || {
                printer
                    .warn("interrupted: letting the uninstalls in progress finish (press Ctrl-C again to exit at once)")
            },
            move |left| {
                printer.warn(&format!("interrupted again: exiting now; still being uninstalled: {}", left.join(", ")))
            },
        );
        let stop: Arc<dyn StopSignal> = interrupts.clone();
        let (global, ctx, all_files) = (Arc::new(self.global.clone()), self.ctx.clone(), Arc::clone(&files));
        let outcomes = run_dag(tasks.clone(), self.concurrency, stop, |release: Release| {
            let (global, ctx, interrupts) = (Arc::clone(&global), ctx.clone(), Arc::clone(&interrupts));
            let files = Arc::clone(&all_files);
            async move {
                let started = Instant::now();
                let _tracked = interrupts.track(&release.name);
                ctx.printer.info(&format!("Deleting {}", release.name));
                let mut kube = kube_target(&global, &release);
                kube.namespace = namespace_of(&global, &release);
                let request = UninstallRequest {
                    kube,
                    release_name: release.name.clone(),
                    ignore_not_found: true,
                    ..Default::default()
                };
                let file = files.iter().find(|f| f.path == release.location.path);
                let hook = |event, error: Option<&str>| match file {
                    Some(file) => tokio::task::block_in_place(|| trigger(&ctx, event, file, Some(&release), error))
                        .map_err(|e| HelmError::Hook(format!("{e:#}"))),
                    None => Ok(()),
                };
                let result = match hook(Event::Preuninstall, None) {
                    Err(e) => Err(e),
                    Ok(()) => {
                        let result =
                            call_helm_interruptible(Arc::clone(&ctx.backend), &interrupts, move |helm, call| {
                                helm.uninstall(call, &request)
                            })
                            .await;
                        let error = result.as_ref().err().map(ToString::to_string);
                        hook(Event::Postuninstall, error.as_deref()).and(result)
                    }
                };
                let row = |action| SummaryRow { release: release.name.clone(), action, duration: started.elapsed() };
                match result {
                    Ok(out) if out.existed => Ok(row("uninstall")),
                    Ok(_) => Ok(row("none (not installed)")),
                    Err(e) => Err((row("uninstall"), e)),
                }
            }
        })
        .await;
        for outcome in &outcomes {
            if let TaskOutcome::Failed((row, error)) = outcome {
                report(&self.ctx.printer, &anyhow::Error::msg(format!("release `{}`: {error}", row.release)));
            }
        }
        let (table, failed) = summary(&tasks, &outcomes, &self.global);
        self.ctx.printer.stdout(&table)?;
        if interrupts.interrupted() {
            return Ok(ExitStatus::Interrupted);
        }
        Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
    }
}
