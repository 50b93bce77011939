//! End-to-end `mlpc run` of sequence pipelines on generated data: an LSTM (and an MLP) on sliding
//! windows over a time series split by time, and an LSTM with an embedding on word ids of a text
//! column, with the vocabulary saved beside the model.

use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory for one test.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-sequences-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `mlpc run spec.mlp --json` in `dir`: the summary, after checking the run passed.
fn run(dir: &Path, spec: &str) -> Value {
    std::fs::write(dir.join("spec.mlp"), spec).expect("spec written");
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["run", "spec.mlp", "--json"])
        .current_dir(dir)
        .output()
        .expect("mlpc runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "mlpc run failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("one JSON document on stdout ({e}): {stdout}"))
}

fn test_accuracy(summary: &Value, model: &str) -> f64 {
    summary["models"][model]["metrics"]["test"]["accuracy"].as_f64().unwrap_or_else(|| panic!("{model}: {summary}"))
}

#[test]
fn models_learn_from_sliding_windows_over_a_time_series() {
    let dir = project("windows");
    // Whether a slow wave rises at the next step, from 8 past steps of a noisy copy and a second
    // wave: nothing a single row can tell.
    let mut csv = String::from("t,a,b,rises\n");
    for t in 0..600 {
        let wave = |t: i32| (f64::from(t) / 5.0).sin();
        let a = wave(t) + 0.1 * (f64::from(t) * 1.3).sin();
        let b = (f64::from(t) / 7.0).cos();
        let rises = if wave(t) > wave(t - 1) { "yes" } else { "no" };
        writeln!(csv, "{t},{a:.5},{b:.5},{rises}").unwrap();
    }
    std::fs::write(dir.join("series.csv"), csv).unwrap();
    let summary = run(
        &dir,
        r#"
pipeline series { seed = 7 }
source s = csv("series.csv") {
  label = rises
  positive = yes
}
dataset windows = s {
  exclude = [t]
  window = sliding(length: 8)
  split = by_time(column: t, train: 0.7, val: 0.15, test: 0.15)
}
objective maximize accuracy
baseline majority = majority_class()
model recurrent = lstm(hidden: 16) {
  epochs = 30
}
model flat = mlp(hidden: [16]) {
  epochs = 30
}
"#,
    );
    // 600 rows give 592 windows; the baseline guesses, the models read the windows.
    assert!(test_accuracy(&summary, "majority") < 0.6);
    assert!(test_accuracy(&summary, "recurrent") > 0.8, "{}", summary["models"]["recurrent"]);
    assert!(test_accuracy(&summary, "flat") > 0.8, "{}", summary["models"]["flat"]);
}

#[test]
fn an_lstm_reads_word_ids_with_a_vocabulary_fitted_on_train() {
    let dir = project("tokens");
    // Reviews of filler words plus two telling ones; each also has a word of its own.
    let good = ["great", "lovely", "superb", "fun", "moving"];
    let bad = ["awful", "boring", "dull", "bad", "weak"];
    let filler = ["the", "film", "was", "a", "plot", "actor", "really", "quite"];
    let mut csv = String::from("review,verdict\n");
    for i in 0..400usize {
        let telling = if i % 2 == 0 { &good } else { &bad };
        let mut words: Vec<&str> = (0..6).map(|k| filler[(i * 7 + k * 3) % filler.len()]).collect();
        words.insert((i * 5) % 7, telling[(i / 2) % 5]);
        words.insert((i * 3) % 8, telling[(i / 3) % 5]);
        let verdict = if i % 2 == 0 { "good" } else { "bad" };
        writeln!(csv, "\"{} r{i}\",{verdict}", words.join(" ")).unwrap();
    }
    std::fs::write(dir.join("reviews.csv"), csv).unwrap();
    let summary = run(
        &dir,
        r#"
pipeline reviews { seed = 7 }
source r = csv("reviews.csv") {
  label = verdict
  positive = good
  schema {
    review: text
    verdict: category(bad, good)
  }
}
dataset texts = r {
  tokenize = words(length: 12, vocabulary: 100)
  split = random(train: 0.7, val: 0.15, test: 0.15)
}
objective maximize accuracy
baseline majority = majority_class()
model reader = lstm(hidden: 16) {
  epochs = 60
  layers {
    embedding(vocabulary: 100, dim: 8)
    lstm_layer(hidden: 16)
  }
}
"#,
    );
    assert!(test_accuracy(&summary, "reader") > 0.9, "{}", summary["models"]["reader"]);

    // The vocabulary travels with the model: the 18 frequent words first, then one-review words
    // (`rN`, seen once each) in alphabetical order until 98 words.
    let run_dir = PathBuf::from(summary["artifacts"]["dir"].as_str().unwrap());
    let state: Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("models/reader.preprocessing.json")).unwrap()).unwrap();
    let words: Vec<&str> =
        state["vocabularies"]["review"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(words.len(), 98, "vocabulary 100 minus padding and unknown");
    for word in good.iter().chain(&bad).chain(&filler) {
        assert!(words[..18].contains(word), "`{word}` is frequent in training: {words:?}");
    }
    assert!(words[18..].windows(2).all(|w| w[0] < w[1] && w[0].starts_with('r')));
}
