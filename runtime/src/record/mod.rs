//! What a run leaves behind: the report (`run.json`, `metrics.json`, weights, predictions) in its
//! run directory, and its row in the run history.

pub mod bundle;
pub mod report;
pub mod store;
