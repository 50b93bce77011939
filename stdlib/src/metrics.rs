//! The evaluation metrics declared in `stdlib/metrics.mlp`, computed on an [`Outcome`].
//!
//! Every metric follows scikit-learn 1.x where scikit-learn defines it (checked against
//! `bench/metrics_reference.py`, see `stdlib/tests/metrics.rs`). Where scikit-learn only warns and
//! returns a conventional number, this module says so in the metric's doc below, or refuses with
//! [`MetricError::Undefined`] rather than let a meaningless number steer model selection.
//!
//! Curves (precision–recall, ROC) sort the scores once per class and place one point at each
//! distinct score, so tied scores move together as in scikit-learn and every metric is
//! O(n log n).

use std::fmt;

use mlp_compiler::program::{Bound, BoundedMetric, MetricKind};

use crate::matrix::Matrix;
use crate::outcome::{Outcome, predicted_classes};

/// Why a metric has no value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricError {
    /// The metric does not apply to this kind of outcome; `task` is `binary`, `multiclass` or
    /// `regression`, as in the `tasks` attribute of the declaration.
    WrongTask { metric: String, task: String },
    /// There are no rows to evaluate.
    Empty,
    /// The truth and the predictions have different numbers of rows.
    LengthMismatch { truth: usize, predicted: usize },
    /// The probability matrix is unusable: its data does not fill `rows × cols`, or it has fewer
    /// than two columns.
    MalformedProbabilities { rows: usize, cols: usize, values: usize },
    /// A true class index that has no probability column.
    ClassOutOfRange { row: usize, class: usize, classes: usize },
    /// A NaN or infinite probability, truth or prediction.
    NotFinite { row: usize, what: String },
    /// A bound on the wrong metric or of no number, or a NaN decision threshold.
    InvalidArgument { metric: String, message: String },
    /// The metric has no meaning on this data, e.g. ROC-AUC when the truth holds a single class.
    Undefined { metric: String, reason: String },
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricError::WrongTask { metric, task } => {
                write!(f, "metric `{metric}` does not apply to a {task} outcome")
            }
            MetricError::Empty => write!(f, "no rows to evaluate"),
            MetricError::LengthMismatch { truth, predicted } => {
                write!(f, "{truth} true values but {predicted} predictions")
            }
            MetricError::MalformedProbabilities { rows, cols, values } => write!(
                f,
                "malformed probabilities: {values} values for {rows} rows × {cols} classes (at least two classes needed)"
            ),
            MetricError::ClassOutOfRange { row, class, classes } => {
                write!(f, "row {row} has true class {class}, but there are only {classes} classes")
            }
            MetricError::NotFinite { row, what } => write!(f, "row {row} has a {what} that is not a finite number"),
            MetricError::InvalidArgument { metric, message } => write!(f, "metric `{metric}`: {message}"),
            MetricError::Undefined { metric, reason } => write!(f, "metric `{metric}` is undefined: {reason}"),
        }
    }
}

impl std::error::Error for MetricError {}

