//! The stages every command goes through between the state and the Helm
//! SDK, written once: resolving a release's values (and, as they arrive,
//! its secrets and remote sources) into what helm reads.
//!
//! Commands call these stages; the stages never call commands. This layer
//! may use `state`, `plan`, `helm` and `exec`, never `commands`.

pub use values::{ResolvedValues, resolve_values};

mod values;
