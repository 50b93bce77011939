//! Data drift: each monitored column of a [`Profile`] against the bundle's training
//! [`Reference`]. Every statistic is computed for every column (so any condition can name any of
//! them), and each column also gets a verdict from the default test, chosen as a user of Evidently
//! expects: up to [`SMALL`] current values, the two-sample Kolmogorov–Smirnov test for numbers and
//! Pearson's chi-square for categories (drifted when p < [`P_VALUE`]); above, the Wasserstein
//! distance normalized by the reference's standard deviation for numbers and the Jensen–Shannon
//! distance for categories (drifted when above [`DISTANCE`]). The dataset drifts when at least
//! the declared share of its columns drift.

use crate::profile::{Current, Profile};
use crate::stats;
use mlp_infer::reference::{ColumnReference, Reference};
use rayon::prelude::*;
use serde::Serialize;

/// Current values up to which a column is judged by a test (KS, chi-square), above by a distance.
pub const SMALL: usize = 1000;
/// A test's p-value below this says the column drifted.
pub const P_VALUE: f64 = 0.05;
/// A distance (normalized Wasserstein, Jensen–Shannon) above this says the column drifted.
pub const DISTANCE: f64 = 0.1;
/// Evidently's floor for the reference's spread in the normalized Wasserstein distance, so a
/// constant column does not divide by zero.
const MIN_SPREAD: f64 = 0.001;

/// The statistic a column's verdict comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Ks,
    Chi2,
    Wasserstein,
    Js,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Ks => "ks",
            Method::Chi2 => "chi2",
            Method::Wasserstein => "wasserstein",
            Method::Js => "js",
        }
    }

    /// Whether the verdict reads a p-value (drifted below the threshold) rather than a distance.
    pub fn is_test(self) -> bool {
        matches!(self, Method::Ks | Method::Chi2)
    }
}

/// Every statistic of one column; `None` where it does not apply to the column's kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Statistics {
    pub psi: f64,
    pub js: f64,
    /// KS statistic and p-value (numbers).
    pub ks: Option<f64>,
    pub ks_p_value: Option<f64>,
    /// Wasserstein distance over the reference's standard deviation (numbers).
    pub wasserstein: Option<f64>,
    /// Chi-square statistic and p-value (categories).
    pub chi2: Option<f64>,
    pub chi2_p_value: Option<f64>,
}

/// One column's drift.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnDrift {
    pub column: String,
    /// `number` or `category`.
    pub kind: &'static str,
    /// Present current values.
    pub rows: usize,
    /// Share of current rows missing the column, and of training rows.
    pub missing: f64,
    pub reference_missing: f64,
    /// The default test and its figure: a p-value for tests, a distance otherwise.
    pub method: Method,
    pub value: f64,
    pub threshold: f64,
    pub drifted: bool,
    pub statistics: Statistics,
    /// The bins (numbers: the reference's quantile bins) or levels PSI and JS compare.
    pub histogram: Histogram,
}

/// The share of reference and current values in each bin or level.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Histogram {
    /// `[low, high)` for number bins, the level for categories.
    pub bins: Vec<String>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

/// Every column's drift and the dataset's verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriftReport {
    /// Current rows compared.
    pub rows: usize,
    /// Training rows the reference summarizes.
    pub reference_rows: usize,
    pub columns: Vec<ColumnDrift>,
    /// Columns the reference has that no current row had (every value missing).
    pub absent: Vec<String>,
    /// Share of the compared columns that drifted.
    pub share: f64,
    /// The share at which the dataset drifts (`drift_share`).
    pub share_threshold: f64,
    pub drifted: bool,
}

impl DriftReport {
    pub fn column(&self, name: &str) -> Option<&ColumnDrift> {
        self.columns.iter().find(|c| c.column == name)
    }
}

