//! Sequences from tables: sliding windows over a time series (formed before the split, split by
//! their target rows) and word ids from a text column (vocabulary fitted on the training split),
//! from `mlpc check`'s program through `split` and `fit_transform`.

use mlp_compiler::check::compile_text;
use mlp_compiler::plan::{FitStep, LoadStep, SplitStep};
use mlp_compiler::program::Program;
use mlp_compiler::program::Seed;
use mlp_compiler::types::ColumnType;
use mlp_data::FsWorld;
use mlp_data::column_view::{ColumnView, tensor, view};
use mlp_data::load;
use mlp_runtime::prepare::{self, Prepared, SplitRows};
use mlp_stdlib::tokenize::{UNKNOWN, Vocabulary};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlp-sequences-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// Checks `spec` (written into `dir`) and returns its program.
fn program(dir: &Path, spec: &str) -> Program {
    let path = dir.join("spec.mlp");
    std::fs::write(&path, spec).expect("spec written");
    let compilation = compile_text(&FsWorld, &path, spec);
    let messages: Vec<String> = compilation.diagnostics.iter().map(|d| format!("{} {}", d.code, d.message)).collect();
    compilation.program.unwrap_or_else(|| panic!("the spec checks: {messages:?}"))
}

/// Loads, splits and prepares the program's first dataset.
fn prepared(program: &Program) -> (SplitRows, Prepared) {
    let table = load(&LoadStep::of(&program.sources[0])).expect("the data loads");
    let dataset = &program.datasets[0];
    let rows = prepare::split(&SplitStep::of(dataset, Seed(42)), Arc::new(table)).expect("split");
    let prepared = prepare::fit_transform(&FitStep::of(dataset), &rows).expect("fit_transform");
    (rows, prepared)
}

fn a(t: i64) -> f64 {
    (t as f64 / 5.0).sin()
}

fn b(t: i64) -> f64 {
    (t as f64 / 7.0).cos()
}

fn y(t: i64) -> f64 {
    a(t) + 0.01 * t as f64
}

const SERIES_SPEC: &str = r#"
source s = csv("series.csv") {
  label = y
}
dataset d = s {
  exclude = [t]
  window = sliding(length: 6, step: 2)
  split = by_time(column: t, train: 0.6, val: 0.2, test: 0.2)
}
objective minimize rmse
baseline average = mean()
model recurrent = lstm(hidden: 4)
"#;

#[test]
fn windows_are_formed_in_time_order_and_split_by_their_target_rows() {
    let dir = scratch("series");
    // 200 time steps written out of order: windows must follow `t`, not the file.
    let mut csv = String::from("t,a,b,y\n");
    let mut times: Vec<i64> = (0..200).collect();
    times.sort_by_key(|t| (t * 73) % 200);
    for t in &times {
        csv.push_str(&format!("{t},{},{},{}\n", a(*t), b(*t), y(*t)));
    }
    std::fs::write(dir.join("series.csv"), csv).unwrap();
    let program = program(&dir, SERIES_SPEC);
    let dataset = &program.datasets[0];
    assert_eq!(dataset.inputs, ["window"]);
    assert_eq!(dataset.schema.get("window").unwrap().ty, ColumnType::Sequence { length: 6, features: 2 });

    let (rows, prepared) = prepared(&program);
    // (200 - 6 - 1) / 2 + 1 windows, one table row each, every one in exactly one split.
    assert_eq!(rows.table.rows, 97);
    let total: usize = prepared.splits.iter().map(|s| s.rows.len()).sum();
    assert_eq!(total, 97);
    assert_eq!(prepared.tensor.as_ref().unwrap().shape, [6, 2]);
    assert_eq!(prepared.splits[0].x.cols, 12);

    // Each window holds the 6 steps before its target time, `a` and `b` side by side; the label
    // is the target row's.
    let ColumnView::Numbers(target_times) = view(&rows.table, "t").unwrap() else { panic!("t is numeric") };
    let window = tensor(rows.table.column("window").unwrap()).unwrap();
    for r in [0, 40, 96] {
        let target = target_times[r].unwrap() as i64;
        assert_eq!(target, 6 + 2 * r as i64, "windows start every 2 steps");
        let expected: Vec<f32> = (target - 6..target).flat_map(|t| [a(t) as f32, b(t) as f32]).collect();
        assert_eq!(window.row(r), expected.as_slice());
    }
    let ColumnView::Numbers(labels) = view(&rows.table, "y").unwrap() else { panic!("y is numeric") };
    assert!((labels[40].unwrap() - y(86)).abs() < 1e-12);

    // No look-ahead: every training target precedes every validation target, which precede test.
    let times_of = |split: usize| -> Vec<f64> {
        prepared.splits[split].rows.iter().map(|&r| target_times[r].unwrap()).collect::<Vec<_>>()
    };
    let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
    let min = |v: &[f64]| v.iter().copied().fold(f64::MAX, f64::min);
    assert!(max(&times_of(0)) < min(&times_of(1)));
    assert!(max(&times_of(1)) < min(&times_of(2)));

    // Normalization is per feature, fitted on the training windows: `a` and `b` train columns
    // have mean about 0.
    let train = &prepared.splits[0].x;
    for feature in 0..2 {
        let values: Vec<f64> = (0..train.rows)
            .flat_map(|r| (0..6).map(move |s| (r, s)))
            .map(|(r, s)| train.get(r, s * 2 + feature))
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!(mean.abs() < 0.05, "feature {feature} mean {mean}");
    }
}

