//! helmfire deploys the Helm releases declared in a `helmfile.yaml`, with
//! the Helm SDK compiled in through a Go c-archive: no helm binary, no
//! plugins, one process.
//!
//! The layers, from the bottom (docs/ARCHITECTURE.md has the whole picture):
//! - [`state`]: finds and parses state files; no I/O beyond reading them.
//! - [`helm`]: the Helm SDK behind the [`helm::HelmBackend`] trait; the only
//!   `unsafe` code, in `helm/ffi.rs`.
//! - [`exec`]: runs per-release work concurrently on tokio.
//! - [`output`]: everything printed.
//! - [`cli`] and [`commands`]: the command line and what each command does.

pub mod cli;
pub mod commands;
pub mod daemon;
pub mod drift;
pub mod env_vars;
pub mod exec;
pub mod helm;
pub mod notify;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod state;
pub mod substitute;
pub mod watch;
pub mod yaml;
