//! The commands, one file each: a struct of settings plus the shared
//! [`Context`], with a `run()` that returns an [`ExitStatus`].
//!
//! Commands are thin: they parse their options, call the shared stages of
//! `pipeline` (session, prepare, requests, deploy, diff, apply, drift) and
//! print. Work two commands need lives in `pipeline`, not here.

pub use crate::pipeline::{ClusterFlags, Context, ExitStatus};

pub use crate::pipeline::diff::DiffOptions;
pub use apply::ApplyCommand;
pub use build::{BuildCommand, EmbedValues};
pub use cache::{CacheAction, CacheCommand};
pub use create::CreateCommand;
pub use daemon::{DaemonAction, DaemonCommand, DaemonOptions};
pub use deps::DepsCommand;
pub use destroy::DestroyCommand;
pub use diff::DiffCommand;
pub use drift::DriftCommand;
pub use fetch::FetchCommand;
pub use init::InitCommand;
pub use kustomize_helm::{invoked_as_kustomize_helm, run_as_kustomize_helm};
pub use lint::LintCommand;
pub use list::ListCommand;
pub use print_env::PrintEnvCommand;
pub use repos::ReposCommand;
pub use show_dag::ShowDagCommand;
pub use status::StatusCommand;
pub use substitute::{SubstituteAction, SubstituteCommand};
pub use sync::SyncCommand;
pub use template::TemplateCommand;
pub use test::TestCommand;
pub use version::VersionCommand;
pub use write_values::WriteValuesCommand;

mod apply;
mod build;
mod cache;
mod create;
mod daemon;
mod deps;
mod destroy;
mod diff;
mod drift;
mod fetch;
mod init;
mod kustomize_helm;
mod lint;
mod list;
mod print_env;
mod repos;
mod show_dag;
mod status;
mod substitute;
mod sync;
mod template;
mod test;
mod version;
mod write_values;
