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
    for (_, text) in &mut lines {
        *text = collapse_repeats(text);
    }
    printer.error_block(&lines);
}

/// A recursive template (`include` or `tpl` calling itself) fails with the
/// same few `: `-separated segments repeated thousands of times; said once,
/// with the count, the message stays readable.
fn collapse_repeats(text: &str) -> String {
    const MIN_REPEATS: usize = 3;
    let parts: Vec<&str> = text.split(": ").collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut i = 0;
    while i < parts.len() {
        let mut collapsed = false;
        for width in 1..=6 {
            let unit = &parts[i..(i + width).min(parts.len())];
            if unit.len() < width {
                break;
            }
            let mut repeats = 1;
            while parts.get(i + repeats * width..i + (repeats + 1) * width) == Some(unit) {
                repeats += 1;
            }
            if repeats >= MIN_REPEATS {
                out.push(format!("{} [repeated {repeats} times]", unit.join(": ")));
                i += repeats * width;
                collapsed = true;
                break;
            }
        }
        if !collapsed {
            out.push(parts[i].to_string());
            i += 1;
        }
    }
    out.join(": ")
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

#[cfg(test)]
mod collapse_tests {
    use super::collapse_repeats;

    #[test]
    fn a_recursive_chain_is_said_once_with_its_count() {
        let unit = "error calling include: template: v:1:19: executing \"x\" at <include \"x\" .>";
        let text = format!("v: {}", vec![unit; 500].join(": "));
        let short = collapse_repeats(&text);
        assert!(short.len() < 300, "{short}");
        assert!(short.contains("[repeated 500 times]"), "{short}");
        assert_eq!(collapse_repeats("a: b: c"), "a: b: c");
        assert_eq!(collapse_repeats("a: a"), "a: a");
    }
}