/// Computes the metric `kind` (a built-in from `stdlib/metrics.mlp` with its arguments) on
/// `outcome`.
///
/// `threshold` is the decision threshold of binary outcomes: a row is predicted positive (as
/// class 1) when its class-1 probability is at least `threshold`. It only affects the metrics that read
/// hard predictions (accuracy, precision, recall, f1, pr_mean); multi-class predictions are the
/// most probable class.
///
/// What each metric means where scikit-learn leaves a choice:
/// - `precision`, `recall`, `f1`, `pr_mean`: binary outcomes score class 1 (`average='binary'`),
///   multi-class outcomes the macro mean over the classes present in the truth or the predictions
///   (scikit-learn's default label set); a zero division counts 0.0 (`zero_division=0`).
/// - `precision_at(recall >= x)`: the highest precision among the points of scikit-learn's
///   `precision_recall_curve` (one per distinct score, plus its end point of precision 1 at recall
///   0) whose recall satisfies the bound; `recall_at(precision >= x)` the same with the roles
///   swapped. 0.0 when no point satisfies the bound.
/// - `map`: the mean over every class of its one-vs-rest average precision, so over both classes
///   of a binary outcome (unlike `average_precision`, which scores class 1 only).
/// - `roc_auc`: one-vs-rest macro average for multi-class outcomes (`multi_class='ovr'`).
/// - `log_loss`: probabilities clipped to `[ε, 1 − ε]`, ε = `f64::EPSILON`, and not renormalized
///   (scikit-learn ≥ 1.5); probabilities outside [0, 1] are clipped rather than refused.
/// - `r2` with a constant truth: 1.0 for a perfect prediction, else 0.0, as scikit-learn.
///
/// Errors: [`MetricError::WrongTask`] when the declaration's `tasks` exclude the outcome;
/// [`MetricError::Empty`], [`MetricError::LengthMismatch`],
/// [`MetricError::MalformedProbabilities`], [`MetricError::ClassOutOfRange`] and
/// [`MetricError::NotFinite`] for unusable input; [`MetricError::InvalidArgument`] for a `bound`
/// on the wrong metric or with a NaN value (which the checker never gives) or a NaN `threshold`;
/// and
/// [`MetricError::Undefined`] where scikit-learn would raise or warn and return a placeholder:
/// `average_precision`, `precision_at` and `recall_at` when class 1 never occurs in the truth (no
/// recall exists), `map` and `roc_auc` when any class never occurs in the truth, and `roc_auc` of a
/// binary outcome whose truth has no class 0.
pub fn compute(kind: &MetricKind, outcome: &Outcome, threshold: f64) -> Result<f64, MetricError> {
    let name = kind.name();
    check_bound(kind)?;
    let task = task_of(outcome);
    if !applies_to(kind, task) {
        return Err(MetricError::WrongTask { metric: name.to_string(), task: task.to_string() });
    }
    match *outcome {
        Outcome::Classes { truth, probabilities } => {
            check_classes(truth, probabilities)?;
            if threshold.is_nan() {
                return Err(MetricError::InvalidArgument {
                    metric: name.to_string(),
                    message: "the decision threshold is not a number".to_string(),
                });
            }
            classification(kind, truth, probabilities, threshold).map_err(|e| e.named(name, task))
        }
        Outcome::Values { truth, predicted } => {
            check_values(truth, predicted)?;
            let value = regression(kind, truth, predicted).map_err(|e| e.named(name, task))?;
            // Finite inputs can still overflow (e.g. squares of 1e200): say so rather than return NaN.
            if value.is_nan() {
                return Err(MetricError::Undefined {
                    metric: name.to_string(),
                    reason: "the values overflow f64".to_string(),
                });
            }
            Ok(value)
        }
    }
}

/// Counts of (true class, predicted class) pairs: `matrix[t][p]`, rows are the truth as in
/// scikit-learn. Pairs beyond the shorter slice, and indices not below `classes`, are ignored.
pub fn confusion_matrix(truth: &[usize], predicted: &[usize], classes: usize) -> Vec<Vec<u64>> {
    let mut matrix = vec![vec![0u64; classes]; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        if t < classes && p < classes {
            matrix[t][p] += 1;
        }
    }
    matrix
}

/// The `tasks` attribute of each declaration in `stdlib/metrics.mlp`.
fn applies_to(kind: &MetricKind, task: &str) -> bool {
    match kind {
        MetricKind::PrecisionAt { .. } | MetricKind::RecallAt { .. } | MetricKind::AveragePrecision => task == "binary",
        MetricKind::Mse | MetricKind::Mae | MetricKind::Rmse | MetricKind::R2 => task == "regression",
        MetricKind::Accuracy
        | MetricKind::Precision
        | MetricKind::Recall
        | MetricKind::F1
        | MetricKind::PrMean
        | MetricKind::Map
        | MetricKind::RocAuc
        | MetricKind::LogLoss => task == "binary" || task == "multiclass",
    }
}

