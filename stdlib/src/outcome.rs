//! What a model or baseline predicted next to the truth: the input every metric reads.

use crate::matrix::Matrix;

/// Truth and prediction for one split.
#[derive(Clone, Copy, Debug)]
pub enum Outcome<'a> {
    /// Classification. `truth[i]` is a class index in `0..probabilities.cols`; each row of
    /// `probabilities` sums to 1. For binary tasks there are two columns and class 1 is the
    /// positive level (`positive` in the spec).
    Classes { truth: &'a [usize], probabilities: &'a Matrix },
    /// Regression.
    Values { truth: &'a [f64], predicted: &'a [f64] },
}

impl Outcome<'_> {
    pub fn len(&self) -> usize {
        match self {
            Outcome::Classes { truth, .. } => truth.len(),
            Outcome::Values { truth, .. } => truth.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The predicted class of each row: for two classes, class 1 when its probability is at least
/// `threshold`; otherwise the most probable class (the first on ties).
pub fn predicted_classes(probabilities: &Matrix, threshold: f64) -> Vec<usize> {
    (0..probabilities.rows)
        .map(|i| {
            let row = probabilities.row(i);
            if row.len() == 2 {
                usize::from(row[1] >= threshold)
            } else {
                let mut best = 0;
                for (j, &p) in row.iter().enumerate() {
                    if p > row[best] {
                        best = j;
                    }
                }
                best
            }
        })
        .collect()
}
