//! Metrics against scikit-learn (`tests/data/metrics_expected.json`, written by
//! `bench/metrics_reference.py`), hand-checked cases, errors, and a property test that no input
//! makes `compute` panic.

use std::collections::BTreeMap;

use mlp_compiler::program::Value;
use mlp_stdlib::metrics::{METRICS, MetricError, compute, confusion_matrix};
use mlp_stdlib::{Matrix, Outcome};
use proptest::prelude::*;
use serde_json::Value as Json;

const EXPECTED: &str = include_str!("data/metrics_expected.json");

fn no_args() -> BTreeMap<String, Value> {
    BTreeMap::new()
}

/// `bound: bound(metric: <on>, op: <op>, value: <value>)`, as the checker resolves `on >= value`.
fn bound(on: &str, op: &str, value: f64) -> BTreeMap<String, Value> {
    let fields = BTreeMap::from([
        ("metric".to_string(), Value::Name(on.to_string())),
        ("op".to_string(), Value::String(op.to_string())),
        ("value".to_string(), Value::Float(value)),
    ]);
    BTreeMap::from([("bound".to_string(), Value::Call { call: "bound".to_string(), args: fields })])
}

fn binary(scores: &[f64]) -> Matrix {
    Matrix::from_rows(scores.len(), 2, scores.iter().flat_map(|&s| [1.0 - s, s]).collect())
}

fn args_from_json(args: &Json) -> BTreeMap<String, Value> {
    match args.get("bound") {
        Some(b) => bound(b["metric"].as_str().unwrap(), b["op"].as_str().unwrap(), b["value"].as_f64().unwrap()),
        None => no_args(),
    }
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
            let args = args_from_json(&entry["args"]);
            let actual = compute(metric, &args, &outcome, threshold);
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
    let missing: Vec<_> = METRICS.iter().filter(|m| !seen.contains(**m)).collect();
    assert!(missing.is_empty(), "metrics never checked against scikit-learn: {missing:?}");
    assert!(checked > 200, "only {checked} values checked");
}

#[test]
fn metrics_are_the_declared_ones() {
    let declared = include_str!("../metrics.mlp");
    for metric in METRICS {
        assert!(declared.contains(&format!("extern metric {metric}(")), "`{metric}` is not declared in metrics.mlp");
    }
    assert_eq!(declared.matches("extern metric ").count(), METRICS.len(), "a declared metric is not implemented");
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
    // Scores 0.9 0.8 0.7 0.6 0.4 0.3 for truth 1 0 1 1 0 0.
    let truth = [1, 0, 1, 1, 0, 0];
    let probabilities = binary(&[0.9, 0.8, 0.7, 0.6, 0.4, 0.3]);
    let outcome = Outcome::Classes { truth: &truth, probabilities: &probabilities };
    let at =
        |name: &str, args: &BTreeMap<String, Value>, threshold: f64| compute(name, args, &outcome, threshold).unwrap();
    // At 0.5: tp 3, fp 1, fn 0, tn 2.
    assert_eq!(at("accuracy", &no_args(), 0.5), 5.0 / 6.0);
    assert_eq!(at("precision", &no_args(), 0.5), 0.75);
    assert_eq!(at("recall", &no_args(), 0.5), 1.0);
    assert_eq!(at("pr_mean", &no_args(), 0.5), 0.875);
    // At 0.75: tp 1, fp 1.
    assert_eq!(at("precision", &no_args(), 0.75), 0.5);
    // Curve (precision, recall): (1, 1/3) (1/2, 1/3) (2/3, 2/3) (3/4, 1) (3/5, 1) (1/2, 1).
    assert_eq!(at("precision_at", &bound("recall", ">=", 0.6), 0.5), 0.75);
    assert_eq!(at("precision_at", &bound("recall", ">", 1.0), 0.5), 0.0);
    assert_eq!(at("recall_at", &bound("precision", ">=", 0.7), 0.5), 1.0);
    assert_eq!(at("recall_at", &bound("precision", ">", 0.75), 0.5), 1.0 / 3.0);
    // AP = 1/3·1 + 1/3·2/3 + 1/3·3/4; AUC: 7 of 9 positive–negative pairs ordered.
    assert!((at("average_precision", &no_args(), 0.5) - (1.0 + 2.0 / 3.0 + 0.75) / 3.0).abs() < 1e-15);
    assert!((at("roc_auc", &no_args(), 0.5) - 7.0 / 9.0).abs() < 1e-15);
}