/// `precision_at(recall >= 0.6)` bounds the recall and `recall_at(precision >= 0.6)` the
/// precision, by a number: the checker gives nothing else, but the type allows it.
fn check_bound(kind: &MetricKind) -> Result<(), MetricError> {
    let (bound, on) = match kind {
        MetricKind::PrecisionAt { bound } => (bound, BoundedMetric::Recall),
        MetricKind::RecallAt { bound } => (bound, BoundedMetric::Precision),
        _ => return Ok(()),
    };
    let invalid = |message: String| MetricError::InvalidArgument { metric: kind.name().to_string(), message };
    let word = |metric: BoundedMetric| match metric {
        BoundedMetric::Recall => "recall",
        BoundedMetric::Precision => "precision",
    };
    if bound.metric != on {
        return Err(invalid(format!("the bound must be on `{}`, found `{}`", word(on), word(bound.metric))));
    }
    if bound.value.is_nan() {
        return Err(invalid("the bound's value must be a number".to_string()));
    }
    Ok(())
}

/// The task name, as in the `tasks` attribute, that an outcome belongs to.
fn task_of(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Classes { probabilities, .. } if probabilities.cols <= 2 => "binary",
        Outcome::Classes { .. } => "multiclass",
        Outcome::Values { .. } => "regression",
    }
}

/// Rejects classification input that would make a metric panic or return NaN.
fn check_classes(truth: &[usize], probabilities: &Matrix) -> Result<(), MetricError> {
    let Matrix { rows, cols, ref data } = *probabilities;
    if cols < 2 || rows.checked_mul(cols) != Some(data.len()) {
        return Err(MetricError::MalformedProbabilities { rows, cols, values: data.len() });
    }
    if truth.len() != rows {
        return Err(MetricError::LengthMismatch { truth: truth.len(), predicted: rows });
    }
    if truth.is_empty() {
        return Err(MetricError::Empty);
    }
    if let Some((row, &class)) = truth.iter().enumerate().find(|&(_, &class)| class >= cols) {
        return Err(MetricError::ClassOutOfRange { row, class, classes: cols });
    }
    if let Some(i) = data.iter().position(|p| !p.is_finite()) {
        return Err(MetricError::NotFinite { row: i / cols, what: "probability".to_string() });
    }
    Ok(())
}

/// Rejects regression input of unequal lengths, empty or with non-finite values.
fn check_values(truth: &[f64], predicted: &[f64]) -> Result<(), MetricError> {
    if truth.len() != predicted.len() {
        return Err(MetricError::LengthMismatch { truth: truth.len(), predicted: predicted.len() });
    }
    if truth.is_empty() {
        return Err(MetricError::Empty);
    }
    for (what, values) in [("true value", truth), ("prediction", predicted)] {
        if let Some(row) = values.iter().position(|v| !v.is_finite()) {
            return Err(MetricError::NotFinite { row, what: what.to_string() });
        }
    }
    Ok(())
}

/// A failure found below [`compute`], before the metric's name is attached.
enum Failure {
    /// The class never occurs in the truth; the string says what that makes undefined.
    Undefined(String),
    /// A metric reached the wrong computation (guarded by `applies_to`, kept panic-free).
    WrongTask,
}

impl Failure {
    fn named(self, metric: &str, task: &str) -> MetricError {
        match self {
            Failure::Undefined(reason) => MetricError::Undefined { metric: metric.to_string(), reason },
            Failure::WrongTask => MetricError::WrongTask { metric: metric.to_string(), task: task.to_string() },
        }
    }
}

