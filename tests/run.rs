//! End-to-end tests of `mlpc run` and `mlpc runs` on real data: the JSON summary's contract,
//! run directories and history, gates deciding exit status 3, failures exit 4 without damaging
//! earlier runs, determinism for a seed, and the bundled examples against their gates.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mlpc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlpc")).args(args).current_dir(cwd).output().expect("mlpc runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory for one test, holding `spec.mlp` with `{data}` replaced by tests/data.
fn project(name: &str, spec: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let data = root().join("tests/data");
    std::fs::write(dir.join("spec.mlp"), spec.replace("{data}", &data.display().to_string())).expect("spec written");
    dir
}

fn run_json(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["run", "spec.mlp", "--json"];
    args.extend_from_slice(extra);
    let out = mlpc(&args, dir);
    let stdout = text(&out.stdout);
    let json: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("one JSON document on stdout ({e}): {stdout}"));
    (out.status.code().expect("exit status"), json, text(&out.stderr))
}

const IRIS: &str = r#"
pipeline flowers { seed = 3 }
source iris = csv("{data}/iris.csv") { label = species }
dataset m = iris {
  split = stratified(train: 0.6, val: 0.2, test: 0.2)
  normalize = zscore
}
metric f1_macro = f1()
metric auc = roc_auc()
metric ll = log_loss()
objective maximize f1_macro
baseline majority = majority_class()
baseline logistic = linear(l2: 0.01)
model net = mlp(hidden: [16], activation: tanh) {
  optimizer = adam(lr: 1e-2)
  epochs = 60
  batch = 16
  early_stop = patience(10)
}
gate release {
  net.accuracy on test >= 0.8
  net beats majority on f1_macro by 0.3
}
deploy api = http(net) {
  port = 8080
}
"#;

#[test]
fn a_run_prints_the_json_contract_and_writes_its_directory() {
    let dir = project("contract", IRIS);
    let (status, json, stderr) = run_json(&dir, &[]);
    assert_eq!(status, 0, "{stderr}");
    assert!(json["run_id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(json["objective"]["metric"], "f1_macro");
    assert_eq!(json["objective"]["direction"], "maximize");
    for (name, kind) in [("net", "model"), ("majority", "baseline"), ("logistic", "baseline")] {
        assert_eq!(json["models"][name]["kind"], kind, "{name}");
        for split in ["train", "val", "test"] {
            for metric in ["accuracy", "f1_macro", "auc", "ll"] {
                let value = &json["models"][name]["metrics"][split][metric];
                assert!(value.is_number(), "{name}.{metric} on {split}: {value}");
            }
        }
    }
    let net_test = json["models"]["net"]["metrics"]["test"]["accuracy"].as_f64().unwrap();
    let majority_test = json["models"]["majority"]["metrics"]["test"]["accuracy"].as_f64().unwrap();
    assert!(net_test >= 0.8 && (majority_test - 1.0 / 3.0).abs() < 1e-9, "{net_test} {majority_test}");
    assert_eq!(json["gates"][0]["name"], "release");
    assert_eq!(json["gates"][0]["passed"], true);
    assert_eq!(json["models"]["net"]["exported"], true, "every gate passed, so the model ships");
    assert!(json["skipped"]["deploy:api"].is_string(), "mlpc run starts no deploy target: {}", json["skipped"]);
    // The results table goes to stderr when stdout carries JSON.
    assert!(stderr.contains("gate release: passed"), "{stderr}");

    let run_dir = PathBuf::from(json["artifacts"]["dir"].as_str().unwrap());
    assert!(run_dir.starts_with(dir.join("runs")), "{}", run_dir.display());
    for file in [
        "metrics.json",
        "run.json",
        "plan.json",
        "predictions.csv",
        "models/net.safetensors",
        "models/net.preprocessing.json",
        "baselines/logistic.json",
    ] {
        assert!(run_dir.join(file).is_file(), "{file} missing in {}", run_dir.display());
    }
    let predictions = std::fs::read_to_string(run_dir.join("predictions.csv")).unwrap();
    assert_eq!(predictions.lines().count(), 1 + 30, "a header and the 30 test rows");
    assert!(predictions.starts_with("line,truth,net,"), "{predictions}");
    let preprocessing: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("models/net.preprocessing.json")).unwrap()).unwrap();
    assert_eq!(preprocessing["columns"].as_array().unwrap().len(), 4);

    let listed = mlpc(&["runs", "spec.mlp", "--json"], &dir);
    let runs: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(runs["runs"][0]["id"], json["run_id"]);
    assert_eq!(runs["runs"][0]["status"], "passed");
    assert_eq!(runs["runs"][0]["best_model"], "net");
}

