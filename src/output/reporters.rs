//! [`crate::exec::Reporter`] implementations for the terminal.

use crate::exec::Reporter;

use super::printer::Printer;

/// Prints helmfile's `Templating release=NAME, chart=CHART` lines on stderr.
pub struct TemplateReporter {
    printer: Printer,
}

impl TemplateReporter {
    /// A reporter writing through `printer`.
    pub fn new(printer: Printer) -> Self {
        TemplateReporter { printer }
    }
}

impl Reporter for TemplateReporter {
    fn on_release_start(&self, release: &str) -> usize {
        self.printer.info(&format!("Templating {release}"));
        0
    }

    fn on_release_complete(&self, _id: usize, _succeeded: bool) {}
}
