//! Getting charts ready, as helmfile's chart preparation does: chart
//! repositories registered for the run (`repos.rs`, `registry.rs` for OCI
//! registries), remote charts pulled into the shared chart cache, following
//! lock files (`cache.rs`, `lock_file.rs`), then wrapper charts for ad-hoc
//! `dependencies:`/`strategicMergePatches` and `helm dependency build` of
//! local charts (`build.rs`).

pub(crate) mod build;
pub(crate) mod cache;
pub(crate) mod lock_file;
pub(crate) mod registry;
pub(crate) mod repos;
