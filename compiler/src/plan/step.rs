//! What each plan node executes: one typed configuration per node kind, made of the checked
//! program's own types. The runtime runs a node from its configuration and its inputs' artifacts
//! alone, and a node's fingerprint hashes exactly this configuration (see `fingerprint` in
//! mod.rs), so a setting the runtime reads cannot be left out of the fingerprint.

use crate::ast::Direction;
use crate::program::{
    Augmentation, Baseline, Dataset, Deploy, Device, Feature, Format, Gate, Metric, Missing, Model, Monitor,
    Normalizer, Precision, Sampling, Search, Seed, Source, Split, Tokenizer, Windowing,
};
use crate::types::{Schema, Task};
use crate::value::{ShapeError, Value};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A node's configuration.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum NodeConfig {
    Load(LoadStep),
    Validate(ValidateStep),
    Derive(DeriveStep),
    Split(SplitStep),
    FitTransform(FitStep),
    TrainBaseline(BaselineStep),
    SearchTrial(SearchStep),
    TrainModel(TrainStep),
    Evaluate(EvaluateStep),
    Gate(GateStep),
    Export(ExportStep),
    Deploy(DeployStep),
    Monitor(MonitorStep),
}

impl NodeConfig {
    /// The configuration as a value: what the fingerprint hashes and the views print.
    pub fn to_value(&self) -> Value {
        // Every step is plain data (numbers, names, lists, typed enums): it always serializes.
        Value::from_typed(self).unwrap_or_else(|e| Value::String(format!("unserializable: {e}")))
    }

    /// The configuration of a `kind` node read back from a value (the inverse of `to_value`).
    pub fn from_value(kind: super::NodeKind, value: &Value) -> Result<NodeConfig, ShapeError> {
        use super::NodeKind as K;
        Ok(match kind {
            K::Load => NodeConfig::Load(value.to_typed()?),
            K::Validate => NodeConfig::Validate(value.to_typed()?),
            K::Derive => NodeConfig::Derive(value.to_typed()?),
            K::Split => NodeConfig::Split(value.to_typed()?),
            K::FitTransform => NodeConfig::FitTransform(value.to_typed()?),
            K::TrainBaseline => NodeConfig::TrainBaseline(value.to_typed()?),
            K::SearchTrial => NodeConfig::SearchTrial(value.to_typed()?),
            K::TrainModel => NodeConfig::TrainModel(value.to_typed()?),
            K::Evaluate => NodeConfig::Evaluate(value.to_typed()?),
            K::Gate => NodeConfig::Gate(value.to_typed()?),
            K::Export => NodeConfig::Export(value.to_typed()?),
            K::Deploy => NodeConfig::Deploy(value.to_typed()?),
            K::Monitor => NodeConfig::Monitor(value.to_typed()?),
        })
    }
}

/// Read a source's rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadStep {
    pub source: String,
    /// The format with its path as written in the spec (relative to the spec's directory).
    pub format: Format,
    /// The columns to read, with the types the checker declared or inferred.
    pub schema: Schema,
    /// Where this checkout keeps the file(s): the written path resolved against the spec's
    /// directory. Left out of the fingerprint (the written path is in `format`), so the same spec
    /// fingerprints alike on every machine.
    #[serde(skip)]
    pub path: PathBuf,
    /// An `idx` source's labels file, resolved likewise.
    #[serde(skip)]
    pub labels: Option<PathBuf>,
}

impl LoadStep {
    pub fn of(source: &Source) -> LoadStep {
        LoadStep {
            source: source.name.clone(),
            format: source.format.clone(),
            schema: source.schema.clone(),
            path: source.path.clone(),
            labels: source.labels.clone(),
        }
    }
}

/// Check a source's rows against its schema (types, ragged rows and cells are validated while
/// loading; this step hands the validated rows on).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidateStep {
    pub source: String,
    pub schema: Schema,
    pub label: Option<String>,
    pub exclude: Vec<String>,
}

