//! [`crate::exec::Reporter`] implementations for the terminal.

use crate::exec::Reporter;

use std::sync::Mutex;

use super::printer::Printer;
use super::progress::Progress;

/// Prints helmfile's `Templating release=NAME, chart=CHART` lines on
/// stderr, under the live progress line on a terminal.
pub struct TemplateReporter {
    printer: Printer,
    progress: Progress,
    started: Mutex<Vec<String>>,
}

impl TemplateReporter {
    /// A reporter writing through `printer`, for `total` releases.
    pub fn new(printer: Printer, total: usize) -> Self {
        TemplateReporter {
            printer,
            progress: Progress::start(&printer, "templating", total),
            started: Mutex::new(Vec::new()),
        }
    }
}

impl Reporter for TemplateReporter {
    fn on_release_start(&self, release: &str) -> usize {
        self.printer.info(&format!("Templating {release}"));
        // `release=NAME, chart=CHART`: the live line names the release.
        let name = release.strip_prefix("release=").and_then(|r| r.split(',').next()).unwrap_or(release);
        self.progress.begin(name);
        let mut started = self.started.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        started.push(name.to_string());
        started.len() - 1
    }

    fn on_release_complete(&self, id: usize, _succeeded: bool) {
        let started = self.started.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(release) = started.get(id) {
            self.progress.end(release);
        }
    }
}
