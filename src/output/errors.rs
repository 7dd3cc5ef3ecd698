//! Renders an error chain for people, with hints from the layer errors.

use std::io;

use super::printer::{LineKind, Printer};
use crate::helm::HelmError;
use crate::state::StateError;

/// Prints `error: <outermost>`, a `Caused by:` line per cause and a `hint:`
/// from the first error in the chain that has one.
pub fn report(printer: &Printer, error: &anyhow::Error) {
    let mut lines = vec![(LineKind::Error, error.to_string())];
    let mut hint = hint_of(error.as_ref());
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        hint = hint.or_else(|| hint_of(cause));
        // Wrappers that already quote their cause (thiserror's transparent
        // ones, or `"{context}: {source}"` messages) would say it twice.
        if lines.last().is_some_and(|(_, last)| last.ends_with(&text)) {
            continue;
        }
        lines.push((LineKind::Cause, text));
    }
    if let Some(hint) = hint {
        lines.push((LineKind::Hint, hint));
    }
    printer.error_block(&lines);
}

fn hint_of(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(e) = error.downcast_ref::<StateError>() {
        return e.hint();
    }
    if let Some(e) = error.downcast_ref::<HelmError>() {
        return e.hint();
    }
    None
}

/// The process exit code for an error: 0 for a closed stdout pipe (the
/// reader stopped listening, as with `| head`), 1 otherwise, as helmfile.
pub fn exit_code_for(error: &anyhow::Error) -> u8 {
    let broken_pipe =
        error.chain().filter_map(|e| e.downcast_ref::<io::Error>()).any(|e| e.kind() == io::ErrorKind::BrokenPipe);
    if broken_pipe { 0 } else { 1 }
}
