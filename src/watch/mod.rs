//! Watch mode: which files a state depends on (`dependencies.rs`), which
//! events matter ([`changes`]),
//! what a release's desired state is, as a hash to compare between reloads
//! ([`fingerprint`]), and the loop that reloads and applies (`run.rs`),
//! which the daemon runs too. The loop calls the shared stages of
//! `pipeline`, never a command.

pub mod changes;
mod dependencies;
pub mod fingerprint;
mod run;

pub use changes::{ChangeStream, Ignore};
pub use dependencies::{Dependencies, dependencies};
pub use fingerprint::Fingerprints;
pub use run::{QUIET, WatchLoop, clock};
