//! [`Trained`]: a fitted baseline or model, and its predictions on a prepared split; the metric
//! of a prediction ([`metric_value`]); and [`ValScore`], what early stopping and search compare.

use crate::error::{RunError, RunResult};
use crate::prepare::fit::Prepared;
use crate::prepare::target::Target;
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array};
use candle_core::{Device, Tensor};
use mlp_compiler::ast::Direction;
use mlp_compiler::codes::Code;
use mlp_compiler::program::MetricKind;
use mlp_compiler::types::Task;
use mlp_infer::predict::{Head, NetworkInput};
use mlp_stdlib::Matrix;
use mlp_stdlib::Outcome;
use mlp_stdlib::linear::LinearModel;
use mlp_stdlib::network::Net;
use mlp_stdlib::transform::Scaler;

/// What a model or baseline predicts for some rows (mlp-infer's: a bundle predicts the same type).
pub use mlp_infer::predict::Prediction;

/// One epoch of training, for the learning curve in the run record.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub train_loss: f64,
    /// The validation objective (or the loss, without one) early stopping watched.
    pub val_score: Option<f64>,
    pub val_loss: Option<f64>,
    /// Training time up to the end of this epoch, validation excluded (for time-to-accuracy).
    pub seconds: f64,
}

/// A trained `mlp`, `cnn` or `lstm` model, on the device it trained on.
pub struct TrainedNetwork {
    pub network: Net,
    /// The prepared columns it reads.
    pub input: NetworkInput,
    pub device: Device,
    /// `cpu` or `cuda:N`, and `f32`, `bf16` or `f16`, for the run record.
    pub device_name: String,
    pub precision: &'static str,
    pub task: Task,
    pub target: Option<Scaler>,
    /// Width of the output layer: 1 (binary with one logit, regression) or the class count.
    pub outputs: usize,
    pub history: Vec<EpochLog>,
    /// The epoch whose weights were kept (the best on validation with early stopping).
    pub best_epoch: usize,
    /// Why training ended: `epochs`, `early_stop`.
    pub stopped_by: String,
    /// The validation scores of the kept epoch.
    pub best_score: Option<crate::train::trained::ValScore>,
    /// Hyperparameters actually used (after search), for the record.
    pub hyperparameters: serde_json::Value,
    /// Training throughput over the epochs run (validation excluded).
    pub samples_per_second: f64,
}

pub enum Trained {
    /// Constant class probabilities (the train split's class frequencies, most frequent first).
    Majority {
        probabilities: Vec<f64>,
    },
    Mean {
        value: f64,
    },
    /// A reported figure: every metric of this baseline takes this value.
    Fixed {
        score: f64,
    },
    Linear(LinearModel),
    /// A rule's value on every row of the dataset (evaluated once, at fit time), and the
    /// threshold a numeric score must reach.
    Rule {
        values: ArrayRef,
        threshold: f64,
    },
    Network(Box<TrainedNetwork>),
}

impl Trained {
    /// Predictions for split `index` (0 train, 1 val, 2 test) of `prepared`; `None` for a fixed
    /// score, which predicts nothing row by row.
    pub fn predict(&self, prepared: &Prepared, index: usize) -> RunResult<Option<Prediction>> {
        let split = &prepared.splits[index];
        let n = split.rows.len();
        Ok(Some(match self {
            Trained::Fixed { .. } => return Ok(None),
            Trained::Majority { probabilities } => {
                let mut m = Matrix::zeros(n, probabilities.len());
                for i in 0..n {
                    m.row_mut(i).copy_from_slice(probabilities);
                }
                Prediction::Classes(m)
            }
            Trained::Mean { value } => Prediction::Values(vec![*value; n]),
            Trained::Linear(model) => {
                let failed = |e: mlp_stdlib::linear::LinearError| {
                    RunError::new(Code::E0803, format!("the linear baseline cannot predict: {e}"))
                };
                if prepared.task == Task::Regression {
                    Prediction::Values(model.predict(&split.x).map_err(failed)?)
                } else {
                    Prediction::Classes(model.predict_proba(&split.x).map_err(failed)?)
                }
            }
            Trained::Rule { values, threshold } => rule_prediction(values, *threshold, prepared, &split.rows)?,
            Trained::Network(trained) => network_prediction(trained, &split.x)?,
        }))
    }
}

