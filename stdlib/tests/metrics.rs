//! Metrics against scikit-learn (`tests/data/metrics_expected.json`, written by
//! `bench/metrics_reference.py`), hand-checked cases, errors, and a property test that no input
//! makes `compute` panic.

use mlp_compiler::program::{Bound, BoundOp, BoundedMetric, MetricKind};
use mlp_stdlib::metrics::{MetricError, compute, confusion_matrix};
use mlp_stdlib::{Matrix, Outcome};
use proptest::prelude::*;
use serde_json::Value as Json;

const EXPECTED: &str = include_str!("data/metrics_expected.json");

/// `on >= value` (`op` ">=") or `on > value` (">"), as the checker types the bound.
fn bound(on: BoundedMetric, op: &str, value: f64) -> Bound {
    let op = match op {
        ">=" => BoundOp::AtLeast,
        ">" => BoundOp::Above,
        other => panic!("no bound operator `{other}`"),
    };
    Bound { metric: on, op, value }
}

/// `precision_at(recall <op> value)`.
fn precision_at(op: &str, value: f64) -> MetricKind {
    MetricKind::PrecisionAt { bound: bound(BoundedMetric::Recall, op, value) }
}

/// `recall_at(precision <op> value)`.
fn recall_at(op: &str, value: f64) -> MetricKind {
    MetricKind::RecallAt { bound: bound(BoundedMetric::Precision, op, value) }
}

/// Every metric of stdlib/metrics.mlp, `precision_at` and `recall_at` with `bound` (whichever
/// metric it is on).
fn every_metric_with(bound: Bound) -> Vec<MetricKind> {
    vec![
        MetricKind::Accuracy,
        MetricKind::Precision,
        MetricKind::Recall,
        MetricKind::F1,
        MetricKind::PrMean,
        MetricKind::PrecisionAt { bound },
        MetricKind::RecallAt { bound },
        MetricKind::AveragePrecision,
        MetricKind::Map,
        MetricKind::RocAuc,
        MetricKind::LogLoss,
        MetricKind::Mse,
        MetricKind::Mae,
        MetricKind::Rmse,
        MetricKind::R2,
    ]
}

/// Every metric, `precision_at(recall >= 0.5)` and `recall_at(precision >= 0.5)` among them.
fn every_metric() -> Vec<MetricKind> {
    every_metric_with(bound(BoundedMetric::Recall, ">=", 0.5))
        .into_iter()
        .map(|kind| match kind {
            MetricKind::RecallAt { .. } => recall_at(">=", 0.5),
            other => other,
        })
        .collect()
}

/// The metric a fixture entry names; its bound is written as the checker serializes one.
fn metric_from_json(name: &str, args: &Json) -> MetricKind {
    let kind = every_metric().into_iter().find(|k| k.name() == name).unwrap_or_else(|| panic!("no metric `{name}`"));
    let bound = args.get("bound").map(|b| serde_json::from_value::<Bound>(b.clone()).expect("a bound"));
    match (kind, bound) {
        (MetricKind::PrecisionAt { .. }, Some(bound)) => MetricKind::PrecisionAt { bound },
        (MetricKind::RecallAt { .. }, Some(bound)) => MetricKind::RecallAt { bound },
        (kind, None) => kind,
        (kind, Some(_)) => panic!("`{}` takes no bound", kind.name()),
    }
}

fn binary(scores: &[f64]) -> Matrix {
    Matrix::from_rows(scores.len(), 2, scores.iter().flat_map(|&s| [1.0 - s, s]).collect())
}

fn floats(json: &Json) -> Vec<f64> {
    json.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-12 || (actual - expected).abs() <= 1e-9 * expected.abs()
}