#[test]
fn the_same_seed_gives_identical_metrics() {
    let dir = project("determinism", IRIS);
    let (_, first, _) = run_json(&dir, &[]);
    let (_, second, _) = run_json(&dir, &[]);
    assert_ne!(first["run_id"], second["run_id"]);
    let read = |json: &Value| {
        std::fs::read(Path::new(json["artifacts"]["dir"].as_str().unwrap()).join("metrics.json")).unwrap()
    };
    assert_eq!(read(&first), read(&second), "metrics.json differs between two runs with one seed");
    let (_, other_seed, _) = run_json(&dir, &["--seed", "11"]);
    assert_ne!(read(&first), read(&other_seed), "another seed should change the split and the weights");
}

#[test]
fn a_failed_gate_completes_the_run_and_exits_3() {
    let spec = IRIS.replace("net.accuracy on test >= 0.8", "net.accuracy on test >= 0.999\n  net.ll on test <= 0.0001");
    let dir = project("gate", &spec);
    let (status, json, stderr) = run_json(&dir, &[]);
    assert_eq!(status, 3, "{stderr}");
    assert_eq!(json["gates"][0]["passed"], false);
    assert_eq!(json["models"]["net"]["exported"], false, "a failed gate holds the model back");
    let checks = json["gates"][0]["checks"].as_array().unwrap();
    let failed: Vec<&Value> = checks.iter().filter(|c| c["passed"] == false).collect();
    assert_eq!(failed.len(), 2, "{checks:?}");
    assert!(failed.iter().all(|c| c["by"].as_f64().unwrap() < 0.0), "shortfalls are negative: {failed:?}");
    assert!(stderr.contains("FAIL net.accuracy on test >= 0.999"), "{stderr}");
    assert!(Path::new(json["artifacts"]["dir"].as_str().unwrap()).join("metrics.json").is_file());
}

#[test]
fn a_failed_run_exits_4_and_leaves_earlier_runs_alone() {
    let dir = project("failure", IRIS);
    let (status, good, _) = run_json(&dir, &[]);
    assert_eq!(status, 0);
    let good_dir = PathBuf::from(good["artifacts"]["dir"].as_str().unwrap());
    let before = std::fs::read(good_dir.join("metrics.json")).unwrap();
    // Same spec, but the data file now has a ragged row.
    let mut broken = std::fs::read_to_string(root().join("tests/data/iris.csv")).unwrap();
    broken.push_str("5.0,3.1\n");
    std::fs::write(dir.join("iris.csv"), broken).unwrap();
    let spec = std::fs::read_to_string(dir.join("spec.mlp")).unwrap();
    let data = root().join("tests/data/iris.csv").display().to_string();
    std::fs::write(dir.join("spec.mlp"), spec.replace(&data, "iris.csv")).unwrap();
    let (status, json, stderr) = run_json(&dir, &[]);
    assert_eq!(status, 4, "{stderr}");
    assert_eq!(json["status"], "failed");
    assert_eq!(json["error"]["code"], "E0705");
    assert_eq!(json["error"]["line"], 152);
    assert!(stderr.contains("E0705"), "{stderr}");
    let entries: Vec<String> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, vec![good["run_id"].as_str().unwrap().to_string()], "only the good run's directory remains");
    assert_eq!(std::fs::read(good_dir.join("metrics.json")).unwrap(), before);
    let listed: Value = serde_json::from_slice(&mlpc(&["runs", ".", "--json"], &dir).stdout).unwrap();
    let statuses: Vec<&str> =
        listed["runs"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"failed") && statuses.contains(&"passed"), "{statuses:?}");
}

