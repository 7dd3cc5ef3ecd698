//! Watch mode's building blocks: which paths to watch and which events
//! matter ([`changes`]), and what a release's desired state is, as a hash
//! to compare between reloads ([`fingerprint`]). The loop that reloads and
//! applies is a command (`commands/watch_loop.rs`).

pub mod changes;
pub mod fingerprint;

pub use changes::{ChangeStream, Ignore};
pub use fingerprint::Fingerprints;
