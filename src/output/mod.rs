//! The output layer: the only code that writes to the terminal.
//!
//! [`Printer`] writes stdout (results) and stderr (progress, logs, errors);
//! [`report`] renders errors as `error:` / `Caused by:` / `hint:`;
//! [`Progress`] is the live line of long runs on a terminal.
//! Other layers return values and errors; they never print. Credentials in
//! URLs are masked in everything written to stderr ([`redact`]).

pub use errors::{exit_code_for, report};
pub use printer::{ColorChoice, Printer, Verbosity};
pub use progress::Progress;
pub use reporters::TemplateReporter;
pub use table::render_table;

mod errors;
mod printer;
mod progress;
pub mod redact;
mod reporters;
mod table;
