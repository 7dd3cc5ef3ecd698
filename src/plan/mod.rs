//! The plan layer: which releases a command acts on, and in what order.
//!
//! Pure and synchronous: it takes resolved releases from `state` and returns
//! selections and batches. It must not import `exec`, `helm`, `output`,
//! `commands` or `cli`.
