//! The command line: clap definitions ([`Cli`]) that parse and validate only,
//! and [`settings`] that resolve them, with the environment, into the typed
//! settings commands take.

pub use args::{
    BuildArgs, Cli, Command, DagFormat, GlobalArgs, ListArgs, NeedsArgs, ShowDagArgs, TemplateArgs, VersionArgs,
};
pub use settings::{DeploySettings, GlobalSettings, NoMatch, OutputFormat, TemplateSettings};

mod args;
mod settings;