/// A classification metric on checked input.
fn classification(kind: &MetricKind, truth: &[usize], probabilities: &Matrix, threshold: f64) -> Result<f64, Failure> {
    let classes = probabilities.cols;
    let binary = classes == 2;
    let counts = || ClassCounts::new(truth, &predicted_classes(probabilities, threshold), classes);
    match kind {
        MetricKind::Accuracy => Ok(counts().accuracy()),
        MetricKind::Precision => Ok(counts().averaged(binary, ClassCounts::precision)),
        MetricKind::Recall => Ok(counts().averaged(binary, ClassCounts::recall)),
        MetricKind::F1 => Ok(counts().averaged(binary, ClassCounts::f1)),
        MetricKind::PrMean => {
            let counts = counts();
            Ok((counts.averaged(binary, ClassCounts::precision) + counts.averaged(binary, ClassCounts::recall)) / 2.0)
        }
        MetricKind::PrecisionAt { bound } => Ok(precision_at(&one_vs_rest(truth, probabilities, 1)?, bound)),
        MetricKind::RecallAt { bound } => Ok(recall_at(&one_vs_rest(truth, probabilities, 1)?, bound)),
        MetricKind::AveragePrecision => Ok(one_vs_rest(truth, probabilities, 1)?.average_precision()),
        MetricKind::Map => {
            mean_over_classes(classes, |k| Ok(one_vs_rest(truth, probabilities, k)?.average_precision()))
        }
        MetricKind::RocAuc if binary => roc_auc(&one_vs_rest(truth, probabilities, 1)?),
        MetricKind::RocAuc => mean_over_classes(classes, |k| roc_auc(&one_vs_rest(truth, probabilities, k)?)),
        MetricKind::LogLoss => Ok(log_loss(truth, probabilities)),
        MetricKind::Mse | MetricKind::Mae | MetricKind::Rmse | MetricKind::R2 => Err(Failure::WrongTask),
    }
}

/// Per-class counts of true positives, predictions and truths, from hard predictions.
struct ClassCounts {
    correct: Vec<u64>,
    predicted: Vec<u64>,
    actual: Vec<u64>,
    rows: usize,
}

impl ClassCounts {
    fn new(truth: &[usize], predicted: &[usize], classes: usize) -> ClassCounts {
        let mut counts = ClassCounts {
            correct: vec![0; classes],
            predicted: vec![0; classes],
            actual: vec![0; classes],
            rows: truth.len(),
        };
        for (&t, &p) in truth.iter().zip(predicted) {
            counts.actual[t] += 1;
            counts.predicted[p] += 1;
            if t == p {
                counts.correct[t] += 1;
            }
        }
        counts
    }

    fn accuracy(&self) -> f64 {
        self.correct.iter().sum::<u64>() as f64 / self.rows as f64
    }

    fn precision(&self, k: usize) -> f64 {
        ratio_or_zero(self.correct[k], self.predicted[k])
    }

    fn recall(&self, k: usize) -> f64 {
        ratio_or_zero(self.correct[k], self.actual[k])
    }

    /// 2·tp / (2·tp + fp + fn), the form scikit-learn computes F1 in, which needs no special case
    /// when precision or recall alone is a zero division.
    fn f1(&self, k: usize) -> f64 {
        ratio_or_zero(2 * self.correct[k], self.actual[k] + self.predicted[k])
    }

    /// Binary: the positive class 1 (scikit-learn `average='binary'`). Multi-class: the macro mean
    /// over the classes that occur in the truth or the predictions, which is the label set
    /// scikit-learn averages over; a class seen in neither has no precision or recall to average.
    fn averaged(&self, binary: bool, per_class: fn(&ClassCounts, usize) -> f64) -> f64 {
        if binary {
            return per_class(self, 1);
        }
        let present: Vec<usize> = (0..self.actual.len()).filter(|&k| self.actual[k] + self.predicted[k] > 0).collect();
        // Non-empty: every row adds its true class.
        present.iter().map(|&k| per_class(self, k)).sum::<f64>() / present.len() as f64
    }
}

/// `numerator / denominator`, 0.0 on a zero division (scikit-learn `zero_division=0`).
fn ratio_or_zero(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 { 0.0 } else { numerator as f64 / denominator as f64 }
}

/// The mean of `per_class` over every class, failing with the first class that fails.
fn mean_over_classes(classes: usize, per_class: impl Fn(usize) -> Result<f64, Failure>) -> Result<f64, Failure> {
    let mut sum = 0.0;
    for k in 0..classes {
        sum += per_class(k)?;
    }
    Ok(sum / classes as f64)
}

