//! The typed training built-ins of stdlib/models.mlp and stdlib/training.mlp, and the settings of
//! `pipeline` and `model` blocks (stdlib/settings.mlp).

use super::network::Activation;
use serde::{Deserialize, Serialize};

/// A model's architecture (`extern model`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    Mlp { hidden: Vec<usize>, activation: Activation, init: Init },
    Cnn,
    Lstm { hidden: usize, layers: usize },
}

impl Architecture {
    pub fn name(&self) -> &'static str {
        match self {
            Architecture::Mlp { .. } => "mlp",
            Architecture::Cnn => "cnn",
            Architecture::Lstm { .. } => "lstm",
        }
    }
}

/// Weight initialisation (`extern init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    Auto,
    He,
    Glorot,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Optimizer {
    Adam { lr: f64, beta1: f64, beta2: f64 },
    Adamw { lr: f64, weight_decay: f64 },
    Sgd { lr: f64, momentum: f64 },
}

impl Optimizer {
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Adam { .. } => "adam",
            Optimizer::Adamw { .. } => "adamw",
            Optimizer::Sgd { .. } => "sgd",
        }
    }

    /// Copies of the weights the optimizer keeps: Adam's two moments, SGD's momentum buffer.
    pub fn state_copies(self) -> usize {
        match self {
            Optimizer::Adam { .. } | Optimizer::Adamw { .. } => 2,
            Optimizer::Sgd { momentum, .. } => usize::from(momentum > 0.0),
        }
    }

    pub fn learning_rate(self) -> f64 {
        match self {
            Optimizer::Adam { lr, .. } | Optimizer::Adamw { lr, .. } | Optimizer::Sgd { lr, .. } => lr,
        }
    }
}

/// A training loss (`extern loss`). A checked model's loss is never `Auto`: the checker resolves
/// it from the label.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    Auto,
    Bce,
    CrossEntropy,
    Mse,
    Huber { delta: f64 },
}

impl Loss {
    pub fn name(self) -> &'static str {
        match self {
            Loss::Auto => "auto",
            Loss::Bce => "bce",
            Loss::CrossEntropy => "cross_entropy",
            Loss::Mse => "mse",
            Loss::Huber { .. } => "huber",
        }
    }
}

/// When training stops early (`extern stopping`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stopping {
    Never,
    Patience { epochs: usize, min_delta: f64 },
}

/// Where a model trains (`extern device`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    Auto,
    Cpu,
    Cuda { index: usize },
}

/// The numeric precision of training (`extern precision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    F32,
    Bf16,
    F16,
}

/// The pipeline's seed: every random choice of a run derives from it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seed(pub i64);

impl Seed {
    /// The seed as the random generator takes it (negative seeds wrap).
    pub fn value(self) -> u64 {
        self.0 as u64
    }
}

/// `extern settings pipeline`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelineSettings {
    pub seed: Seed,
    pub device: Device,
    pub precision: Precision,
    /// Most trainable parameters a model may have (E0410).
    pub max_parameters: usize,
    /// Most memory, in gigabytes (10⁹ bytes), that training one model may take (E0410).
    pub max_memory: f64,
    /// Most trials a search may run, all rounds together (E0503).
    pub max_trials: usize,
}

impl PipelineSettings {
    /// `max_memory` in bytes.
    pub fn max_memory_bytes(&self) -> f64 {
        self.max_memory * 1e9
    }
}

/// `extern settings model`: how a model trains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSettings {
    pub data: Option<String>,
    pub epochs: usize,
    pub batch: usize,
    pub dropout: f64,
    pub optimizer: Optimizer,
    pub early_stop: Stopping,
    pub l1: f64,
    pub l2: f64,
    pub batch_norm: bool,
    pub loss: Loss,
    pub seed: i64,
    pub device: Device,
    pub precision: Precision,
}
