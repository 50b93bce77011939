//! The training reference: per input column, what the training rows looked like, which
//! monitoring compares live inputs against (PSI, KS, Jensen–Shannon). Numbers keep ten quantile
//! bins (edges and the fraction of rows in each) and a sample of their values (every value up to
//! [`SAMPLE`], else that many evenly spaced order statistics: what KS and Wasserstein compare
//! against), categories their level frequencies, image and sequence columns the mean and standard
//! deviation of their numbers. `reference.json`.

use arrow_array::Array;
use mlp_data::Table;
use mlp_data::column_view::{ColumnView, view_array};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Quantile bins per numeric column.
pub const BINS: usize = 10;

/// The most values a numeric column's sample keeps.
pub const SAMPLE: usize = 5000;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Training rows the statistics were computed on.
    pub rows: usize,
    pub columns: BTreeMap<String, ColumnReference>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnReference {
    Number {
        /// `BINS + 1` increasing edges: the minimum, the deciles, the maximum (fewer when values
        /// repeat).
        edges: Vec<f64>,
        /// Fraction of the present values in each bin (`edges.len() - 1` of them); a value
        /// equal to an inner edge counts in the bin above it.
        fractions: Vec<f64>,
        missing: f64,
        mean: f64,
        std: f64,
        /// The present values sorted, or [`SAMPLE`] evenly spaced order statistics of them
        /// (bundles written before monitoring have none).
        #[serde(default)]
        sample: Vec<f64>,
        /// How many values were present.
        #[serde(default)]
        present: usize,
    },
    Category {
        /// Fraction of the present values at each level.
        levels: BTreeMap<String, f64>,
        missing: f64,
        /// How many values were present.
        #[serde(default)]
        present: usize,
    },
    Tensor {
        mean: f64,
        std: f64,
    },
}

impl Reference {
    /// The statistics of `columns` over rows `rows` of `table`; a column the table lacks is left out.
    pub fn fit(table: &Table, columns: &[String], rows: &[usize]) -> Reference {
        let mut out = BTreeMap::new();
        for name in columns {
            let Some(array) = table.column(name) else { continue };
            let n = rows.len().max(1) as f64;
            let reference = match view_array(array) {
                ColumnView::Numbers(values) => {
                    let mut present: Vec<f64> = rows.iter().filter_map(|&r| values[r]).collect();
                    present.sort_by(f64::total_cmp);
                    let missing = (rows.len() - present.len()) as f64 / n;
                    ColumnReference::of_numbers(&present, missing)
                }
                ColumnView::Text(texts) => {
                    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                    for &r in rows {
                        if !texts.is_null(r) {
                            *counts.entry(texts.value(r).to_string()).or_default() += 1;
                        }
                    }
                    let present: usize = counts.values().sum();
                    ColumnReference::of_levels(&counts, (rows.len() - present) as f64 / n)
                }
                ColumnView::Tensor(t) => {
                    let values: Vec<f64> = rows.iter().flat_map(|&r| t.row(r).iter().map(|&v| f64::from(v))).collect();
                    let (mean, std) = moments(&values);
                    ColumnReference::Tensor { mean, std }
                }
            };
            out.insert(name.clone(), reference);
        }
        Reference { rows: rows.len(), columns: out }
    }
}

fn moments(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

impl ColumnReference {
    /// A numeric column from its present values sorted ascending and the share of rows missing it.
    pub fn of_numbers(sorted: &[f64], missing: f64) -> ColumnReference {
        number(sorted, missing)
    }

    /// A categorical column from its level counts and the share of rows missing it.
    pub fn of_levels(counts: &BTreeMap<String, usize>, missing: f64) -> ColumnReference {
        let present: usize = counts.values().sum();
        let total = present.max(1) as f64;
        ColumnReference::Category {
            levels: counts.iter().map(|(l, &c)| (l.clone(), c as f64 / total)).collect(),
            missing,
            present,
        }
    }
}

/// Quantile bins of sorted values.
fn number(sorted: &[f64], missing: f64) -> ColumnReference {
    let (mean, std) = moments(sorted);
    if sorted.is_empty() {
        return ColumnReference::Number {
            edges: Vec::new(),
            fractions: Vec::new(),
            missing,
            mean,
            std,
            sample: Vec::new(),
            present: 0,
        };
    }
    let mut edges: Vec<f64> = (0..=BINS)
        .map(|i| {
            let at = (i as f64 / BINS as f64) * (sorted.len() - 1) as f64;
            sorted[at.round() as usize]
        })
        .collect();
    edges.dedup();
    let mut counts = vec![0usize; edges.len().saturating_sub(1).max(1)];
    for &v in sorted {
        // The bin whose lower edge is the last edge <= v; the maximum counts in the last bin.
        let bin = edges.partition_point(|&e| e <= v).saturating_sub(1).min(counts.len() - 1);
        counts[bin] += 1;
    }
    let n = sorted.len() as f64;
    let fractions = counts.iter().map(|&c| c as f64 / n).collect();
    ColumnReference::Number { edges, fractions, missing, mean, std, sample: sample(sorted), present: sorted.len() }
}

/// Every value of a sorted column up to [`SAMPLE`], else `SAMPLE` order statistics spread evenly
/// from the minimum to the maximum: the empirical distribution function at `SAMPLE` points.
pub fn sample(sorted: &[f64]) -> Vec<f64> {
    if sorted.len() <= SAMPLE {
        return sorted.to_vec();
    }
    let last = (sorted.len() - 1) as f64;
    (0..SAMPLE).map(|i| sorted[(i as f64 * last / (SAMPLE - 1) as f64).round() as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_of_a_uniform_column_hold_a_tenth_each() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let ColumnReference::Number { edges, fractions, missing, .. } = number(&values, 0.0) else { panic!() };
        assert_eq!(edges.len(), 11);
        assert_eq!(missing, 0.0);
        assert!(fractions.iter().all(|&f| (f - 0.1).abs() < 0.002), "{fractions:?}");
        assert!((fractions.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_constant_column_has_one_bin() {
        let ColumnReference::Number { edges, fractions, .. } = number(&[3.0; 50], 0.0) else { panic!() };
        assert_eq!(edges, vec![3.0]);
        assert_eq!(fractions, vec![1.0]);
    }
}
