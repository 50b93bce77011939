//! Predictions with their true labels (feedback, or a labelled file), scored by a spec's metric:
//! concept drift is the metric falling on recent labelled rows.

use mlp_compiler::program::Metric;
use mlp_stdlib::matrix::Matrix;
use mlp_stdlib::metrics::{self, MetricError};
use mlp_stdlib::outcome::Outcome;

/// Labelled predictions, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub enum Labelled {
    /// Class probabilities (one row per prediction, one column per class) and the true class.
    Classes {
        classes: Vec<String>,
        probabilities: Vec<Vec<f64>>,
        truth: Vec<usize>,
    },
    Values {
        predicted: Vec<f64>,
        truth: Vec<f64>,
    },
}

impl Labelled {
    pub fn len(&self) -> usize {
        match self {
            Labelled::Classes { truth, .. } => truth.len(),
            Labelled::Values { truth, .. } => truth.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The last `n` (all when fewer).
    pub fn last(&self, n: usize) -> Labelled {
        let from = self.len().saturating_sub(n);
        match self {
            Labelled::Classes { classes, probabilities, truth } => Labelled::Classes {
                classes: classes.clone(),
                probabilities: probabilities[from..].to_vec(),
                truth: truth[from..].to_vec(),
            },
            Labelled::Values { predicted, truth } => {
                Labelled::Values { predicted: predicted[from..].to_vec(), truth: truth[from..].to_vec() }
            }
        }
    }

    /// Appends `more` (of the same bundle).
    pub fn extend(&mut self, more: Labelled) {
        match (self, more) {
            (Labelled::Classes { probabilities, truth, .. }, Labelled::Classes { probabilities: p, truth: t, .. }) => {
                probabilities.extend(p);
                truth.extend(t);
            }
            (Labelled::Values { predicted, truth }, Labelled::Values { predicted: p, truth: t }) => {
                predicted.extend(p);
                truth.extend(t);
            }
            // One bundle predicts one kind.
            _ => {}
        }
    }

    /// `metric` over these rows, with the bundle's decision `threshold` for two classes.
    pub fn score(&self, metric: &Metric, threshold: f64) -> Result<f64, MetricError> {
        match self {
            Labelled::Classes { classes, probabilities, truth } => {
                let data: Vec<f64> = probabilities.iter().flatten().copied().collect();
                let matrix = Matrix::from_rows(truth.len(), classes.len(), data);
                metrics::compute(&metric.kind, &Outcome::Classes { truth, probabilities: &matrix }, threshold)
            }
            Labelled::Values { predicted, truth } => {
                metrics::compute(&metric.kind, &Outcome::Values { truth, predicted }, threshold)
            }
        }
    }
}
