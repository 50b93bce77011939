//! `linear(l2)` against scikit-learn: coefficients, intercepts and predictions written by
//! bench/linear_reference.py into tests/data/linear_expected.json, on the same CSV files.

use mlp_stdlib::Matrix;
use mlp_stdlib::linear::{LinearKind, LinearModel, fit_classifier, fit_regressor};
use serde_json::Value;
use std::path::Path;

/// Agreement required with scikit-learn (both solvers converge far below this).
const TOLERANCE: f64 = 1e-5;

fn expected() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linear_expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// A small CSV of the repository's tests/data (no quoting in these files): header and rows.
fn read_csv(file: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().expect("a header").split(',').map(str::to_string).collect();
    let rows = lines.map(|l| l.split(',').map(str::to_string).collect()).collect();
    (header, rows)
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().expect("a list").iter().map(|v| v.as_str().expect("a string").to_string()).collect()
}

fn floats(value: &Value) -> Vec<f64> {
    value.as_array().expect("a list").iter().map(|v| v.as_f64().expect("a number")).collect()
}

fn rows_of(value: &Value) -> Vec<Vec<f64>> {
    value.as_array().expect("a list").iter().map(floats).collect()
}

/// The case's input matrix, z-scored (population standard deviation) when the case says so.
fn inputs(case: &Value, header: &[String], rows: &[Vec<String>]) -> Matrix {
    let columns: Vec<usize> = strings(&case["inputs"])
        .iter()
        .map(|name| header.iter().position(|h| h == name).expect("a known column"))
        .collect();
    let mut x = Matrix::zeros(rows.len(), columns.len());
    for (i, row) in rows.iter().enumerate() {
        for (j, &c) in columns.iter().enumerate() {
            x.row_mut(i)[j] = row[c].parse().expect("a number");
        }
    }
    if case["zscore"].as_bool() == Some(true) {
        zscore(&mut x);
    }
    x
}

fn zscore(x: &mut Matrix) {
    let n = x.rows as f64;
    for j in 0..x.cols {
        let mean = (0..x.rows).map(|i| x.get(i, j)).sum::<f64>() / n;
        let sd = ((0..x.rows).map(|i| (x.get(i, j) - mean).powi(2)).sum::<f64>() / n).sqrt();
        for i in 0..x.rows {
            x.row_mut(i)[j] = (x.get(i, j) - mean) / sd;
        }
    }
}

/// The largest absolute difference, after checking the lengths agree.
fn max_difference(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max)
}

fn check_weights(name: &str, model: &LinearModel, case: &Value) -> f64 {
    let want: Vec<f64> = rows_of(&case["coefficients"]).concat();
    let weights = max_difference(&model.weights().data, &want);
    let intercepts = max_difference(model.intercepts(), &floats(&case["intercepts"]));
    assert!(weights < TOLERANCE, "{name}: coefficients differ by {weights:e}");
    assert!(intercepts < TOLERANCE, "{name}: intercepts differ by {intercepts:e}");
    weights.max(intercepts)
}

fn check_classification(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let (header, rows) = read_csv(case["file"].as_str().unwrap());
    let x = inputs(case, &header, &rows);
    let levels = strings(&case["levels"]);
    let label = header.iter().position(|h| h == case["label"].as_str().unwrap()).unwrap();
    let y: Vec<usize> = rows.iter().map(|r| levels.iter().position(|l| *l == r[label]).unwrap()).collect();
    let model = fit_classifier(&x, &y, levels.len(), case["l2"].as_f64().unwrap()).expect("a fit");
    assert!(model.converged(), "{name}: not converged after {} iterations", model.iterations());
    let expected_kind = if levels.len() == 2 { LinearKind::Binary } else { LinearKind::Multinomial };
    assert_eq!(model.kind(), expected_kind);
    let weights = check_weights(name, &model, case);
    let probabilities = model.predict_proba(&x).unwrap();
    let difference = max_difference(&probabilities.data, &rows_of(&case["probabilities"]).concat());
    assert!(difference < TOLERANCE, "{name}: probabilities differ by {difference:e}");
    eprintln!(
        "{name}: {} Newton iterations; max |Δ| weights {weights:.1e}, probabilities {difference:.1e}",
        model.iterations()
    );
}

fn check_regression(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let (header, rows) = read_csv(case["file"].as_str().unwrap());
    let x = inputs(case, &header, &rows);
    let target = header.iter().position(|h| h == case["label"].as_str().unwrap()).unwrap();
    let y: Vec<f64> = rows.iter().map(|r| r[target].parse().unwrap()).collect();
    let model = fit_regressor(&x, &y, case["l2"].as_f64().unwrap()).expect("a fit");
    assert_eq!(model.kind(), LinearKind::Regression);
    let weights = check_weights(name, &model, case);
    let predictions = model.predict(&x).unwrap();
    let difference = max_difference(&predictions, &floats(&case["predictions"]));
    assert!(difference < TOLERANCE, "{name}: predictions differ by {difference:e}");
    eprintln!("{name}: max |Δ| weights {weights:.1e}, predictions {difference:.1e}");
}

#[test]
fn linear_models_agree_with_scikit_learn() {
    let expected = expected();
    let cases = expected["cases"].as_array().expect("cases");
    assert!(cases.len() >= 8);
    for case in cases {
        match case["task"].as_str() {
            Some("classification") => check_classification(case),
            Some("regression") => check_regression(case),
            other => panic!("unknown task {other:?}"),
        }
    }
}
