//! The checked program: every definition resolved and typed, with the defaults of
//! stdlib/*.mlp filled in. Each built-in is an enum variant whose fields are its declared
//! parameters and each block's settings a struct ([`DatasetSettings`], [`ModelSettings`], ...), so
//! nothing below the checker reads a setting by name or knows a default. The plan is lowered from
//! this, and its nodes own slices of it as their configuration.
//!
//! A setting is added by declaring it in stdlib/*.mlp, adding the field to its struct here, and
//! using it where it is implemented; the checker fills it in through serde (`Value::to_typed`),
//! and the plan fingerprints it because it serializes the whole struct.

mod data;
mod expression;
mod measures;
mod network;
mod release;
mod search;
mod training;

pub use crate::value::{Config, Value};
pub use data::{
    Augmentation, DatasetSettings, Delimiter, Encoding, Format, Missing, Normalizer, Sampling, SourceSettings, Split,
    Tokenizer, Windowing,
};
pub use expression::Expression;
pub use measures::{BaselineKind, BaselineSettings, Bound, BoundOp, BoundedMetric, MetricKind};
pub use network::{
    Activation, Footprint, Layer, MAX_LAYERS, NetworkSpec, ShapeError, ShapedLayer, WeightInit, bytes_text, count_text,
    infer_shapes, shape_text,
};
pub use release::{
    Action, Auth, Comparison, DeploySettings, GateCheck, MonitorSettings, Statistic, Target, Watch, Window,
};
pub use search::{Distribution, Refinement, SearchSettings, Strategy};
pub use training::{
    Architecture, Device, Init, Loss, ModelSettings, Optimizer, PipelineSettings, Precision, Seed, Stopping,
};