/// Cumulative true and false positives when predicting positive every row scoring at least a
/// threshold, for each distinct score from the highest down: scikit-learn's
/// `confusion_matrix_at_thresholds`, the basis of both its precision–recall and ROC curves.
struct RankedCounts {
    /// `(true positives, false positives)` at each threshold, cumulative.
    points: Vec<(u64, u64)>,
    positives: u64,
    negatives: u64,
}

/// Class `k` against the rest, ranked by the probability of class `k`. Fails when `k` never
/// occurs in the truth: recall, and so every curve built on it, would be a division by zero.
fn one_vs_rest(truth: &[usize], probabilities: &Matrix, k: usize) -> Result<RankedCounts, Failure> {
    let scores: Vec<f64> = (0..probabilities.rows).map(|i| probabilities.get(i, k)).collect();
    let ranked = RankedCounts::new(&scores, |i| truth[i] == k);
    if ranked.positives == 0 {
        let positive = if probabilities.cols == 2 && k == 1 { " (the positive class)" } else { "" };
        return Err(Failure::Undefined(format!("class {k}{positive} never occurs in the truth")));
    }
    Ok(ranked)
}

impl RankedCounts {
    fn new(scores: &[f64], is_positive: impl Fn(usize) -> bool) -> RankedCounts {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        // Scores are finite (checked), so `total_cmp` orders them as `<` would.
        order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let (mut tp, mut fp) = (0u64, 0u64);
        let mut points = Vec::new();
        for (rank, &i) in order.iter().enumerate() {
            if is_positive(i) {
                tp += 1
            } else {
                fp += 1
            }
            // One point per distinct score: rows with tied scores cross any threshold together.
            let last_of_tie = order.get(rank + 1).is_none_or(|&next| scores[next] != scores[i]);
            if last_of_tie {
                points.push((tp, fp));
            }
        }
        RankedCounts { points, positives: tp, negatives: fp }
    }

    /// `(precision, recall)` at each threshold, highest threshold first. Every threshold predicts
    /// at least one row positive, so precision has no zero division; `positives > 0` is checked
    /// by [`one_vs_rest`].
    fn precision_recall(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let positives = self.positives as f64;
        self.points.iter().map(move |&(tp, fp)| (tp as f64 / (tp + fp) as f64, tp as f64 / positives))
    }

    /// scikit-learn `average_precision_score`: Σ (Rₖ − Rₖ₋₁) · Pₖ over thresholds from the highest,
    /// with R₀ = 0, i.e. the precision–recall curve integrated as a step function.
    fn average_precision(&self) -> f64 {
        let mut previous_recall = 0.0;
        let mut sum = 0.0;
        for (precision, recall) in self.precision_recall() {
            sum += (recall - previous_recall) * precision;
            previous_recall = recall;
        }
        // The recall steps telescope to 1 only up to rounding; keep the value a fraction.
        sum.clamp(0.0, 1.0)
    }
}

/// The points of scikit-learn's `precision_recall_curve`: one per distinct score, plus the end
/// point (precision 1, recall 0) that it appends.
fn precision_recall_curve(ranked: &RankedCounts) -> impl Iterator<Item = (f64, f64)> + '_ {
    ranked.precision_recall().chain(std::iter::once((1.0, 0.0)))
}

/// `precision_at(recall >= x)`: the highest precision among the points of the precision–recall
/// curve (including its end point, precision 1 at recall 0) whose recall satisfies the bound, and
/// 0.0 when no point does. Only `recall > 1` (or a bound above 1) satisfies none: the lowest
/// threshold has recall 1.
fn precision_at(ranked: &RankedCounts, bound: &Bound) -> f64 {
    best_where(precision_recall_curve(ranked), bound)
}

/// `recall_at(precision >= x)`: the highest recall among the points of the precision–recall curve
/// whose precision satisfies the bound, and 0.0 when no point does (e.g. `precision > 1`). A
/// bound that no threshold reaches gives 0.0 as well, through the curve's end point (precision 1,
/// recall 0).
fn recall_at(ranked: &RankedCounts, bound: &Bound) -> f64 {
    best_where(precision_recall_curve(ranked).map(|(p, r)| (r, p)), bound)
}