#[test]
fn a_regression_pipeline_scales_its_target() {
    let spec = r#"
pipeline prices { seed = 1 }
source houses = csv("{data}/houses.csv") { label = price }
dataset h = houses {
  split = random(train: 0.6, val: 0.2, test: 0.2)
  normalize = zscore
  encode = onehot
}
metric err = rmse()
objective minimize err
baseline avg = mean()
baseline ridge = linear()
model net = mlp(hidden: [8]) {
  optimizer = adam(lr: 1e-2)
  epochs = 200
  batch = 4
}
"#;
    let dir = project("regression", spec);
    let (status, json, stderr) = run_json(&dir, &[]);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(json["objective"]["direction"], "minimize");
    for name in ["net", "avg", "ridge"] {
        for split in ["train", "val", "test"] {
            assert!(json["models"][name]["metrics"][split]["r2"].is_number(), "{name} r2 on {split}");
        }
    }
    // Prices are in the hundreds: without target scaling an MLP trained for 200 epochs at this
    // learning rate stays far below the mean baseline's fit on train.
    let r2 = json["models"]["net"]["metrics"]["train"]["r2"].as_f64().unwrap();
    assert!(r2 > 0.8, "train r2 {r2}");
}

#[test]
fn a_spec_with_errors_is_not_run() {
    let dir = project("spec-error", &IRIS.replace("label = species", "label = specie"));
    let out = mlpc(&["run", "spec.mlp"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0301") || text(&out.stderr).contains("E0102"), "{}", text(&out.stderr));
    assert!(!dir.join("runs").exists());
}

#[test]
fn runs_without_history_says_so() {
    let dir = project("no-history", IRIS);
    let out = mlpc(&["runs", "spec.mlp"], &dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("no runs recorded"), "{}", text(&out.stderr));
}

/// The bundled examples run green: their gates pass (exit 0) from a clean directory. Those
/// with features or rules run again on the reference evaluator (`MLPC_JIT=0`) and must write
/// the same metrics.json to the byte.
#[test]
fn the_examples_pass_their_gates() {
    for example in ["breast_cancer", "iris", "titanic", "digits"] {
        let mut metrics = Vec::new();
        let engines: &[&str] = if example == "digits" { &["1"] } else { &["1", "0"] };
        for jit in engines {
            let dir = std::env::temp_dir().join(format!("mlpc-run-{}-example-{example}-{jit}", std::process::id()));
            let spec = format!("examples/{example}/{example}.mlp");
            let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
                .args(["run", &spec, "--json", "--runs-dir", dir.to_str().unwrap()])
                .env("MLPC_JIT", jit)
                .current_dir(root())
                .output()
                .expect("mlpc runs");
            let json: Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
            assert_eq!(out.status.code(), Some(0), "{example}: {}\n{}", text(&out.stderr), json["gates"]);
            let engine = &json["timings"]["expressions"]["engine"];
            if example == "digits" {
                assert!(engine.is_null(), "digits has no features or rules: {engine}");
            } else {
                assert_eq!(engine, if *jit == "0" { "reference" } else { "jit" }, "{example}");
            }
            let run_dir = Path::new(json["artifacts"]["dir"].as_str().expect("run directory"));
            metrics.push(std::fs::read(run_dir.join("metrics.json")).expect("metrics.json"));
            let _ = std::fs::remove_dir_all(&dir);
        }
        assert!(metrics.windows(2).all(|w| w[0] == w[1]), "{example}: metrics.json differs with MLPC_JIT=0");
    }
}

#[test]
fn an_unwritable_run_directory_is_e0804() {
    let dir = project("unwritable", IRIS);
    std::fs::write(dir.join("not-a-dir"), "").unwrap();
    let out = mlpc(&["run", "spec.mlp", "--runs-dir", "not-a-dir"], &dir);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("E0804"), "{}", text(&out.stderr));
}

/// Missing cells filled with training medians, a fixed baseline, and the less common training
/// settings (SGD with momentum, batch norm, dropout, L1) on real data with holes punched in it.
#[test]
fn fills_fixed_baselines_and_training_options_work_end_to_end() {
    let iris = std::fs::read_to_string(root().join("tests/data/iris.csv")).unwrap();
    let mut holes = String::new();
    for (i, line) in iris.lines().enumerate() {
        // Blank the first cell of every seventh data row.
        if i > 0 && i % 7 == 0 {
            holes.push_str(&line[line.find(',').unwrap()..]);
        } else {
            holes.push_str(line);
        }
        holes.push('\n');
    }
    let spec = r#"
pipeline holes { seed = 5 }
source iris = csv("iris.csv") { label = species }
dataset m = iris {
  split = stratified(train: 0.6, val: 0.2, test: 0.2)
  missing = fill_median
}
objective maximize accuracy
baseline experts = fixed(score: 0.9)
model net = mlp(hidden: [16, 8], activation: gelu, init: he) {
  optimizer = sgd(lr: 0.05, momentum: 0.9)
  batch_norm = true
  dropout = 0.1
  l1 = 1e-5
  epochs = 80
  batch = 16
  early_stop = patience(15)
}
gate release {
  net.accuracy on test >= 0.8
}
"#;
    let dir = project("fills", spec);
    std::fs::write(dir.join("iris.csv"), &holes).unwrap();
    let (status, json, stderr) = run_json(&dir, &[]);
    assert_eq!(status, 0, "{stderr}");
    for split in ["train", "val", "test"] {
        assert_eq!(json["models"]["experts"]["metrics"][split]["accuracy"], 0.9, "fixed score on {split}");
    }
    let run_dir = PathBuf::from(json["artifacts"]["dir"].as_str().unwrap());
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("models/net.preprocessing.json")).unwrap()).unwrap();
    let fill = state["columns"][0]["fill"].as_f64().expect("sepal_length has a fitted fill value");
    assert!((4.0..8.0).contains(&fill), "median sepal length {fill}");
    // No row was dropped: 150 rows, 30 of them in the test split.
    let predictions = std::fs::read_to_string(run_dir.join("predictions.csv")).unwrap();
    assert_eq!(predictions.lines().count(), 31);
}

