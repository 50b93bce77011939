//! The `evaluate` step: every metric of the program on the train, validation and test splits for
//! one model or baseline (the plan adds `accuracy` for classification and `r2` for regression),
//! and the test split's confusion matrix; and the `gate` step that judges the scores.

pub mod gate;

use crate::error::RunResult;
use crate::prepare::fit::Prepared;
use crate::prepare::split::SPLIT_NAMES;
use crate::prepare::target::Target;
use crate::train::trained::{Prediction, Trained, metric_value};
use mlp_compiler::program::Metric;
use mlp_stdlib::outcome::predicted_classes;
use serde::Serialize;
use std::collections::BTreeMap;

/// Metric values by split (`train`, `val`, `test`), then by metric name. A metric that is
/// undefined on a split (e.g. ROC-AUC with one class present) is `null` with a note.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Scores {
    pub metrics: BTreeMap<String, BTreeMap<String, Option<f64>>>,
    /// Why a value is missing, by `split.metric`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<String, String>,
    /// Rows are true classes, columns predicted ones (classification, test split).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Vec<Vec<u64>>>,
    /// Test-split predictions, kept for `predictions.csv`.
    #[serde(skip)]
    pub test_prediction: Option<Prediction>,
}

impl Scores {
    pub fn get(&self, split: &str, metric: &str) -> Option<f64> {
        self.metrics.get(split).and_then(|m| m.get(metric)).copied().flatten()
    }
}

/// Every metric of `metrics` (the plan adds the task's default, `accuracy` or `r2`) on the train,
/// validation and test splits.
pub fn evaluate(trained: &Trained, prepared: &Prepared, metrics: &[Metric]) -> RunResult<Scores> {
    let mut scores = Scores::default();
    for (index, split) in SPLIT_NAMES.iter().enumerate() {
        let mut values = BTreeMap::new();
        let prediction = trained.predict(prepared, index)?;
        let truth = &prepared.splits[index].y;
        for metric in metrics {
            let name = &metric.name;
            let value = match (&prediction, trained) {
                (None, Trained::Fixed { score }) => Ok(*score),
                (Some(p), _) => metric_value(&metric.kind, p, truth),
                (None, _) => Err("no prediction".to_string()),
            };
            match value {
                Ok(v) => {
                    values.insert(name.clone(), Some(v));
                }
                Err(why) => {
                    scores.notes.insert(format!("{split}.{name}"), why);
                    values.insert(name.clone(), None);
                }
            }
        }
        scores.metrics.insert(split.to_string(), values);
        if index == 2 {
            if let (Some(Prediction::Classes(p)), Target::Classes(t)) = (&prediction, truth) {
                let predicted = predicted_classes(p, 0.5);
                scores.confusion = Some(mlp_stdlib::metrics::confusion_matrix(t, &predicted, p.cols));
            }
            scores.test_prediction = prediction;
        }
    }
    Ok(scores)
}
