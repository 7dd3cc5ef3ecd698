//! The state layer: finds helmfile state files, parses them against
//! helmfile's schema and resolves releases.
//!
//! It reads files and nothing else: no cluster, no Helm, no output. It must
//! not import `exec`, `helm`, `output` or `commands`.

pub use error::{Location, StateError};
pub use load::{StateFile, StateSource, load, parse_state};
pub use release::{ChartSource, Release, ValuesInput};
pub use schema::{HelmfileDoc, ReleaseSpec, SetValue, ValuesEntry};

mod error;
mod load;
mod release;
mod schema;