/// A JSON-lines source split by time, end to end, and the human run listing afterwards.
#[test]
fn json_lines_split_by_time_then_listed() {
    let iris = std::fs::read_to_string(root().join("tests/data/iris.csv")).unwrap();
    let mut lines = String::new();
    for (i, row) in iris.lines().skip(1).enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        // Interleave the species over time so every split sees all three.
        lines.push_str(&format!(
            "{{\"day\": {}, \"sepal_length\": {}, \"sepal_width\": {}, \"petal_length\": {}, \"petal_width\": {}, \"species\": \"{}\"}}\n",
            (i % 50) * 3 + i / 50,
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4]
        ));
    }
    let spec = r#"
pipeline timed { seed = 2 }
source iris = jsonl("iris.jsonl") { label = species }
dataset m = iris {
  split = by_time(day, train: 0.6, val: 0.2, test: 0.2)
  exclude = [day]
}
objective maximize accuracy
baseline logistic = linear(l2: 0.01)
"#;
    let dir = project("jsonl", spec);
    std::fs::write(dir.join("iris.jsonl"), lines).unwrap();
    let (status, json, stderr) = run_json(&dir, &[]);
    assert_eq!(status, 0, "{stderr}");
    let accuracy = json["models"]["logistic"]["metrics"]["test"]["accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.8, "logistic on the latest 30 days: {accuracy}");
    let predictions =
        std::fs::read_to_string(Path::new(json["artifacts"]["dir"].as_str().unwrap()).join("predictions.csv")).unwrap();
    // by_time gives the test split the latest rows: lines 121..=150 of the file.
    let test_lines: Vec<u64> =
        predictions.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(test_lines.len(), 30);
    let listed = mlpc(&["runs", "spec.mlp"], &dir);
    let table = text(&listed.stdout);
    assert!(table.contains(json["run_id"].as_str().unwrap()) && table.contains("passed"), "{table}");
}

/// `patience(epochs, min_delta)` on iris: an improvement must exceed `min_delta` to count, so
/// with `min_delta: 1` (more than any F1 can gain) training keeps the first epoch and stops
/// `epochs` epochs later, where the default keeps improving past it.
#[test]
fn early_stopping_ignores_improvements_within_min_delta() {
    let epochs_run = |early_stop: &str| {
        let spec = IRIS.replace("early_stop = patience(10)", early_stop);
        let dir = project(&format!("min-delta-{}", early_stop.len()), &spec);
        let (status, json, stderr) = run_json(&dir, &[]);
        assert!(status == 0 || status == 3, "{stderr}");
        let training = &json["models"]["net"]["training"];
        (training["epochs_run"].as_u64().unwrap(), training["best_epoch"].as_u64().unwrap())
    };
    assert_eq!(epochs_run("early_stop = patience(3, min_delta: 1)"), (4, 1));
    let (run, _) = epochs_run("early_stop = patience(3)");
    assert!(run > 4, "without min_delta, training went on improving: {run} epochs");
}
