//! [`Printer`]: where every byte helmfire shows goes through.

use std::io::{self, IsTerminal, Write};

/// How much goes to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors only (`-q`).
    Quiet,
    /// Progress lines, warnings and errors.
    Normal,
    /// Also debug lines, including the Helm SDK's (`--debug`).
    Debug,
}

/// When to colour stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always (`--color`).
    Always,
    /// Never (`--no-color`).
    Never,
}

/// Writes results to stdout and messages to stderr.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    verbosity: Verbosity,
    color: bool,
}

impl Printer {
    /// A printer; `no_color_env` is whether NO_COLOR is set.
    pub fn new(verbosity: Verbosity, color: ColorChoice, no_color_env: bool) -> Self {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color_env && io::stderr().is_terminal(),
        };
        Printer { verbosity, color }
    }

    /// The verbosity.
    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// The same printer with another verbosity.
    pub fn with_verbosity(self, verbosity: Verbosity) -> Printer {
        Printer { verbosity, ..self }
    }

    /// A line on stderr whatever the verbosity (watch mode's one line per
    /// change, which `-q` must not hide).
    pub fn always(&self, line: &str) {
        self.stderr_line(line);
    }

    /// Writes a result to stdout. A closed pipe (`| head`) surfaces as
    /// `ErrorKind::BrokenPipe`, which main turns into a clean exit.
    pub fn stdout(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// A progress line on stderr (not with `-q`).
    pub fn info(&self, line: &str) {
        if self.verbosity >= Verbosity::Normal {
            self.stderr_line(line);
        }
    }

    /// A debug line on stderr (only with `--debug`).
    pub fn debug(&self, line: &str) {
        if self.verbosity >= Verbosity::Debug {
            self.stderr_line(&self.paint("debug:", Style::Dim, line));
        }
    }

    /// A warning on stderr (not with `-q`).
    pub fn warn(&self, line: &str) {
        if self.verbosity >= Verbosity::Normal {
            self.stderr_line(&self.paint("warning:", Style::Yellow, line));
        }
    }

    /// Colours a unified diff for the terminal: added lines green, removed
    /// lines red, headers bold; unchanged without colour.
    pub fn colorize_diff(&self, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len() + 64);
        for line in text.split_inclusive('\n') {
            let (body, newline) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            };
            let code = if body.starts_with('+') {
                "32"
            } else if body.starts_with('-') {
                "31"
            } else if body.ends_with(':') && !body.starts_with(' ') {
                "1"
            } else {
                ""
            };
            if code.is_empty() {
                out.push_str(line);
            } else {
                out.push_str(&format!("\x1b[{code}m{body}\x1b[0m{newline}"));
            }
        }
        out
    }

    /// A question on stderr, without a newline, shown even with `-q`.
    pub fn prompt(&self, question: &str) -> io::Result<()> {
        let mut result = Ok(());
        super::progress::with_live_line_suspended(|| {
            let mut err = io::stderr().lock();
            result = err.write_all(question.as_bytes()).and_then(|()| err.flush());
        });
        result
    }

    /// An error block on stderr, always shown.
    pub(crate) fn error_block(&self, lines: &[(LineKind, String)]) {
        super::progress::with_live_line_suspended(|| {
            let mut err = io::stderr().lock();
            for (kind, text) in lines {
                let line = match kind {
                    LineKind::Error => self.paint("error:", Style::Red, text),
                    LineKind::Cause => format!("  {}", self.paint("Caused by:", Style::Dim, text)),
                    LineKind::Hint => self.paint("hint:", Style::Cyan, text),
                };
                let _ = writeln!(err, "{}", super::redact::urls(&line));
            }
        });
    }

    fn stderr_line(&self, line: &str) {
        // A closed stderr has nowhere left to report to.
        super::progress::with_live_line_suspended(|| {
            let _ = writeln!(io::stderr().lock(), "{}", super::redact::urls(line));
        });
    }

    fn paint(&self, label: &str, style: Style, text: &str) -> String {
        if !self.color {
            return format!("{label} {text}");
        }
        let code = match style {
            Style::Red => "1;31",
            Style::Yellow => "1;33",
            Style::Cyan => "1;36",
            Style::Dim => "2",
        };
        format!("\x1b[{code}m{label}\x1b[0m {text}")
    }
}

/// The lines of an error block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Error,
    Cause,
    Hint,
}

#[derive(Clone, Copy)]
enum Style {
    Red,
    Yellow,
    Cyan,
    Dim,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_are_coloured_only_when_colour_is_on() {
        let diff = "ns, a, ConfigMap (v1) has changed:\n-   x: 1\n+   x: 2\n    y: 3\n";
        let plain = Printer::new(Verbosity::Normal, ColorChoice::Never, false);
        assert_eq!(plain.colorize_diff(diff), diff);
        let coloured = Printer::new(Verbosity::Normal, ColorChoice::Always, false);
        assert_eq!(
            coloured.colorize_diff(diff),
            "\x1b[1mns, a, ConfigMap (v1) has changed:\x1b[0m\n\x1b[31m-   x: 1\x1b[0m\n\x1b[32m+   x: 2\x1b[0m\n    y: 3\n"
        );
        // NO_COLOR wins over a terminal.
        let no_color = Printer::new(Verbosity::Normal, ColorChoice::Auto, true);
        assert_eq!(no_color.colorize_diff(diff), diff);
    }
}
