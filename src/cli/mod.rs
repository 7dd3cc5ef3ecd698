//! The command line: clap definitions ([`Cli`]) that parse and validate only,
//! and [`settings`] that resolve them, with the environment, into the typed
//! settings commands take.

pub use args::{
    BuildArgs, CacheArgs, Cli, ClusterArgs, Command, DaemonActionArg, DaemonArgs, DagFormat, DeployArgs, DestroyArgs,
    DiffArgs, DriftArgs, FetchArgs, GlobalArgs, ListArgs, ListWhat, NeedsArgs, PrintEnvArgs, ShowDagArgs,
    SubstitutionKind, TemplateArgs, TestArgs, VersionArgs, WatchArgs, WriteValuesArgs,
};
pub use compat::move_command_flags;
pub use grammar::{DiffFormat, OutputFormat, parse_age};
pub use settings::{DeploySettings, GlobalSettings, NoMatch, StateValueFlags, TemplateSettings};

mod args;
mod compat;
mod grammar;
mod settings;
