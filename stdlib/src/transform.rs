//! The preprocessing built-ins of stdlib/data.mlp: normalizers (`zscore`, `minmax`, `none`),
//! missing-value fills (`fill_mean`, `fill_median`, `fill_mode`, `fill(value)`) and category
//! encodings (`onehot`, `ordinal`). Each is fitted on the training split only and then applied
//! unchanged to every split, which is what keeps validation and test statistics out of training.

use mlp_compiler::program::{Encoding, Missing, Normalizer};
use serde::{Deserialize, Serialize};

/// A fitted normalizer for one numeric column.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scaler {
    /// `(x - mean) / std`; a constant column (std 0) is only centred.
    Zscore {
        mean: f64,
        std: f64,
    },
    /// `(x - min) / (max - min)`; a constant column maps to 0.
    Minmax {
        min: f64,
        max: f64,
    },
    Identity,
}

impl Scaler {
    /// Fits a normalizer on the training values (no missing).
    pub fn fit(normalizer: Normalizer, values: &[f64]) -> Scaler {
        match normalizer {
            Normalizer::Zscore => {
                let mean = mean(values);
                // Population standard deviation, as scikit-learn's StandardScaler uses.
                let var = if values.is_empty() {
                    0.0
                } else {
                    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64
                };
                Scaler::Zscore { mean, std: var.sqrt() }
            }
            Normalizer::Minmax => {
                let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if min.is_finite() && max.is_finite() { Scaler::Minmax { min, max } } else { Scaler::Identity }
            }
            Normalizer::None => Scaler::Identity,
        }
    }

    pub fn apply(&self, x: f64) -> f64 {
        match *self {
            Scaler::Zscore { mean, std } => {
                if std > 0.0 {
                    (x - mean) / std
                } else {
                    x - mean
                }
            }
            Scaler::Minmax { min, max } => {
                if max > min {
                    (x - min) / (max - min)
                } else {
                    0.0
                }
            }
            Scaler::Identity => x,
        }
    }

    /// The inverse of [`Scaler::apply`] (used to bring scaled regression targets back).
    pub fn invert(&self, y: f64) -> f64 {
        match *self {
            Scaler::Zscore { mean, std } => {
                if std > 0.0 {
                    y * std + mean
                } else {
                    y + mean
                }
            }
            Scaler::Minmax { min, max } => y * (max - min) + min,
            Scaler::Identity => y,
        }
    }
}

/// The fill value of a missing-value policy, fitted on the training values that are present.
/// `None` for `drop` (rows are removed instead) or when nothing is present to fit on.
pub fn fit_fill(policy: Missing, present: &[f64]) -> Option<f64> {
    match policy {
        Missing::FillMean if !present.is_empty() => Some(mean(present)),
        Missing::FillMedian if !present.is_empty() => Some(median(present)),
        Missing::FillMode if !present.is_empty() => Some(mode(present)),
        Missing::Fill { value } => Some(value),
        Missing::Drop | Missing::FillMean | Missing::FillMedian | Missing::FillMode => None,
    }
}

/// Fitted encoding of one category column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    pub kind: Encoding,
    /// Levels seen in training, sorted: the one-hot column order and the ordinal codes.
    pub levels: Vec<String>,
}

impl Encoder {
    /// Fits on the training split's levels (any order, repeats allowed).
    pub fn fit(kind: Encoding, training_levels: impl IntoIterator<Item = String>) -> Encoder {
        let mut levels: Vec<String> = training_levels.into_iter().collect();
        levels.sort();
        levels.dedup();
        Encoder { kind, levels }
    }

    /// Output columns this encoder produces.
    pub fn width(&self) -> usize {
        match self.kind {
            Encoding::Onehot => self.levels.len(),
            Encoding::Ordinal => 1,
        }
    }

    /// The level's index, or `None` for a level never seen in training.
    pub fn code(&self, level: &str) -> Option<usize> {
        self.levels.binary_search_by(|l| l.as_str().cmp(level)).ok()
    }

    /// Writes the encoding of `level` into `out` (`width()` values).
    pub fn encode_into(&self, code: usize, out: &mut [f64]) {
        match self.kind {
            Encoding::Onehot => {
                out.fill(0.0);
                out[code] = 1.0;
            }
            Encoding::Ordinal => out[0] = code as f64,
        }
    }
}

pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// The median; the mean of the two middle values for an even count (as numpy computes it).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The most frequent value; the smallest among equally frequent ones, so the result does not
/// depend on row order.
pub fn mode(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (mut best, mut best_count) = (f64::NAN, 0usize);
    let mut i = 0;
    while i < sorted.len() {
        let j = sorted[i..].iter().position(|v| v.total_cmp(&sorted[i]).is_ne()).map_or(sorted.len(), |k| i + k);
        if j - i > best_count {
            best = sorted[i];
            best_count = j - i;
        }
        i = j;
    }
    if best_count == 0 { 0.0 } else { best }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zscore_uses_population_std_and_inverts() {
        let s = Scaler::fit(Normalizer::Zscore, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s, Scaler::Zscore { mean: 2.5, std: 1.25f64.sqrt() });
        assert!((s.invert(s.apply(3.7)) - 3.7).abs() < 1e-12);
        assert_eq!(Scaler::fit(Normalizer::Zscore, &[5.0, 5.0]).apply(5.0), 0.0);
    }

    #[test]
    fn minmax_maps_training_range_to_unit_interval() {
        let s = Scaler::fit(Normalizer::Minmax, &[2.0, 4.0, 6.0]);
        assert_eq!((s.apply(2.0), s.apply(6.0), s.apply(4.0)), (0.0, 1.0, 0.5));
        assert_eq!(Scaler::fit(Normalizer::Minmax, &[3.0]).apply(3.0), 0.0);
    }

    #[test]
    fn fills_are_fitted_on_present_values() {
        assert_eq!(fit_fill(Missing::FillMean, &[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(fit_fill(Missing::FillMedian, &[1.0, 2.0, 6.0, 10.0]), Some(4.0));
        assert_eq!(fit_fill(Missing::FillMode, &[3.0, 1.0, 3.0, 1.0, 2.0]), Some(1.0));
        assert_eq!(fit_fill(Missing::Fill { value: -1.0 }, &[]), Some(-1.0));
        assert_eq!(fit_fill(Missing::Drop, &[1.0]), None);
    }

    #[test]
    fn encoders_sort_levels_and_reject_unseen_ones() {
        let e = Encoder::fit(Encoding::Onehot, ["b", "a", "b", "c"].map(String::from));
        assert_eq!(e.levels, ["a", "b", "c"]);
        assert_eq!(e.width(), 3);
        let mut out = [9.0; 3];
        e.encode_into(e.code("b").unwrap(), &mut out);
        assert_eq!(out, [0.0, 1.0, 0.0]);
        assert_eq!(e.code("z"), None);
        let o = Encoder::fit(Encoding::Ordinal, ["x", "y"].map(String::from));
        let mut one = [0.0];
        o.encode_into(1, &mut one);
        assert_eq!((o.width(), one[0]), (1, 1.0));
    }
}
