//! A live progress line for long runs on a terminal: how many releases are
//! done of how many, which are in flight, the time so far, redrawn in place
//! (indicatif). Piped, in CI (`CI` set), with `TERM=dumb`, `-q` or
//! `--debug`, there is none: the plain lines are the record.
//!
//! While a line is live, every other stderr line goes out through it
//! ([`with_live_line_suspended`]), so messages never tear the display.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use super::printer::{Printer, Verbosity};

/// The live line, when one is shown.
static LIVE: Mutex<Option<indicatif::ProgressBar>> = Mutex::new(None);

/// Runs `write` with the live line (if any) cleared and redrawn after it.
pub(crate) fn with_live_line_suspended(write: impl FnOnce()) {
    let live = LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    match live {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Whether a live line is wanted: stderr is a terminal, not CI, not a dumb
/// terminal, and plain progress lines would be shown (not `-q`; `--debug`
/// keeps every line instead).
fn wanted(printer: &Printer) -> bool {
    printer.verbosity() == Verbosity::Normal
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// The progress of one run over `total` releases. Dropping it clears the
/// line.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    in_flight: Mutex<Vec<String>>,
}

impl Progress {
    /// Starts the live line for `total` releases (`verb`: "templating",
    /// "syncing"...), or nothing when it is not wanted.
    pub fn start(printer: &Printer, verb: &str, total: usize) -> Progress {
        let bar = (wanted(printer) && total > 1).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template("{prefix} {pos}/{len} done, {elapsed} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(verb.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            *LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(bar.clone());
            bar
        });
        Progress { bar, in_flight: Mutex::new(Vec::new()) }
    }

    /// A release's work started.
    pub fn begin(&self, release: &str) {
        if let Some(bar) = &self.bar {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            in_flight.push(release.to_string());
            bar.set_message(in_flight_text(&in_flight));
        }
    }

    /// A release's work ended.
    pub fn end(&self, release: &str) {
        if let Some(bar) = &self.bar {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(at) = in_flight.iter().position(|r| r == release) {
                in_flight.remove(at);
            }
            bar.inc(1);
            bar.set_message(in_flight_text(&in_flight));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            *LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
            bar.finish_and_clear();
        }
    }
}

/// `in flight: a, b, c (+2)`.
fn in_flight_text(in_flight: &[String]) -> String {
    const SHOWN: usize = 3;
    if in_flight.is_empty() {
        return String::new();
    }
    let mut text = format!("in flight: {}", in_flight.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", "));
    if in_flight.len() > SHOWN {
        text += &format!(" (+{})", in_flight.len() - SHOWN);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_releases_are_named_up_to_three() {
        let names: Vec<String> = ["a", "b", "c", "d", "e"].iter().map(ToString::to_string).collect();
        assert_eq!(in_flight_text(&names[..2]), "in flight: a, b");
        assert_eq!(in_flight_text(&names), "in flight: a, b, c (+2)");
        assert_eq!(in_flight_text(&[]), "");
    }

    #[test]
    fn quiet_runs_have_no_live_line() {
        // With -q there is none, terminal or not.
        let printer = Printer::new(Verbosity::Quiet, super::super::ColorChoice::Never, false);
        let progress = Progress::start(&printer, "templating", 10);
        assert!(progress.bar.is_none());
        progress.begin("a");
        progress.end("a");
    }
}
