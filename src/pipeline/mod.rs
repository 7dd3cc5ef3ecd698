//! The stages every command goes through between the state and the Helm
//! SDK, written once:
//!
//! 1. [`Session`] (`session.rs`): the state loaded as the global flags say,
//!    the releases selected (`selection.rs`), no-match checked;
//! 2. `prepare.rs`: `prepare` hooks, chart repositories, chart pulls into
//!    the cache (`charts/`), each release's values resolved (`values.rs`:
//!    where secrets and remote sources plug in) and its chart prepared
//!    (wrapper charts, dependency builds);
//! 3. `requests.rs`: each release's request to the SDK (helmfile's values
//!    order, `--set` escaping, deploy options);
//! 4. the operations several commands and loops share: `deploy.rs` (sync
//!    along the needs graph, with hooks), `diff.rs`, `apply.rs`, `drift.rs`.
//!
//! Commands (`commands/`) are thin: they parse their options, call these
//! stages and print. The watch and daemon loops call them too. This layer
//! may use `state`, `plan`, `helm`, `exec`, `output` and the settings of
//! `cli`, never `commands`, `watch` or `daemon`.

pub use context::{ClusterFlags, Context, ExitStatus};
pub use engine::ShimEngine;
pub(crate) use error::report_failures;
pub use error::{ReleaseError, ReleaseFailed};
pub use session::Session;
pub use values::{
    Embedded, Notices, ReleaseValues, ResolvedValues, ValuesContext, embedded_values, release_documents, release_values,
};

pub(crate) mod apply;
pub(crate) mod charts;
pub(crate) mod deploy;
pub(crate) mod diff;
pub(crate) mod drift;
pub(crate) mod hooks;
pub(crate) mod kube;
pub(crate) mod output_paths;
pub(crate) mod prepare;
pub(crate) mod requests;
pub(crate) mod selection;

mod context;
mod engine;
mod error;
mod release_options;
mod session;
mod template_data;
mod values;