/// Add derived features to a dataset's rows, in program order (a feature may read an earlier
/// one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeriveStep {
    pub dataset: String,
    pub features: Vec<Feature>,
}

/// Choose the rows of each split: windows first (assigned by their target rows), then missing
/// values dropped under `missing = drop`, the label read, the rows cut with the seed and sampled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitStep {
    pub dataset: String,
    pub label: String,
    pub task: Task,
    pub positive: Option<String>,
    /// The inputs whose missing values drop a row.
    pub inputs: Vec<String>,
    /// Columns left out of the models' inputs (a window keeps them out of its features).
    pub exclude: Vec<String>,
    pub split: Split,
    pub sample: Sampling,
    pub window: Option<Windowing>,
    pub missing: Missing,
    pub seed: Seed,
}

impl SplitStep {
    pub fn of(dataset: &Dataset, seed: Seed) -> SplitStep {
        let settings = &dataset.settings;
        SplitStep {
            dataset: dataset.name.clone(),
            label: dataset.label.clone(),
            task: dataset.task,
            positive: dataset.positive.clone(),
            inputs: dataset.inputs.clone(),
            exclude: settings.exclude.clone(),
            split: settings.split.clone(),
            sample: settings.sample,
            window: settings.window,
            missing: settings.missing,
            seed,
        }
    }
}

/// Fit fills, scalers, encoders and vocabularies on the train split only, and apply them to
/// every split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitStep {
    pub dataset: String,
    pub label: String,
    pub task: Task,
    /// The dataset's columns as the models see them (types of the inputs).
    pub schema: Schema,
    pub inputs: Vec<String>,
    pub input_width: usize,
    pub normalize: Normalizer,
    pub encode: crate::program::Encoding,
    pub missing: Missing,
    pub tokenize: Option<Tokenizer>,
}

impl FitStep {
    pub fn of(dataset: &Dataset) -> FitStep {
        let settings = &dataset.settings;
        FitStep {
            dataset: dataset.name.clone(),
            label: dataset.label.clone(),
            task: dataset.task,
            schema: dataset.schema.clone(),
            inputs: dataset.inputs.clone(),
            input_width: dataset.input_width,
            normalize: settings.normalize,
            encode: settings.encode,
            missing: settings.missing,
            tokenize: settings.tokenize,
        }
    }
}

/// Fit a baseline on the train split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineStep {
    pub baseline: Baseline,
}

/// The objective with its metric's definition: what early stopping and search rank by, on the
/// validation split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub metric: Metric,
    pub direction: Direction,
}

/// Train a model: its definition (network shapes included), where and in which precision, the
/// seed, the dataset's training-only augmentation, and what early stopping watches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainStep {
    pub model: Model,
    /// The model's `device`, or the pipeline's when the model's is `auto`.
    pub device: Device,
    /// The model's `precision`, or the pipeline's when the model's is `f32`.
    pub precision: Precision,
    pub seed: Seed,
    pub augment: Vec<Augmentation>,
    /// The objective on the validation split; `None` watches the validation loss.
    pub watch: Option<Ranking>,
    /// The settings a search chooses (their values arrive from `search_trial`).
    pub tuned: Vec<String>,
}

/// Every trial of one search, ranked by the objective on the validation split (never the test
/// split); every trial trains the model as `train` says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchStep {
    pub search: Search,
    pub train: TrainStep,
}

/// Whether an evaluated definition is a model or a baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Model,
    Baseline,
}

/// Every metric of the program on every split, for one model or baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluateStep {
    pub name: String,
    pub subject: Subject,
    pub dataset: String,
    pub metrics: Vec<Metric>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateStep {
    pub gate: Gate,
    /// The metrics its checks name, for their directions.
    pub metrics: Vec<Metric>,
}

/// Bundle a model once every gate has passed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportStep {
    pub model: String,
    pub gates: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeployStep {
    pub deploy: Deploy,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorStep {
    pub monitor: Monitor,
}
