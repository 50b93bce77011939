//! [`TrainConfig`]: what decides one training run, the plan's training step with a search's
//! hyperparameters applied, and how the run record describes it.

use crate::error::{RunError, RunResult};
use mlp_compiler::codes::Code;
use mlp_compiler::plan::TrainStep;
use mlp_compiler::program::{Architecture, Augmentation, Model, Stopping, Value};
use std::collections::BTreeMap;

/// Everything that decides one training run: the plan's training step with a search's
/// hyperparameters applied, and the run's training seed.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// The model with any searched values in place (its network shaped for them).
    pub model: Model,
    pub seed: u64,
    /// The dataset's `augment` list, applied to training batches of image inputs.
    pub augment: Vec<Augmentation>,
}

impl TrainConfig {
    /// The training step with `overrides` (a search's hyperparameters) in place of the model's own
    /// settings, architecture arguments or optimizer parameters of the same names.
    pub fn resolve(step: &TrainStep, overrides: &BTreeMap<String, Value>) -> RunResult<TrainConfig> {
        let model = step.model.with_overrides(overrides).map_err(|why| {
            RunError::new(Code::E0806, format!("a searched value does not fit model `{}`: {why}", step.model.name))
                .for_definition(&step.model.name)
        })?;
        // The model's seed varies the run within the pipeline's seed.
        let seed = step.seed.value().wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(model.settings.seed as u64);
        Ok(TrainConfig { model, seed, augment: step.augment.clone() })
    }

    pub(crate) fn learning_rate(&self) -> f64 {
        self.model.settings.optimizer.learning_rate()
    }
}

/// The hyperparameters of a training run, for the run record: the architecture's arguments
/// (an `mlp`'s hidden sizes and activation, an `lstm`'s hidden size and layer count; a `cnn` is
/// its layer list, recorded in the plan) and the training settings.
pub fn describe(config: &TrainConfig) -> serde_json::Value {
    let settings = &config.model.settings;
    let mut record = serde_json::json!({
        "dropout": settings.dropout,
        "batch_norm": settings.batch_norm,
        "epochs": settings.epochs,
        "batch": settings.batch,
        "optimizer": settings.optimizer.name(),
        "lr": settings.optimizer.learning_rate(),
        "l1": settings.l1,
        "l2": settings.l2,
        "patience": match settings.early_stop {
            Stopping::Patience { epochs, .. } => Some(epochs),
            Stopping::Never => None,
        },
        "seed": config.seed,
    });
    match &config.model.architecture {
        Architecture::Mlp { hidden, activation, .. } => {
            record["hidden"] = serde_json::json!(hidden);
            record["activation"] = serde_json::json!(activation.name());
        }
        Architecture::Lstm { hidden, layers } => {
            record["hidden"] = serde_json::json!(hidden);
            record["layers"] = serde_json::json!(layers);
        }
        Architecture::Cnn => {}
    }
    record
}