/// Compares `profile` with `reference`; the dataset drifts when at least `share_threshold` of the
/// compared columns drift. Columns are compared in parallel.
pub fn compare(reference: &Reference, profile: &Profile, share_threshold: f64) -> DriftReport {
    let pairs: Vec<(&String, &ColumnReference, &Current)> =
        reference.columns.iter().filter_map(|(name, r)| Some((name, r, profile.columns.get(name)?))).collect();
    let results: Vec<Result<ColumnDrift, String>> =
        pairs.par_iter().map(|&(name, r, c)| column(name, r, c, profile.rows).ok_or_else(|| name.clone())).collect();
    let mut columns = Vec::new();
    let mut absent = Vec::new();
    for result in results {
        match result {
            Ok(c) => columns.push(c),
            Err(name) => absent.push(name),
        }
    }
    let drifted = columns.iter().filter(|c| c.drifted).count();
    let share = if columns.is_empty() { 0.0 } else { drifted as f64 / columns.len() as f64 };
    DriftReport {
        rows: profile.rows,
        reference_rows: reference.rows,
        share,
        share_threshold,
        drifted: !columns.is_empty() && share >= share_threshold,
        columns,
        absent,
    }
}

/// One column; `None` when no current value is present (or the reference has none).
fn column(name: &str, reference: &ColumnReference, current: &Current, rows: usize) -> Option<ColumnDrift> {
    let present = current.present();
    if present == 0 {
        return None;
    }
    let missing = current.missing() as f64 / rows.max(1) as f64;
    match (reference, current) {
        (
            ColumnReference::Number { edges, fractions, missing: ref_missing, std, sample, .. },
            Current::Numbers { values, .. },
        ) => {
            if sample.is_empty() {
                return None;
            }
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            let current_fractions = binned(edges, fractions.len(), &sorted);
            let ks = stats::ks_2samp(sample, &sorted);
            let wasserstein = stats::wasserstein(sample, &sorted) / std.max(MIN_SPREAD);
            let statistics = Statistics {
                psi: stats::psi(fractions, &current_fractions),
                js: stats::jensenshannon(fractions, &current_fractions),
                ks: Some(ks.statistic),
                ks_p_value: Some(ks.p_value),
                wasserstein: Some(wasserstein),
                chi2: None,
                chi2_p_value: None,
            };
            let bins: Vec<String> = edges.windows(2).map(|w| format!("[{}, {})", w[0], w[1])).collect();
            let bins = if bins.is_empty() { vec![edges.first().map(f64::to_string).unwrap_or_default()] } else { bins };
            let mut histogram = Histogram { bins, reference: fractions.clone(), current: current_fractions };
            // A number with few distinct values is a category in disguise (a count, a flag):
            // Evidently judges it by its levels, and so do we.
            let (method, value) = match few_levels(sample, &sorted) {
                Some((levels, reference_fractions, observed)) => {
                    let (chi2, js) = levels_test(&reference_fractions, &observed);
                    histogram = Histogram {
                        bins: levels,
                        reference: reference_fractions,
                        current: observed.iter().map(|c| c / present as f64).collect(),
                    };
                    if present <= SMALL { (Method::Chi2, chi2.p_value) } else { (Method::Js, js) }
                }
                None if present <= SMALL => (Method::Ks, ks.p_value),
                None => (Method::Wasserstein, wasserstein),
            };
            Some(verdict(name, "number", present, missing, *ref_missing, (method, value), statistics, histogram))
        }
        (ColumnReference::Category { levels, missing: ref_missing, .. }, Current::Categories { counts, .. }) => {
            // The reference's levels, then levels training never saw (an unseen level is drift:
            // its expected count is zero).
            let mut reference_fractions: Vec<f64> = levels.values().copied().collect();
            let mut observed: Vec<f64> = levels.keys().map(|l| counts.get(l).copied().unwrap_or(0) as f64).collect();
            for (level, &c) in counts {
                if !levels.contains_key(level) {
                    reference_fractions.push(0.0);
                    observed.push(c as f64);
                }
            }
            let n = present as f64;
            let mut bins: Vec<String> = levels.keys().cloned().collect();
            bins.extend(counts.keys().filter(|l| !levels.contains_key(*l)).cloned());
            let current_fractions: Vec<f64> = observed.iter().map(|c| c / n).collect();
            let (chi2, js) = levels_test(&reference_fractions, &observed);
            let statistics = Statistics {
                psi: stats::psi(&reference_fractions, &current_fractions),
                js,
                ks: None,
                ks_p_value: None,
                wasserstein: None,
                chi2: Some(chi2.statistic),
                chi2_p_value: Some(chi2.p_value),
            };
            let (method, value) = if present <= SMALL { (Method::Chi2, chi2.p_value) } else { (Method::Js, js) };
            let histogram = Histogram { bins, reference: reference_fractions, current: current_fractions };
            Some(verdict(name, "category", present, missing, *ref_missing, (method, value), statistics, histogram))
        }
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn verdict(
    name: &str,
    kind: &'static str,
    rows: usize,
    missing: f64,
    reference_missing: f64,
    (method, value): (Method, f64),
    statistics: Statistics,
    histogram: Histogram,
) -> ColumnDrift {
    let (threshold, drifted) = if method.is_test() { (P_VALUE, value < P_VALUE) } else { (DISTANCE, value > DISTANCE) };
    ColumnDrift {
        column: name.to_string(),
        kind,
        rows,
        missing,
        reference_missing,
        method,
        value,
        threshold,
        drifted,
        statistics,
        histogram,
    }
}

/// Most distinct values a numeric reference column may have to be judged by its levels.
const FEW_LEVELS: usize = 5;

/// When the reference sample has at most [`FEW_LEVELS`] distinct values: the levels (the
/// reference's, then values it never had), the reference's share of each, and the current counts.
fn few_levels(sample: &[f64], sorted: &[f64]) -> Option<(Vec<String>, Vec<f64>, Vec<f64>)> {
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in sample {
        let full = distinct.len() == FEW_LEVELS;
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ if full => return None,
            _ => distinct.push((v, 1)),
        }
    }
    let mut levels: Vec<f64> = distinct.iter().map(|(v, _)| *v).collect();
    let mut reference: Vec<f64> = distinct.iter().map(|(_, c)| *c as f64 / sample.len() as f64).collect();
    let mut observed = vec![0.0; levels.len()];
    let mut i = 0;
    while i < sorted.len() {
        let v = sorted[i];
        let run = sorted[i..].partition_point(|&x| x == v);
        match levels.iter().position(|&l| l == v) {
            Some(k) => observed[k] += run as f64,
            None => {
                levels.push(v);
                reference.push(0.0);
                observed.push(run as f64);
            }
        }
        i += run;
    }
    Some((levels.iter().map(f64::to_string).collect(), reference, observed))
}

/// Chi-square of `observed` counts against the reference's shares, and the Jensen–Shannon
/// distance of the two distributions.
fn levels_test(reference: &[f64], observed: &[f64]) -> (stats::Test, f64) {
    let n: f64 = observed.iter().sum();
    let expected: Vec<f64> = reference.iter().map(|f| f * n).collect();
    (stats::chisquare(observed, &expected), stats::jensenshannon(reference, observed))
}

/// The fraction of sorted `values` in each reference bin (values below the first edge count in
/// the first bin, above the last in the last; a value on an inner edge counts in the bin above,
/// as the reference counted it).
fn binned(edges: &[f64], bins: usize, sorted: &[f64]) -> Vec<f64> {
    let bins = bins.max(1);
    let mut counts = vec![0usize; bins];
    for &v in sorted {
        let bin = edges.partition_point(|&e| e <= v).saturating_sub(1).min(bins - 1);
        counts[bin] += 1;
    }
    let n = sorted.len().max(1) as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}
