//! The typed metrics of stdlib/metrics.mlp and the baselines of stdlib/baselines.mlp.

use super::expression::Expression;
use serde::{Deserialize, Serialize};

/// A metric built-in with its arguments (`extern metric`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    Accuracy,
    Precision,
    Recall,
    F1,
    PrMean,
    PrecisionAt { bound: Bound },
    RecallAt { bound: Bound },
    AveragePrecision,
    Map,
    RocAuc,
    LogLoss,
    Mse,
    Mae,
    Rmse,
    R2,
}

impl MetricKind {
    pub fn name(&self) -> &'static str {
        match self {
            MetricKind::Accuracy => "accuracy",
            MetricKind::Precision => "precision",
            MetricKind::Recall => "recall",
            MetricKind::F1 => "f1",
            MetricKind::PrMean => "pr_mean",
            MetricKind::PrecisionAt { .. } => "precision_at",
            MetricKind::RecallAt { .. } => "recall_at",
            MetricKind::AveragePrecision => "average_precision",
            MetricKind::Map => "map",
            MetricKind::RocAuc => "roc_auc",
            MetricKind::LogLoss => "log_loss",
            MetricKind::Mse => "mse",
            MetricKind::Mae => "mae",
            MetricKind::Rmse => "rmse",
            MetricKind::R2 => "r2",
        }
    }
}

/// `recall >= 0.6`: the bound of a thresholded metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// `recall` or `precision`.
    pub metric: BoundedMetric,
    pub op: BoundOp,
    pub value: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundedMetric {
    Recall,
    Precision,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BoundOp {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = ">")]
    Above,
}

impl BoundOp {
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            BoundOp::AtLeast => value >= bound,
            BoundOp::Above => value > bound,
        }
    }
}

/// A baseline built-in with its arguments (`extern baseline`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineKind {
    MajorityClass,
    Mean,
    Linear { l2: f64 },
    Rule { when: Expression },
    Fixed { score: f64 },
}

impl BaselineKind {
    pub fn name(&self) -> &'static str {
        match self {
            BaselineKind::MajorityClass => "majority_class",
            BaselineKind::Mean => "mean",
            BaselineKind::Linear { .. } => "linear",
            BaselineKind::Rule { .. } => "rule",
            BaselineKind::Fixed { .. } => "fixed",
        }
    }
}

/// `extern settings baseline`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineSettings {
    pub data: Option<String>,
    pub threshold: f64,
}
