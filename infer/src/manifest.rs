//! [`Manifest`]: what a bundle is — its format and version, where it came from (run, spec and
//! plan fingerprints, data hashes), the rows it reads ([`InputColumn`]s), the features it
//! derives, the network it runs and the head that turns logits into predictions, and the metrics
//! it was released on. `manifest.json` in the bundle directory.

use crate::predict::{Head, NetworkInput};
use mlp_compiler::program::{Feature, NetworkSpec};
use mlp_compiler::types::{ColumnType, Task};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `format` of every bundle's manifest.
pub const FORMAT: &str = "mlpc-bundle";
/// The bundle layout this mlpc writes and reads. A reader refuses a newer version (E0830); a
/// change to any file of the layout increments it.
pub const VERSION: u32 = 1;

/// Metric values by split (`train`, `val`, `test`), then by metric.
pub type SplitMetrics = BTreeMap<String, BTreeMap<String, Option<f64>>>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// 16 hex digits of blake3 over the bundle's content (weights, preprocessing, reference and
    /// this manifest without `id`, `created` and `run_id`): two runs that train the same model
    /// give bundles with the same id.
    pub id: String,
    pub model: String,
    /// The built-in: `mlp`, `cnn`, `lstm`.
    pub architecture: String,
    pub pipeline: String,
    pub dataset: String,
    pub run_id: String,
    /// UTC, RFC 3339.
    pub created: String,
    pub mlpc_version: String,
    /// blake3 of the spec's text (16 hex digits).
    pub spec_fingerprint: String,
    /// The fingerprint of the plan node that trained the model (covers its data, preprocessing,
    /// features, architecture and training settings).
    pub plan_fingerprint: String,
    pub task: Task,
    pub label: String,
    /// Class names in the order of the probabilities (empty for regression).
    pub classes: Vec<String>,
    pub positive: Option<String>,
    /// A binary model predicts the positive class when its probability reaches this.
    pub threshold: f64,
    /// The raw columns a row must (or may) carry, in the order of the training data.
    pub inputs: Vec<InputColumn>,
    /// Derived features, computed from the inputs before preprocessing.
    pub features: Vec<Feature>,
    pub network: NetworkSpec,
    pub network_input: NetworkInput,
    pub head: Head,
    /// `f32`, `bf16` or `f16`: the dtype its forward pass computes in.
    pub precision: String,
    /// The model's metrics on each split of the run that released it.
    pub metrics: SplitMetrics,
    /// The baselines' metrics in that run, by baseline.
    pub baselines: BTreeMap<String, SplitMetrics>,
    /// The data the model was trained on.
    pub data: Vec<DataHash>,
    /// Every other file of the bundle with its blake3 (64 hex digits), checked on load.
    pub files: BTreeMap<String, String>,
}

/// One raw column a row carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    #[serde(flatten)]
    pub ty: ColumnType,
    /// Whether a missing value is filled (`true`) or makes the row an error.
    pub optional: bool,
}

/// A data source the model was trained on: its path as the spec names it and the content hash
/// of the rows loaded from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataHash {
    pub source: String,
    pub path: String,
    pub hash: String,
    pub rows: usize,
}
