//! helmfire's integration tests, built as one binary so the Go archive is
//! linked once (Cargo.toml sets `autotests = false`).
//!
//! They run the real `helmfire` binary on fixture charts; none of them needs
//! a helm binary, and `no_helm.rs` proves helmfire never runs one. The oracle
//! tests build the helm CLI of the embedded version from Go modules (cached
//! outside the repository) and compare output byte for byte.

#[macro_use]
mod macros;
mod util;

mod airgap;
mod bad_input;
mod bindings;
mod chart_keys;
mod chart_repo;
mod chartify;
mod cli;
mod cluster;
mod conformance;
mod daemon;
mod deploy;
mod diff_apply;
mod drift;
mod fault_proxy;
mod faults;
mod helmfile_semantics;
mod helmfire_chart;
mod http_proxy;
#[cfg(helmfire_static)] // a scratch image needs the static binary
mod image;
mod layering;
mod no_helm;
mod oci;
mod oci_registry;
mod offline_commands;
mod oracle;
mod remote_sources;
mod repositories;
mod secrets;
mod selection;
mod shim_abi;
mod static_binary;
mod substitutions;
mod template;
mod tracking;
mod version;
mod watch;
mod webhook_receiver;