#[test]
fn a_series_too_short_for_one_window_is_reported_by_the_checker_alone() {
    let dir = scratch("short");
    // The checker's sample holds all 8 rows: E0316 before anything runs.
    let mut csv = String::from("t,a,b,y\n");
    for t in 0..8 {
        csv.push_str(&format!("{t},{},{},{}\n", a(t), b(t), y(t)));
    }
    std::fs::write(dir.join("series.csv"), csv).unwrap();
    let path = dir.join("spec.mlp");
    std::fs::write(&path, SERIES_SPEC.replace("length: 6", "length: 8")).unwrap();
    let compilation = compile_text(&FsWorld, &path, &SERIES_SPEC.replace("length: 6", "length: 8"));
    let codes: Vec<&str> = compilation.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E0316"]);
}

const REVIEWS_SPEC: &str = r#"
source s = csv("reviews.csv") {
  label = verdict
  schema {
    review: text
    verdict: category(bad, good)
  }
}
dataset d = s {
  tokenize = words(length: 8, vocabulary: 1000)
  split = random(train: 0.5, val: 0.25, test: 0.25)
}
objective maximize accuracy
baseline majority = majority_class()
model reader = lstm(hidden: 4)
"#;

#[test]
fn text_becomes_word_ids_with_a_vocabulary_fitted_on_train_only() {
    let dir = scratch("reviews");
    // Every review has a word of its own (`wN`): seen in training for train rows only.
    let mut csv = String::from("review,verdict\n");
    for i in 0..60 {
        let (text, verdict) = if i % 2 == 0 {
            (format!("W{i} great movie!"), "good")
        } else {
            (format!("w{i}: an AWFUL film, really"), "bad")
        };
        csv.push_str(&format!("\"{text}\",{verdict}\n"));
    }
    std::fs::write(dir.join("reviews.csv"), csv).unwrap();
    let program = program(&dir, REVIEWS_SPEC);
    assert_eq!(program.datasets[0].schema.get("review").unwrap().ty, ColumnType::Sequence { length: 8, features: 1 });

    let (rows, prepared) = prepared(&program);
    assert_eq!(prepared.tensor.as_ref().unwrap().shape, [8, 1]);
    let vocabulary = &prepared.state.vocabularies["review"];
    let ColumnView::Text(texts) = view(&rows.table, "review").unwrap() else { panic!("text") };
    let expected = Vocabulary::fit(prepared.splits[0].rows.iter().map(|&r| texts.value(r)), 1000);
    assert_eq!(vocabulary, &expected);

    for (split, prepared_split) in prepared.splits.iter().enumerate() {
        for (i, &r) in prepared_split.rows.iter().enumerate() {
            let x = prepared_split.x.row(i);
            let own = x[0] as u32;
            if split == 0 {
                assert_eq!(own, vocabulary.id(&format!("w{r}")), "row {r}");
                assert!(own >= 2);
            } else {
                assert_eq!(own, UNKNOWN, "row {r}: `w{r}` is not in the training vocabulary");
            }
            // Ids are not normalized, and short reviews are padded with 0.
            let words = if r % 2 == 0 { 3 } else { 5 };
            assert!(x[1..words].iter().all(|&id| id >= 2.0 && id.fract() == 0.0), "row {r}: {x:?}");
            assert!(x[words..].iter().all(|&id| id == 0.0), "row {r}: {x:?}");
        }
    }
    // The vocabulary is saved with the preprocessing, in id order.
    let json = serde_json::to_value(&prepared.state).unwrap();
    let words = json["vocabularies"]["review"].as_array().unwrap();
    assert_eq!(words.len(), vocabulary.len() - 2);
    assert_eq!(words[0], vocabulary.words()[0].as_str());
}