#[test]
fn tied_scores_count_half_in_roc_auc() {
    let truth = [1, 0];
    let probabilities = binary(&[0.5, 0.5]);
    let outcome = Outcome::Classes { truth: &truth, probabilities: &probabilities };
    assert_eq!(compute("roc_auc", &no_args(), &outcome, 0.5), Ok(0.5));
    assert_eq!(compute("average_precision", &no_args(), &outcome, 0.5), Ok(0.5));
}

#[test]
fn regression_values() {
    let truth = [1.0, 2.0, 3.0];
    let predicted = [1.0, 2.0, 5.0];
    let outcome = Outcome::Values { truth: &truth, predicted: &predicted };
    assert_eq!(compute("mse", &no_args(), &outcome, 0.5), Ok(4.0 / 3.0));
    assert_eq!(compute("mae", &no_args(), &outcome, 0.5), Ok(2.0 / 3.0));
    assert_eq!(compute("rmse", &no_args(), &outcome, 0.5), Ok((4.0f64 / 3.0).sqrt()));
    assert_eq!(compute("r2", &no_args(), &outcome, 0.5), Ok(-1.0));
    // A constant truth whose computed mean is off by rounding still counts as constant.
    let tenths = [0.1; 7];
    let near = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2];
    let r2 = |p: &[f64]| compute("r2", &no_args(), &Outcome::Values { truth: &tenths, predicted: p }, 0.5);
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
    assert_eq!(compute("mse", &no_args(), &binary_outcome, 0.5), Err(wrong("mse", "binary")));
    assert_eq!(compute("accuracy", &no_args(), &values, 0.5), Err(wrong("accuracy", "regression")));
    assert_eq!(
        compute("average_precision", &no_args(), &multiclass, 0.5),
        Err(wrong("average_precision", "multiclass"))
    );
    assert_eq!(
        compute("precision_at", &bound("recall", ">=", 0.5), &multiclass, 0.5),
        Err(wrong("precision_at", "multiclass"))
    );
    assert_eq!(
        compute("mse", &no_args(), &binary_outcome, 0.5).unwrap_err().to_string(),
        "metric `mse` does not apply to a binary outcome"
    );
    assert_eq!(compute("brier", &no_args(), &values, 0.5), Err(MetricError::UnknownMetric("brier".into())));
}

#[test]
fn unusable_input_is_an_error() {
    let empty = Matrix::zeros(0, 2);
    let none = Outcome::Classes { truth: &[], probabilities: &empty };
    assert_eq!(compute("accuracy", &no_args(), &none, 0.5), Err(MetricError::Empty));
    assert_eq!(
        compute("mae", &no_args(), &Outcome::Values { truth: &[], predicted: &[] }, 0.5),
        Err(MetricError::Empty)
    );
    assert_eq!(
        compute("mae", &no_args(), &Outcome::Values { truth: &[1.0], predicted: &[] }, 0.5),
        Err(MetricError::LengthMismatch { truth: 1, predicted: 0 })
    );

    let nan = binary(&[0.3, f64::NAN]);
    let outcome = Outcome::Classes { truth: &[0, 1], probabilities: &nan };
    let err = compute("roc_auc", &no_args(), &outcome, 0.5).unwrap_err();
    assert_eq!(err, MetricError::NotFinite { row: 1, what: "probability".into() });
    assert_eq!(err.to_string(), "row 1 has a probability that is not a finite number");

    let probabilities = binary(&[0.3, 0.6]);
    let outcome = Outcome::Classes { truth: &[0, 2], probabilities: &probabilities };
    assert_eq!(
        compute("accuracy", &no_args(), &outcome, 0.5),
        Err(MetricError::ClassOutOfRange { row: 1, class: 2, classes: 2 })
    );

    let ragged = Matrix { rows: 2, cols: 2, data: vec![0.5; 3] };
    let outcome = Outcome::Classes { truth: &[0, 1], probabilities: &ragged };
    assert!(matches!(compute("log_loss", &no_args(), &outcome, 0.5), Err(MetricError::MalformedProbabilities { .. })));
}