#[test]
fn every_metric_matches_scikit_learn() {
    let document: Json = serde_json::from_str(EXPECTED).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut seen = std::collections::BTreeSet::new();
    for case in document["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (class_truth, matrix, value_truth, predicted);
        let outcome = if case["kind"] == "classes" {
            class_truth =
                case["truth"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect::<Vec<_>>();
            let rows: Vec<Vec<f64>> = case["probabilities"].as_array().unwrap().iter().map(floats).collect();
            matrix = Matrix::from_rows(rows.len(), rows[0].len(), rows.concat());
            Outcome::Classes { truth: &class_truth, probabilities: &matrix }
        } else {
            value_truth = floats(&case["truth"]);
            predicted = floats(&case["predicted"]);
            Outcome::Values { truth: &value_truth, predicted: &predicted }
        };
        let threshold = case["threshold"].as_f64().unwrap_or(0.5);
        for entry in case["expected"].as_array().unwrap() {
            let metric = entry["metric"].as_str().unwrap();
            seen.insert(metric.to_string());
            let actual = compute(&metric_from_json(metric, &entry["args"]), &outcome, threshold);
            let label = format!("{name}: {metric} {}", entry["args"]);
            checked += 1;
            match (entry.get("value").and_then(Json::as_f64), actual) {
                (Some(expected), Ok(actual)) if close(actual, expected) => {}
                (None, Err(MetricError::Undefined { .. })) => {}
                (expected, actual) => failures.push(format!("{label}: expected {expected:?}, got {actual:?}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} disagree with scikit-learn:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let missing: Vec<_> = every_metric().iter().map(MetricKind::name).filter(|m| !seen.contains(*m)).collect();
    assert!(missing.is_empty(), "metrics never checked against scikit-learn: {missing:?}");
    assert!(checked > 200, "only {checked} values checked");
}

#[test]
fn metrics_are_the_declared_ones() {
    let declared = include_str!("../metrics.mlp");
    let metrics = every_metric();
    for metric in metrics.iter().map(MetricKind::name) {
        assert!(declared.contains(&format!("extern metric {metric}(")), "`{metric}` is not declared in metrics.mlp");
    }
    assert_eq!(declared.matches("extern metric ").count(), metrics.len(), "a declared metric is not implemented");
}

#[test]
fn confusion_matrix_counts_truth_by_prediction() {
    let truth = [0, 1, 2, 2, 1, 0, 2];
    let predicted = [0, 2, 2, 1, 1, 0, 2];
    assert_eq!(confusion_matrix(&truth, &predicted, 3), vec![vec![2, 0, 0], vec![0, 1, 1], vec![0, 1, 2]]);
    // Out-of-range classes and the unmatched tail are skipped, not a panic.
    assert_eq!(confusion_matrix(&[0, 5, 1], &[0, 0], 2), vec![vec![1, 0], vec![0, 0]]);
    assert_eq!(confusion_matrix(&[], &[], 0), Vec::<Vec<u64>>::new());
}

#[test]
fn hand_checked_binary_values() {
    use MetricKind::*;
    // Scores 0.9 0.8 0.7 0.6 0.4 0.3 for truth 1 0 1 1 0 0.
    let truth = [1, 0, 1, 1, 0, 0];
    let probabilities = binary(&[0.9, 0.8, 0.7, 0.6, 0.4, 0.3]);
    let outcome = Outcome::Classes { truth: &truth, probabilities: &probabilities };
    let at = |kind: MetricKind, threshold: f64| compute(&kind, &outcome, threshold).unwrap();
    // At 0.5: tp 3, fp 1, fn 0, tn 2.
    assert_eq!(at(Accuracy, 0.5), 5.0 / 6.0);
    assert_eq!(at(Precision, 0.5), 0.75);
    assert_eq!(at(Recall, 0.5), 1.0);
    assert_eq!(at(PrMean, 0.5), 0.875);
    // At 0.75: tp 1, fp 1.
    assert_eq!(at(Precision, 0.75), 0.5);
    // Curve (precision, recall): (1, 1/3) (1/2, 1/3) (2/3, 2/3) (3/4, 1) (3/5, 1) (1/2, 1).
    assert_eq!(at(precision_at(">=", 0.6), 0.5), 0.75);
    assert_eq!(at(precision_at(">", 1.0), 0.5), 0.0);
    assert_eq!(at(recall_at(">=", 0.7), 0.5), 1.0);
    assert_eq!(at(recall_at(">", 0.75), 0.5), 1.0 / 3.0);
    // AP = 1/3·1 + 1/3·2/3 + 1/3·3/4; AUC: 7 of 9 positive–negative pairs ordered.
    assert!((at(AveragePrecision, 0.5) - (1.0 + 2.0 / 3.0 + 0.75) / 3.0).abs() < 1e-15);
    assert!((at(RocAuc, 0.5) - 7.0 / 9.0).abs() < 1e-15);
}

#[test]
fn tied_scores_count_half_in_roc_auc() {
    let truth = [1, 0];
    let probabilities = binary(&[0.5, 0.5]);
    let outcome = Outcome::Classes { truth: &truth, probabilities: &probabilities };
    assert_eq!(compute(&MetricKind::RocAuc, &outcome, 0.5), Ok(0.5));
    assert_eq!(compute(&MetricKind::AveragePrecision, &outcome, 0.5), Ok(0.5));
}

#[test]
fn regression_values() {
    let truth = [1.0, 2.0, 3.0];
    let predicted = [1.0, 2.0, 5.0];
    let outcome = Outcome::Values { truth: &truth, predicted: &predicted };
    assert_eq!(compute(&MetricKind::Mse, &outcome, 0.5), Ok(4.0 / 3.0));
    assert_eq!(compute(&MetricKind::Mae, &outcome, 0.5), Ok(2.0 / 3.0));
    assert_eq!(compute(&MetricKind::Rmse, &outcome, 0.5), Ok((4.0f64 / 3.0).sqrt()));
    assert_eq!(compute(&MetricKind::R2, &outcome, 0.5), Ok(-1.0));
    // A constant truth whose computed mean is off by rounding still counts as constant.
    let tenths = [0.1; 7];
    let near = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2];
    let r2 = |p: &[f64]| compute(&MetricKind::R2, &Outcome::Values { truth: &tenths, predicted: p }, 0.5);
    assert_eq!(r2(&tenths), Ok(1.0));
    assert_eq!(r2(&near), Ok(0.0));
}

#[test]
fn metrics_refuse_the_wrong_task() {
    let classes = [0, 1];
    let probabilities = binary(&[0.2, 0.9]);
    let binary_outcome = Outcome::Classes { truth: &classes, probabilities: &probabilities };
    let three = Matrix::from_rows(2, 3, vec![0.2, 0.3, 0.5, 0.6, 0.2, 0.2]);
    let multiclass = Outcome::Classes { truth: &classes, probabilities: &three };
    let values = Outcome::Values { truth: &[1.0], predicted: &[2.0] };
    let wrong = |metric: &str, task: &str| MetricError::WrongTask { metric: metric.into(), task: task.into() };
    assert_eq!(compute(&MetricKind::Mse, &binary_outcome, 0.5), Err(wrong("mse", "binary")));
    assert_eq!(compute(&MetricKind::Accuracy, &values, 0.5), Err(wrong("accuracy", "regression")));
    assert_eq!(compute(&MetricKind::AveragePrecision, &multiclass, 0.5), Err(wrong("average_precision", "multiclass")));
    assert_eq!(compute(&precision_at(">=", 0.5), &multiclass, 0.5), Err(wrong("precision_at", "multiclass")));
    assert_eq!(
        compute(&MetricKind::Mse, &binary_outcome, 0.5).unwrap_err().to_string(),
        "metric `mse` does not apply to a binary outcome"
    );
}

#[test]
fn unusable_input_is_an_error() {
    let empty = Matrix::zeros(0, 2);
    let none = Outcome::Classes { truth: &[], probabilities: &empty };
    assert_eq!(compute(&MetricKind::Accuracy, &none, 0.5), Err(MetricError::Empty));
    assert_eq!(
        compute(&MetricKind::Mae, &Outcome::Values { truth: &[], predicted: &[] }, 0.5),
        Err(MetricError::Empty)
    );
    assert_eq!(
        compute(&MetricKind::Mae, &Outcome::Values { truth: &[1.0], predicted: &[] }, 0.5),
        Err(MetricError::LengthMismatch { truth: 1, predicted: 0 })
    );

    let nan = binary(&[0.3, f64::NAN]);
    let outcome = Outcome::Classes { truth: &[0, 1], probabilities: &nan };
    let err = compute(&MetricKind::RocAuc, &outcome, 0.5).unwrap_err();
    assert_eq!(err, MetricError::NotFinite { row: 1, what: "probability".into() });
    assert_eq!(err.to_string(), "row 1 has a probability that is not a finite number");

    let probabilities = binary(&[0.3, 0.6]);
    let outcome = Outcome::Classes { truth: &[0, 2], probabilities: &probabilities };
    assert_eq!(
        compute(&MetricKind::Accuracy, &outcome, 0.5),
        Err(MetricError::ClassOutOfRange { row: 1, class: 2, classes: 2 })
    );

    let ragged = Matrix { rows: 2, cols: 2, data: vec![0.5; 3] };
    let outcome = Outcome::Classes { truth: &[0, 1], probabilities: &ragged };
    assert!(matches!(compute(&MetricKind::LogLoss, &outcome, 0.5), Err(MetricError::MalformedProbabilities { .. })));
}

/// The checker only gives bounds on the other metric of the curve, by a number in [0, 1]; a bound
/// built otherwise is refused, not computed.
#[test]
fn bounds_are_checked() {
    let probabilities = binary(&[0.3, 0.6]);
    let outcome = Outcome::Classes { truth: &[0, 1], probabilities: &probabilities };
    let on_precision = MetricKind::PrecisionAt { bound: bound(BoundedMetric::Precision, ">=", 0.5) };
    assert_eq!(
        compute(&on_precision, &outcome, 0.5).unwrap_err().to_string(),
        "metric `precision_at`: the bound must be on `recall`, found `precision`"
    );
    let on_recall = MetricKind::RecallAt { bound: bound(BoundedMetric::Recall, ">", 0.5) };
    assert!(matches!(compute(&on_recall, &outcome, 0.5), Err(MetricError::InvalidArgument { .. })));
    assert_eq!(
        compute(&precision_at(">=", f64::NAN), &outcome, 0.5).unwrap_err().to_string(),
        "metric `precision_at`: the bound's value must be a number"
    );
    assert!(matches!(compute(&MetricKind::Accuracy, &outcome, f64::NAN), Err(MetricError::InvalidArgument { .. })));
}

#[test]
fn ranking_metrics_of_an_absent_class_are_undefined() {
    let probabilities = binary(&[0.3, 0.6, 0.1]);
    let negatives = Outcome::Classes { truth: &[0, 0, 0], probabilities: &probabilities };
    for metric in [MetricKind::AveragePrecision, MetricKind::Map, MetricKind::RocAuc] {
        let err = compute(&metric, &negatives, 0.5).unwrap_err();
        assert!(matches!(err, MetricError::Undefined { .. }), "{metric:?}: {err:?}");
    }
    assert_eq!(
        compute(&MetricKind::AveragePrecision, &negatives, 0.5).unwrap_err().to_string(),
        "metric `average_precision` is undefined: class 1 (the positive class) never occurs in the truth"
    );
    // Threshold metrics stay defined (zero division counts 0).
    assert_eq!(compute(&MetricKind::Recall, &negatives, 0.5), Ok(0.0));
}

/// A classification outcome of 1..40 rows and 2..5 classes, probabilities normalized per row,
/// sometimes with exact zeros, ones and ties.
fn classes_outcome() -> impl Strategy<Value = (Vec<usize>, Matrix)> {
    (2usize..5, 1usize..40).prop_flat_map(|(classes, rows)| {
        let weight = prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0];
        (
            proptest::collection::vec(0..classes, rows),
            proptest::collection::vec(proptest::collection::vec(weight, classes), rows),
        )
            .prop_map(move |(truth, weights)| {
                let data = weights
                    .iter()
                    .flat_map(|row| {
                        let sum: f64 = row.iter().sum();
                        row.iter()
                            .map(move |w| if sum > 0.0 { w / sum } else { 1.0 / classes as f64 })
                            .collect::<Vec<_>>()
                    })
                    .collect();
                (truth, Matrix::from_rows(rows, classes, data))
            })
    })
}

/// Any bound on either metric, the same for `precision_at` and `recall_at` (so one of the two is
/// on the wrong metric and refused).
fn any_bound() -> impl Strategy<Value = Bound> {
    (
        prop_oneof![Just(BoundedMetric::Recall), Just(BoundedMetric::Precision)],
        prop_oneof![Just(">="), Just(">")],
        0.0f64..=1.0,
    )
        .prop_map(|(on, op, v)| bound(on, op, v))
}

proptest! {
    #[test]
    fn classification_metrics_stay_in_range((truth, probabilities) in classes_outcome(), bound in any_bound(),
                                            threshold in 0.0f64..=1.0) {
        let outcome = Outcome::Classes { truth: &truth, probabilities: &probabilities };
        for metric in every_metric_with(bound) {
            match compute(&metric, &outcome, threshold) {
                Ok(v) if metric == MetricKind::LogLoss => prop_assert!(v.is_finite() && v >= 0.0, "{metric:?} = {v}"),
                Ok(v) => prop_assert!((0.0..=1.0).contains(&v), "{metric:?} = {v}"),
                Err(MetricError::WrongTask { .. } | MetricError::Undefined { .. } | MetricError::InvalidArgument { .. }) => {}
                Err(e) => prop_assert!(false, "{metric:?}: {e}"),
            }
        }
    }

    #[test]
    fn regression_metrics_never_panic(truth in proptest::collection::vec(any::<f64>(), 0..20),
                                      predicted in proptest::collection::vec(-1e6f64..1e6, 0..20)) {
        let outcome = Outcome::Values { truth: &truth, predicted: &predicted };
        for metric in every_metric() {
            if let Ok(v) = compute(&metric, &outcome, 0.5) {
                prop_assert!(!v.is_nan() && (metric != MetricKind::R2 || v <= 1.0), "{metric:?} = {v}");
                prop_assert!(metric == MetricKind::R2 || v >= 0.0, "{metric:?} = {v}");
            }
        }
    }

    #[test]
    fn arbitrary_matrices_never_panic(rows in 0usize..6, cols in 0usize..4,
                                      data in proptest::collection::vec(any::<f64>(), 0..20),
                                      truth in proptest::collection::vec(0usize..5, 0..6),
                                      threshold in any::<f64>()) {
        let probabilities = Matrix { rows, cols, data };
        let outcome = Outcome::Classes { truth: &truth, probabilities: &probabilities };
        for metric in every_metric() {
            let _ = compute(&metric, &outcome, threshold);
        }
    }
}