#[test]
fn missing_inputs_are_dropped_or_carried_forward_before_windowing() {
    let dir = scratch("holes");
    let mut csv = String::from("t,a,b,y\n");
    for t in 0..40 {
        let a_cell = if t == 10 { String::new() } else { a(t).to_string() };
        csv.push_str(&format!("{t},{a_cell},{},{}\n", b(t), y(t)));
    }
    std::fs::write(dir.join("series.csv"), csv).unwrap();
    let spec = SERIES_SPEC.replace("length: 6, step: 2", "length: 3");

    // Dropped: 39 rows give 36 windows, and no window holds t = 10.
    let (rows, _) = prepared(&program(&dir, &spec));
    assert_eq!(rows.table.rows, 36);
    let ColumnView::Numbers(times) = view(&rows.table, "t").unwrap() else { panic!("t is numeric") };
    assert!(times.iter().all(|t| t.unwrap() != 10.0));

    // Carried forward: 40 rows give 37 windows; the window ending at t = 10 repeats a(9).
    let (rows, _) = prepared(&program(&dir, &spec.replace("exclude = [t]", "exclude = [t]\n  missing = fill_mean")));
    assert_eq!(rows.table.rows, 37);
    let window = tensor(rows.table.column("window").unwrap()).unwrap();
    // The window targeting t = 11 covers t = 8, 9, 10: `a` at step 3 is a(9).
    let ColumnView::Numbers(times) = view(&rows.table, "t").unwrap() else { panic!("t is numeric") };
    let r = times.iter().position(|t| *t == Some(11.0)).unwrap();
    assert_eq!(window.row(r)[4], a(9) as f32);
    assert_eq!(window.row(r)[2], a(9) as f32);
}

#[test]
// `split` returns the runtime's `RunResult`, whose error is large by design (see lib.rs).
#[allow(clippy::result_large_err)]
fn a_row_without_a_time_is_an_error_at_its_line_in_windows_and_splits_alike() {
    let dir = scratch("untimed");
    let series = |a_missing: bool| {
        let mut csv = String::from("t,a,b,y\n");
        for t in 0..40 {
            let (time, a_cell) = match t {
                25 => (String::new(), if a_missing { String::new() } else { a(t).to_string() }),
                _ => (t.to_string(), a(t).to_string()),
            };
            csv.push_str(&format!("{time},{a_cell},{},{}\n", b(t), y(t)));
        }
        std::fs::write(dir.join("series.csv"), csv).unwrap();
    };
    let windowed = SERIES_SPEC.replace("length: 6, step: 2", "length: 3");
    let rows =
        windowed.replace("  window = sliding(length: 3)\n", "").replace("model recurrent = lstm(hidden: 4)\n", "");
    let split = |spec: &str| {
        let program = program(&dir, spec);
        let table = load(&LoadStep::of(&program.sources[0])).expect("the data loads");
        prepare::split(&SplitStep::of(&program.datasets[0], Seed(42)), Arc::new(table))
    };
    series(false);
    for spec in [&windowed, &rows] {
        let error = split(spec).expect_err("a row without a time");
        assert_eq!(error.code, "E0714", "{error:?}");
        let location = error.location.expect("located at the row");
        assert_eq!((location.line, location.column.as_deref()), (Some(27), Some("t")));
        let text = location.text.expect("with the row's line");
        assert_eq!(text.text, format!(",{},{},{}", a(25), b(25), y(25)));
    }
    // Under `missing = drop` a row that also misses a windowed value is dropped before the rows
    // are ordered, as the split drops a row that misses an input: it needs no time.
    series(true);
    let rows = split(&windowed).expect("the untimed row is dropped");
    assert_eq!(rows.table.rows, 36);
}
