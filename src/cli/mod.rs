//! The command line: clap definitions ([`Cli`]) that parse and validate only,
//! and [`settings`] that resolve them, with the environment, into the typed
//! settings commands take.

pub use args::{
    ApplyArgs, BuildArgs, CacheArgs, Cli, Command, CreateArgs, DaemonActionArg, DaemonArgs, DagFormat, DepsArgs,
    DestroyArgs, DiffArgs, DiffViewArgs, DriftArgs, FetchArgs, GlobalArgs, HelmArgs, LintArgs, ListArgs, ListWhat,
    NeedsArgs, PrintEnvArgs, RenderArgs, ReposArgs, ShowDagArgs, StatusArgs, SubstitutionKind, SyncArgs, SyncFlags,
    TemplateArgs, TestArgs, ValuesArgs, VersionArgs, WatchArgs, WriteValuesArgs,
};
pub use compat::move_command_flags;
pub use grammar::{DiffFormat, OutputFormat, parse_age};
pub use settings::{DeploySettings, GlobalSettings, NoMatch, StateValueFlags, TemplateSettings, TrackFlags, cache_dir};

mod args;
mod compat;
mod grammar;
mod settings;