use crate::ast::Direction;
use crate::types::{ColumnType, Schema, Task};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Every kind of built-in declared in stdlib/*.mlp and every `extern settings` block, with the
/// shape of the type its values become (the kind `function` is not typed: calls stay in
/// expressions). compiler/tests/stdlib.rs holds each declaration to its variant and fields.
pub fn declared_types() -> Vec<(&'static str, crate::value::TypeShape)> {
    use crate::value::shape_of;
    vec![
        ("format", shape_of::<Format>()),
        ("split", shape_of::<Split>()),
        ("normalizer", shape_of::<Normalizer>()),
        ("encoding", shape_of::<Encoding>()),
        ("missing", shape_of::<Missing>()),
        ("sampling", shape_of::<Sampling>()),
        ("augmentation", shape_of::<Augmentation>()),
        ("windowing", shape_of::<Windowing>()),
        ("tokenizer", shape_of::<Tokenizer>()),
        ("metric", shape_of::<MetricKind>()),
        ("baseline", shape_of::<BaselineKind>()),
        ("model", shape_of::<Architecture>()),
        ("layer", shape_of::<Layer>()),
        ("activation", shape_of::<Activation>()),
        ("init", shape_of::<Init>()),
        ("optimizer", shape_of::<Optimizer>()),
        ("loss", shape_of::<Loss>()),
        ("stopping", shape_of::<Stopping>()),
        ("device", shape_of::<Device>()),
        ("precision", shape_of::<Precision>()),
        ("strategy", shape_of::<Strategy>()),
        ("refinement", shape_of::<Refinement>()),
        ("distribution", shape_of::<Distribution>()),
        ("target", shape_of::<Target>()),
        ("statistic", shape_of::<Statistic>()),
        ("action", shape_of::<Action>()),
        ("auth", shape_of::<Auth>()),
        ("settings.pipeline", shape_of::<PipelineSettings>()),
        ("settings.source", shape_of::<SourceSettings>()),
        ("settings.dataset", shape_of::<DatasetSettings>()),
        ("settings.model", shape_of::<ModelSettings>()),
        ("settings.baseline", shape_of::<BaselineSettings>()),
        ("settings.search", shape_of::<SearchSettings>()),
        ("settings.deploy", shape_of::<DeploySettings>()),
        ("settings.monitor", shape_of::<MonitorSettings>()),
    ]
}

#[derive(Clone, Debug, Serialize)]
pub struct Program {
    pub pipeline: Pipeline,
    pub sources: Vec<Source>,
    pub datasets: Vec<Dataset>,
    pub features: Vec<Feature>,
    pub metrics: Vec<Metric>,
    pub objective: Option<Objective>,
    pub baselines: Vec<Baseline>,
    pub models: Vec<Model>,
    pub searches: Vec<Search>,
    pub gates: Vec<Gate>,
    pub deploys: Vec<Deploy>,
    pub monitors: Vec<Monitor>,
}

impl Program {
    /// The program with the pipeline's seed replaced (`mlpc run --seed`).
    pub fn with_seed(mut self, seed: Seed) -> Program {
        self.pipeline.settings.seed = seed;
        self
    }

    /// The metric the objective names, with its built-in.
    pub fn objective_metric(&self) -> Option<(&Objective, &Metric)> {
        let objective = self.objective.as_ref()?;
        Some((objective, self.metrics.iter().find(|m| m.name == objective.metric)?))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub name: String,
    pub settings: PipelineSettings,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub format: Format,
    /// The data path resolved against the directory of the spec that names it.
    pub path: PathBuf,
    /// For `idx` sources, the labels file resolved likewise.
    pub labels: Option<PathBuf>,
    pub schema: Schema,
    pub settings: SourceSettings,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub source: String,
    /// The source's columns minus excluded ones, plus derived features.
    pub schema: Schema,
    pub label: String,
    pub label_type: ColumnType,
    pub task: Task,
    /// For binary labels, the level counted as positive.
    pub positive: Option<String>,
    /// The input columns models see (all columns but the label and exclusions, features included).
    pub inputs: Vec<String>,
    /// Width of the tabular input after encoding (one-hot widens categories).
    pub input_width: usize,
    pub settings: DatasetSettings,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    pub expression: Expression,
    pub ty: ColumnType,
    /// Columns and features it reads, sorted.
    pub reads: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// The user's name, or the built-in's name for built-ins used directly.
    pub name: String,
    pub kind: MetricKind,
    pub direction: Direction,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    pub metric: String,
    pub direction: Direction,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub name: String,
    pub dataset: String,
    pub kind: BaselineKind,
    pub settings: BaselineSettings,
}

/// What a model's network reads: the tabular features, or one image or sequence column (the
/// `input` attribute of its architecture's declaration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Tabular,
    Image,
    Sequence,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub name: String,
    pub dataset: String,
    pub architecture: Architecture,
    pub settings: ModelSettings,
    pub input: InputKind,
    /// The explicit `layers { ... }` list, when the model has one.
    pub layers: Option<Vec<Layer>>,
    /// Every layer with its shapes, the head included (see [`NetworkSpec`]).
    pub network: NetworkSpec,
    /// The loss the task implies or the spec names (never `auto`).
    pub loss: Loss,
}

impl Model {
    /// The model with a search trial's hyperparameters in place of its own: each one replaces the
    /// training setting, architecture argument or optimizer parameter of that name (in that
    /// order of precedence), and the network is shaped again. The checker allows only names
    /// the model has, so an error here is a value of the wrong type.
    pub fn with_overrides(&self, overrides: &BTreeMap<String, Value>) -> Result<Model, String> {
        if overrides.is_empty() {
            return Ok(self.clone());
        }
        let mut settings = Value::from_typed(&self.settings).map_err(|e| e.to_string())?;
        let mut architecture = Value::from_typed(&self.architecture).map_err(|e| e.to_string())?;
        for (name, value) in overrides {
            let Value::Call { args: settings_args, .. } = &mut settings else { break };
            if settings_args.contains_key(name) && name != "optimizer" {
                settings_args.insert(name.clone(), value.clone());
                continue;
            }
            if let Value::Call { args, .. } = &mut architecture {
                if args.contains_key(name) {
                    args.insert(name.clone(), value.clone());
                    continue;
                }
            }
            match settings_args.get_mut("optimizer") {
                Some(Value::Call { args, .. }) if args.contains_key(name) => {
                    args.insert(name.clone(), value.clone());
                }
                _ => return Err(format!("model `{}` has no parameter `{name}` to search", self.name)),
            }
        }
        let settings: ModelSettings = settings.to_typed().map_err(|e| format!("a searched value: {e}"))?;
        let architecture: Architecture = architecture.to_typed().map_err(|e| format!("a searched value: {e}"))?;
        let network = NetworkSpec::of(
            &architecture,
            self.layers.as_deref(),
            settings.dropout,
            settings.batch_norm,
            &self.network.input,
            self.network.outputs,
        )
        .map_err(|e| e.to_string())?;
        Ok(Model { settings, architecture, network, ..self.clone() })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Search {
    pub model: String,
    pub settings: SearchSettings,
    /// Each searched parameter and its distribution.
    pub space: BTreeMap<String, Distribution>,
}

impl Search {
    /// Trials per round when the strategy fixes the count: `trials` of random and Bayesian
    /// search, the grid's number of combinations (`None` when a range is continuous or the
    /// product overflows).
    pub fn trials_per_round(&self) -> Option<u64> {
        match self.settings.strategy {
            Strategy::Grid => self.space.values().try_fold(1u64, |total, d| total.checked_mul(d.grid_size()?)),
            Strategy::Random { trials } | Strategy::Bayesian { trials } => Some(trials as u64),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub name: String,
    pub checks: Vec<GateCheck>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deploy {
    pub name: String,
    pub target: Target,
    pub settings: DeploySettings,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    pub deploy: String,
    pub settings: MonitorSettings,
    pub rules: Vec<MonitorRule>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorRule {
    pub watch: Watch,
    pub op: Comparison,
    pub threshold: f64,
    /// `over 500 labelled`: the window, when given.
    pub window: Option<Window>,
    pub action: Action,
}
