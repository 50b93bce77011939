//! `mlp-monitor`: what a deployed model's monitors compute, shared by `mlpc monitor` (offline,
//! over files) and `mlpc serve` (live, over windows of requests):
//!
//! - `stats.rs` the drift statistics, each equal to scipy's;
//! - `profile.rs` current rows summarized per input column;
//! - `drift.rs` each column against the bundle's training reference, the statistic chosen as
//!   Evidently chooses it, and the dataset's verdict;
//! - `labelled.rs` predictions with their true labels, scored by the spec's metrics;
//! - `conditions.rs` the outcome of each monitor condition;
//! - `current.rs` data files read a chunk at a time into a profile.

// `RunError` carries a location and help text; failures are rare, so returning it by value costs
// nothing that matters (as in the other library crates).
#![allow(clippy::result_large_err)]

pub mod conditions;
pub mod current;
pub mod drift;
pub mod labelled;
pub mod profile;
pub mod stats;