/// The largest `value` among `(value, bounded)` pairs whose `bounded` satisfies `bound`, else 0.
fn best_where(points: impl Iterator<Item = (f64, f64)>, bound: &Bound) -> f64 {
    points.filter(|&(_, bounded)| bound.op.holds(bounded, bound.value)).map(|(value, _)| value).fold(0.0, f64::max)
}

/// Area under the ROC curve by the trapezoid rule over one point per distinct score, starting at
/// (0, 0), as scikit-learn's `roc_auc_score` (a tie between a positive and a negative counts ½).
/// Undefined when the truth has no negatives, as scikit-learn raises.
fn roc_auc(ranked: &RankedCounts) -> Result<f64, Failure> {
    if ranked.negatives == 0 {
        return Err(Failure::Undefined("the truth holds a single class, so there is no pair to rank".to_string()));
    }
    let (positives, negatives) = (ranked.positives as f64, ranked.negatives as f64);
    let (mut previous_tpr, mut previous_fpr) = (0.0, 0.0);
    let mut area = 0.0;
    for &(tp, fp) in &ranked.points {
        let (tpr, fpr) = (tp as f64 / positives, fp as f64 / negatives);
        area += (fpr - previous_fpr) * (tpr + previous_tpr) / 2.0;
        (previous_tpr, previous_fpr) = (tpr, fpr);
    }
    // Rounding in the trapezoids may overshoot 1 by an ulp; an area of a unit square cannot.
    Ok(area.clamp(0.0, 1.0))
}

/// Mean negative log probability of the true class, probabilities clipped to
/// `[ε, 1 − ε]` (ε = `f64::EPSILON`) so certainty that is wrong costs a large finite loss.
/// As scikit-learn 1.5 and later, rows are not renormalized after clipping (earlier versions did;
/// the difference is at most of order ε for rows that sum to 1).
fn log_loss(truth: &[usize], probabilities: &Matrix) -> f64 {
    let eps = f64::EPSILON;
    let total: f64 = truth.iter().enumerate().map(|(i, &t)| -probabilities.get(i, t).clamp(eps, 1.0 - eps).ln()).sum();
    total / truth.len() as f64
}

/// A regression metric on checked, non-empty input of equal lengths.
fn regression(kind: &MetricKind, truth: &[f64], predicted: &[f64]) -> Result<f64, Failure> {
    match kind {
        MetricKind::Mse => Ok(mean_squared_error(truth, predicted)),
        MetricKind::Mae => Ok(mean(truth.iter().zip(predicted).map(|(t, p)| (t - p).abs()))),
        MetricKind::Rmse => Ok(mean_squared_error(truth, predicted).sqrt()),
        MetricKind::R2 => Ok(r2(truth, predicted)),
        MetricKind::Accuracy
        | MetricKind::Precision
        | MetricKind::Recall
        | MetricKind::F1
        | MetricKind::PrMean
        | MetricKind::PrecisionAt { .. }
        | MetricKind::RecallAt { .. }
        | MetricKind::AveragePrecision
        | MetricKind::Map
        | MetricKind::RocAuc
        | MetricKind::LogLoss => Err(Failure::WrongTask),
    }
}

fn mean(values: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = values.len();
    values.sum::<f64>() / n as f64
}

fn mean_squared_error(truth: &[f64], predicted: &[f64]) -> f64 {
    mean(truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)))
}

/// scikit-learn `r2_score`: 1 − SS_res / SS_tot. With a constant truth SS_tot is 0 and
/// scikit-learn gives 1.0 for a perfect prediction and 0.0 otherwise; constancy is tested on the
/// values themselves, because their computed mean may differ from them by rounding and leave a
/// tiny SS_tot that would make the ratio explode.
fn r2(truth: &[f64], predicted: &[f64]) -> f64 {
    let residual: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)).sum();
    let average = mean(truth.iter().copied());
    let total: f64 = truth.iter().map(|t| (t - average) * (t - average)).sum();
    let constant = truth.iter().all(|&t| t == truth[0]);
    if constant || total == 0.0 {
        return if residual == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - residual / total
}