#[test]
fn bounds_are_checked() {
    let probabilities = binary(&[0.3, 0.6]);
    let outcome = Outcome::Classes { truth: &[0, 1], probabilities: &probabilities };
    assert_eq!(
        compute("precision_at", &no_args(), &outcome, 0.5),
        Err(MetricError::MissingArgument { metric: "precision_at".into(), argument: "bound".into() })
    );
    for args in [bound("precision", ">=", 0.5), bound("recall", "<", 0.5), bound("recall", ">=", f64::NAN)] {
        assert!(matches!(compute("precision_at", &args, &outcome, 0.5), Err(MetricError::InvalidArgument { .. })));
    }
    assert!(matches!(compute("accuracy", &no_args(), &outcome, f64::NAN), Err(MetricError::InvalidArgument { .. })));
}

#[test]
fn ranking_metrics_of_an_absent_class_are_undefined() {
    let probabilities = binary(&[0.3, 0.6, 0.1]);
    let negatives = Outcome::Classes { truth: &[0, 0, 0], probabilities: &probabilities };
    for metric in ["average_precision", "map", "roc_auc"] {
        let err = compute(metric, &no_args(), &negatives, 0.5).unwrap_err();
        assert!(matches!(err, MetricError::Undefined { .. }), "{metric}: {err:?}");
    }
    assert_eq!(
        compute("average_precision", &no_args(), &negatives, 0.5).unwrap_err().to_string(),
        "metric `average_precision` is undefined: class 1 (the positive class) never occurs in the truth"
    );
    // Threshold metrics stay defined (zero division counts 0).
    assert_eq!(compute("recall", &no_args(), &negatives, 0.5), Ok(0.0));
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

fn any_args() -> impl Strategy<Value = BTreeMap<String, Value>> {
    (prop_oneof![Just("recall"), Just("precision")], prop_oneof![Just(">="), Just(">")], 0.0f64..=1.0)
        .prop_map(|(on, op, v)| bound(on, op, v))
}

proptest! {
    #[test]
    fn classification_metrics_stay_in_range((truth, probabilities) in classes_outcome(), args in any_args(),
                                            threshold in 0.0f64..=1.0) {
        let outcome = Outcome::Classes { truth: &truth, probabilities: &probabilities };
        for metric in METRICS {
            match compute(metric, &args, &outcome, threshold) {
                Ok(v) if *metric == "log_loss" => prop_assert!(v.is_finite() && v >= 0.0, "{metric} = {v}"),
                Ok(v) => prop_assert!((0.0..=1.0).contains(&v), "{metric} = {v}"),
                Err(MetricError::WrongTask { .. } | MetricError::Undefined { .. } | MetricError::InvalidArgument { .. }) => {}
                Err(e) => prop_assert!(false, "{metric}: {e}"),
            }
        }
    }

    #[test]
    fn regression_metrics_never_panic(truth in proptest::collection::vec(any::<f64>(), 0..20),
                                      predicted in proptest::collection::vec(-1e6f64..1e6, 0..20)) {
        let outcome = Outcome::Values { truth: &truth, predicted: &predicted };
        for metric in METRICS {
            if let Ok(v) = compute(metric, &no_args(), &outcome, 0.5) {
                prop_assert!(!v.is_nan() && (metric != &"r2" || v <= 1.0), "{metric} = {v}");
                prop_assert!(metric == &"r2" || v >= 0.0, "{metric} = {v}");
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
        for metric in METRICS {
            let _ = compute(metric, &bound("recall", ">=", 0.5), &outcome, threshold);
        }
    }
}