fn rule_prediction(values: &ArrayRef, threshold: f64, prepared: &Prepared, rows: &[usize]) -> RunResult<Prediction> {
    let any = values.as_any();
    let scores: Vec<f64> = if let Some(b) = any.downcast_ref::<BooleanArray>() {
        // A missing condition predicts the negative class: a rule fires only when it holds.
        rows.iter().map(|&r| if !b.is_null(r) && b.value(r) { 1.0 } else { 0.0 }).collect()
    } else if let Some(f) = any.downcast_ref::<Float64Array>() {
        rows.iter().map(|&r| if f.is_null(r) { f64::NAN } else { f.value(r) }).collect()
    } else {
        return Err(RunError::new(Code::E0809, "a rule must give a boolean or a number for every row"));
    };
    if prepared.task == Task::Regression {
        return Ok(Prediction::Values(scores));
    }
    let is_bool = any.downcast_ref::<BooleanArray>().is_some();
    let mut m = Matrix::zeros(rows.len(), 2);
    for (i, &s) in scores.iter().enumerate() {
        // A numeric score maps through a sigmoid centred on the threshold: the order of rows is
        // kept (for ranking metrics) and the score predicts the positive class exactly when it
        // reaches the threshold.
        let p = if is_bool {
            s
        } else if s.is_nan() {
            0.0
        } else {
            sigmoid(s - threshold)
        };
        m.row_mut(i).copy_from_slice(&[1.0 - p, p]);
    }
    Ok(Prediction::Classes(m))
}

use mlp_infer::predict::sigmoid;

impl TrainedNetwork {
    /// How its outputs become predictions.
    pub fn head(&self) -> Head {
        Head { task: self.task, outputs: self.outputs, target: self.target }
    }
}

/// The network's predictions for `x`, through mlp-infer's [`mlp_infer::predict::network_prediction`]:
/// the function a bundle of this model predicts with.
pub fn network_prediction(trained: &TrainedNetwork, x: &Matrix) -> RunResult<Prediction> {
    mlp_infer::predict::network_prediction(&trained.network, &trained.input, &trained.head(), &trained.device, x)
        .map_err(|e| RunError::new(Code::E0803, format!("prediction failed: {e}")))
}

/// Probabilities or values from logits already computed (validation reuses its forward pass).
pub fn prediction_from_logits(trained: &TrainedNetwork, out: &Tensor) -> candle_core::Result<Prediction> {
    mlp_infer::predict::prediction_from_logits(&trained.head(), out)
}

pub use mlp_infer::predict::to_tensor;

/// What early stopping and search compare across epochs and trials: the objective on the
/// validation split (when it can be computed there) and the validation loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValScore {
    pub objective: Option<f64>,
    pub loss: f64,
}

impl ValScore {
    /// Better on the objective; on a tie (a saturated objective such as a precision of 1.0 is
    /// common on small validation splits) the lower validation loss wins, so training does not
    /// stop at the first epoch that reaches the ceiling.
    pub fn better_than(&self, other: &ValScore, direction: Direction) -> bool {
        match (self.objective, other.objective) {
            (Some(a), Some(b)) if (a - b).abs() > 1e-12 => match direction {
                Direction::Maximize => a > b,
                Direction::Minimize => a < b,
            },
            _ => self.loss < other.loss,
        }
    }
}

/// One metric of a prediction against the truth, or why it has no value.
pub fn metric_value(metric: &MetricKind, prediction: &Prediction, truth: &Target) -> Result<f64, String> {
    if truth.is_empty() {
        return Err("the split has no rows".into());
    }
    let outcome = match (prediction, truth) {
        (Prediction::Classes(p), Target::Classes(t)) => Outcome::Classes { truth: t, probabilities: p },
        (Prediction::Values(p), Target::Values(t)) => Outcome::Values { truth: t, predicted: p },
        _ => return Err("prediction and truth are of different kinds".into()),
    };
    mlp_stdlib::metrics::compute(metric, &outcome, 0.5).map_err(|e| e.to_string())
}
