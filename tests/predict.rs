//! `mlpc predict`, bundles and batch targets against the real binary: for every kind of model
//! (binary, multi-class, regression, images, sequences, text tokens) the bundle's predictions for
//! the test rows equal the run's `predictions.csv` bit for bit; bad rows get coded errors (or a
//! rejects file); a damaged or missing bundle is refused; a batch killed midway resumes to the
//! same outputs.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mlpc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlpc")).args(args).current_dir(dir).output().expect("mlpc runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory for one test.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-predict-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "runs" && entry.file_name() != ".mlp" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `mlpc run SPEC --json` in `dir`, which must pass: the summary.
fn run(dir: &Path, spec: &str) -> Value {
    let out = mlpc(dir, &["run", spec, "--json"]);
    assert!(out.status.success(), "mlpc run failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON summary")
}

/// A CSV file's rows by column name.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let body = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = body.lines();
    let header = split(lines.next().unwrap());
    (header, lines.map(split).collect())
}

/// Splits a CSV line (quotes only around whole cells, as mlpc writes them).
fn split(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// Writes the data file's header and the lines the run's test split holds (single-line records).
fn test_rows(data: &Path, lines: &[u64], to: &Path) {
    let body = std::fs::read_to_string(data).unwrap();
    let all: Vec<&str> = body.lines().collect();
    let mut out = String::from(all[0]);
    out.push('\n');
    for &line in lines {
        out.push_str(all[line as usize - 1]);
        out.push('\n');
    }
    std::fs::write(to, out).unwrap();
}

/// Runs `spec` in `dir`, predicts its test rows (from `data`) with every model's bundle, and
/// checks each prediction against the run's `predictions.csv`, text for text: the class and
/// every probability (the positive class's for a binary label), or the value.
fn bundles_equal_the_run(dir: &Path, spec: &str, data: &Path) -> usize {
    let summary = run(dir, spec);
    let run_dir = PathBuf::from(summary["artifacts"]["dir"].as_str().unwrap());
    let run_dir = if run_dir.is_absolute() { run_dir } else { dir.join(run_dir) };
    let (header, rows) = read_csv(&run_dir.join("predictions.csv"));
    let lines: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let inputs = dir.join("test-rows.csv");
    test_rows(data, &lines, &inputs);
    let mut compared = 0;
    let models: Vec<String> = summary["models"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, m)| m["kind"] == "model")
        .map(|(name, _)| name.clone())
        .collect();
    assert!(!models.is_empty());
    for model in models {
        let bundle = run_dir.join("bundles").join(&model);
        assert!(bundle.join("manifest.json").is_file(), "no bundle for `{model}` in {}", run_dir.display());
        let out = mlpc(dir, &["predict", bundle.to_str().unwrap(), "test-rows.csv", "-o", "predicted.csv"]);
        assert!(out.status.success(), "mlpc predict failed: {}", text(&out.stderr));
        let (predicted_header, predicted) = read_csv(&dir.join("predicted.csv"));
        assert_eq!(predicted.len(), rows.len(), "{model}: one prediction per test row");
        let column = |name: &str| header.iter().position(|h| h == name);
        let at = column(&model).unwrap_or_else(|| panic!("`{model}` in {header:?}"));
        for (i, (ours, theirs)) in predicted.iter().zip(&rows).enumerate() {
            // `line` is the row's line in the file predicted: the header, then the test rows.
            assert_eq!(ours[0], (i + 2).to_string(), "{model}: row {i}");
            // The class (or value), then the probabilities predictions.csv keeps.
            assert_eq!(ours[1], theirs[at], "{model}: line {}", theirs[0]);
            for (j, name) in predicted_header.iter().enumerate().skip(2) {
                let class = name.strip_prefix("p_").unwrap();
                if let Some(k) = column(&format!("{model}_p_{class}")) {
                    assert_eq!(ours[j], theirs[k], "{model}: p({class}) of line {}", theirs[0]);
                    compared += 1;
                }
            }
            compared += 1;
        }
        // A row predicted alone (a one-row request) gets the numbers it gets in a batch.
        let body = std::fs::read_to_string(&inputs).unwrap();
        let lines: Vec<&str> = body.lines().collect();
        for (i, row) in lines.iter().enumerate().skip(1).take(3) {
            std::fs::write(dir.join("one-row.csv"), format!("{}\n{row}\n", lines[0])).unwrap();
            let out = mlpc(dir, &["predict", bundle.to_str().unwrap(), "one-row.csv"]);
            let alone = text(&out.stdout);
            let alone = split(alone.lines().nth(1).unwrap_or_else(|| panic!("{model}: {alone}")));
            assert_eq!(alone[1..], predicted[i - 1][1..], "{model}: row {i} alone and in a batch");
        }
    }
    compared
}

#[test]
fn bundles_predict_the_examples_test_rows_bit_for_bit() {
    for (example, spec, data) in [
        ("iris", "iris.mlp", "data/iris.csv"),
        ("titanic", "titanic.mlp", "data/titanic.csv"),
        ("digits", "digits.mlp", "digits.csv"),
        ("breast_cancer", "breast_cancer.mlp", "data/breast_cancer.csv"),
    ] {
        let dir = project(example);
        copy_dir(&root().join("examples").join(example), &dir);
        let compared = bundles_equal_the_run(&dir, spec, &dir.join(data));
        assert!(compared > 20, "{example}: compared {compared} values");
    }
}

#[test]
fn regression_sequence_and_token_bundles_predict_bit_for_bit() {
    // Regression: the target scaler is inverted identically.
    let dir = project("regression");
    std::fs::copy(root().join("tests/data/houses.csv"), dir.join("houses.csv")).unwrap();
    std::fs::write(
        dir.join("spec.mlp"),
        r#"
pipeline prices { seed = 1 }
source houses = csv("houses.csv") { label = price }
dataset h = houses {
  split = random(train: 0.6, val: 0.2, test: 0.2)
  encode = onehot
}
feature per_room = area / rooms
objective minimize rmse
baseline avg = mean()
model net = mlp(hidden: [8]) {
  optimizer = adam(lr: 1e-2)
  epochs = 40
}
"#,
    )
    .unwrap();
    assert!(bundles_equal_the_run(&dir, "spec.mlp", &dir.join("houses.csv")) >= 4);

    // A sequence column read from `steps_0` … `steps_7`, through an LSTM.
    let dir = project("sequences");
    let mut csv = String::new();
    for i in 0..8 {
        let _ = write!(csv, "steps_{i},");
    }
    csv.push_str("trend\n");
    for r in 0..240u32 {
        let rising = r % 2 == 0;
        for i in 0..8u32 {
            let noise = f64::from((r * 31 + i * 17) % 13) / 26.0;
            let v = if rising { f64::from(i) } else { 8.0 - f64::from(i) } + noise;
            let _ = write!(csv, "{v},");
        }
        csv.push_str(if rising { "up\n" } else { "down\n" });
    }
    std::fs::write(dir.join("series.csv"), csv).unwrap();
    std::fs::write(
        dir.join("spec.mlp"),
        r#"
pipeline trends { seed = 3 }
source s = csv("series.csv") {
  label = trend
  positive = up
  schema {
    steps: sequence(8, 1)
    trend: category(down, up)
  }
}
dataset d = s { split = stratified(train: 0.7, val: 0.15, test: 0.15) }
objective maximize accuracy
model recurrent = lstm(hidden: 8) { epochs = 15 }
"#,
    )
    .unwrap();
    assert!(bundles_equal_the_run(&dir, "spec.mlp", &dir.join("series.csv")) >= 30);

    // Text as word ids through the vocabulary fitted on the training split.
    let dir = project("tokens");
    let good = ["great", "lovely", "superb", "fun", "moving"];
    let bad = ["awful", "boring", "dull", "bad", "weak"];
    let filler = ["the", "film", "was", "a", "plot", "actor"];
    let mut csv = String::from("review,verdict\n");
    for i in 0..200usize {
        let telling = if i % 2 == 0 { &good } else { &bad };
        let mut words: Vec<&str> = (0..5).map(|k| filler[(i * 7 + k * 3) % filler.len()]).collect();
        words.insert((i * 5) % 6, telling[(i / 2) % 5]);
        let _ = writeln!(csv, "\"{} r{i}\",{}", words.join(" "), if i % 2 == 0 { "good" } else { "bad" });
    }
    std::fs::write(dir.join("reviews.csv"), csv).unwrap();
    std::fs::write(
        dir.join("spec.mlp"),
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
  tokenize = words(length: 8, vocabulary: 40)
  split = random(train: 0.7, val: 0.15, test: 0.15)
}
objective maximize accuracy
model reader = lstm(hidden: 8) {
  epochs = 10
  layers {
    embedding(vocabulary: 40, dim: 4)
    lstm_layer(hidden: 8)
  }
}
"#,
    )
    .unwrap();
    assert!(bundles_equal_the_run(&dir, "spec.mlp", &dir.join("reviews.csv")) >= 30);
}

/// The iris example, run once, in a fresh directory.
fn iris(name: &str) -> PathBuf {
    let dir = project(name);
    copy_dir(&root().join("examples/iris"), &dir);
    run(&dir, "iris.mlp");
    dir
}

#[test]
fn bad_rows_get_coded_errors_or_a_rejects_file_and_bad_bundles_are_refused() {
    let dir = iris("iris-errors");
    std::fs::write(
        dir.join("rows.csv"),
        "id,sepal_length,sepal_width,petal_length,petal_width\na,5.1,3.5,1.4,0.2\nb,x,3.0,5.1,1.8\nc,6.3,,4.9,1.5\nd,6.5,3.0,5.2,2.0\n",
    )
    .unwrap();
    // A spec means the bundle of its latest passing run; the first bad row stops the command.
    let out = mlpc(&dir, &["predict", "iris.mlp", "rows.csv", "-o", "out.csv"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("E0706") && stderr.contains("rows.csv:3") && stderr.contains("--on-error skip"),
        "{stderr}"
    );
    assert!(!dir.join("out.csv").exists(), "nothing under the output's name after a failure");

    // Skipping: the good rows are predicted, each bad one listed with its code and column.
    let out = mlpc(&dir, &["predict", "iris.mlp", "rows.csv", "-o", "out.csv", "--on-error", "skip", "--id", "id"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (header, rows) = read_csv(&dir.join("out.csv"));
    assert_eq!(header, ["id", "class", "p_setosa", "p_versicolor", "p_virginica"]);
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["a", "d"]);
    assert_eq!(rows[0][1], "setosa");
    let rejects = std::fs::read_to_string(dir.join("out.rejects.csv")).unwrap();
    assert!(rejects.contains("b,sepal_length,E0706"), "{rejects}");
    assert!(rejects.contains("c,sepal_width,E0713"), "{rejects}");

    // JSON lines in, JSON lines out; a misspelt field is refused (E0833), not treated as missing.
    std::fs::write(
        dir.join("rows.jsonl"),
        "{\"sepal_length\": 5.1, \"sepal_width\": 3.5, \"petal_length\": 1.4, \"petal_width\": 0.2}\n{\"sepal_lenght\": 5.1, \"sepal_width\": 3.5, \"petal_length\": 1.4, \"petal_width\": 0.2}\n",
    )
    .unwrap();
    let out = mlpc(&dir, &["predict", "iris.mlp", "rows.jsonl", "--format", "jsonl", "--on-error", "skip"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first: Value = serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(first["class"], "setosa");
    assert_eq!(first["line"], "1");
    assert_eq!(text(&out.stdout).lines().count(), 1);
    assert!(text(&out.stderr).contains("E0833"), "{}", text(&out.stderr));

    // A device is written in place, never renamed over (as root that would replace /dev/null).
    let null = Path::new("/dev/null");
    if null.exists() {
        let out = mlpc(&dir, &["predict", "iris.mlp", "rows.csv", "--on-error", "skip", "-o", "/dev/null"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(null).unwrap().file_type().is_char_device(), "/dev/null is still a device");
    }

    // Parquet: one file with the id, class and probability columns; it needs `-o`.
    let out = mlpc(
        &dir,
        &["predict", "iris.mlp", "rows.csv", "--on-error", "skip", "--format", "parquet", "-o", "out.parquet"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(dir.join("out.parquet")).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"), "a Parquet file");
    assert!(bytes.windows(b"p_versicolor".len()).any(|w| w == b"p_versicolor"));
    let out = mlpc(&dir, &["predict", "iris.mlp", "rows.csv", "--format", "parquet"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    // The bundle target wrote a copy next to the spec; a changed file is refused (E0831).
    let bundle = dir.join("bundle");
    let good = std::fs::read_to_string(dir.join("rows.jsonl")).unwrap();
    std::fs::write(dir.join("good.jsonl"), good.lines().next().unwrap()).unwrap();
    // A bundle needs none of the training data.
    std::fs::rename(dir.join("data"), dir.join("moved-away")).unwrap();
    let out = mlpc(&dir, &["predict", "bundle", "good.jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = bundle.join("preprocessing.json");
    let changed = std::fs::read_to_string(&path).unwrap().replacen("\"mean\"", "\"mean\" ", 1);
    std::fs::write(&path, changed).unwrap();
    let out = mlpc(&dir, &["predict", "bundle", "good.jsonl"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("E0831"), "{}", text(&out.stderr));

    // Not a bundle (E0830); a spec never run (E0835); an output that cannot be written (E0836).
    let out = mlpc(&dir, &["predict", "moved-away", "rows.csv"]);
    assert!(text(&out.stderr).contains("E0830"), "{}", text(&out.stderr));
    let fresh = project("never-run");
    copy_dir(&root().join("examples/iris"), &fresh);
    let out = mlpc(&fresh, &["predict", "iris.mlp", &dir.join("rows.csv").display().to_string()]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("E0835"), "{}", text(&out.stderr));
    std::fs::rename(dir.join("moved-away"), dir.join("data")).unwrap();
    let out = mlpc(&dir, &["predict", "iris.mlp", "rows.jsonl", "-o", "no/such/dir/out.csv"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("E0836"), "{}", text(&out.stderr));
}

/// The batch's outputs, by file name (batch.json, whose times differ, left out).
fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "batch.json")
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn a_batch_killed_midway_resumes_to_the_same_outputs() {
    let dir = iris("iris-batch");
    let spec = std::fs::read_to_string(dir.join("iris.mlp")).unwrap()
        + "\ndeploy daily = batch(mlp) {\n  input = csv(\"incoming/*.csv\")\n  output = \"predicted/\"\n}\n";
    std::fs::write(dir.join("iris.mlp"), spec).unwrap();
    run(&dir, "iris.mlp");
    let data = std::fs::read_to_string(dir.join("data/iris.csv")).unwrap();
    let lines: Vec<&str> = data.lines().collect();
    std::fs::create_dir_all(dir.join("incoming")).unwrap();
    for f in 0..6 {
        let mut body = String::from(lines[0]);
        body.push('\n');
        for r in 0..40_000 {
            body.push_str(lines[1 + (r * 7 + f) % (lines.len() - 1)]);
            body.push('\n');
        }
        if f == 2 {
            body.push_str("oops,3.0,4.0,1.0,setosa\n");
        }
        std::fs::write(dir.join(format!("incoming/day-{f}.csv")), body).unwrap();
    }
    // A reference batch, undisturbed, into another folder.
    let reference = dir.join("reference.mlp");
    std::fs::write(&reference, std::fs::read_to_string(dir.join("iris.mlp")).unwrap().replace("predicted/", "clean/"))
        .unwrap();
    run(&dir, "reference.mlp");
    let clean = outputs(&dir.join("clean"));
    assert_eq!(clean.len(), 7, "six outputs and one rejects file: {:?}", clean.keys());
    assert!(String::from_utf8_lossy(&clean["day-2.rejects.csv"]).contains("E0706"));

    // The same batch through `mlpc deploy`, killed as soon as its first output is complete.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["deploy", "iris.mlp", "daily"])
        .current_dir(&dir)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let manifest = dir.join("predicted/batch.json");
    let started = std::time::Instant::now();
    while !manifest.exists() && started.elapsed().as_secs() < 120 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    let done: Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let finished = done["files"].as_object().unwrap().len();
    assert!(finished >= 1, "{done}");
    // Every output under its final name is complete: no partial file ever has one.
    for (name, bytes) in outputs(&dir.join("predicted")) {
        if !name.starts_with('.') {
            assert_eq!(clean.get(&name), Some(&bytes), "{name} differs from the undisturbed batch");
        }
    }

    // The rerun skips what was done and completes the rest, identically.
    let out = mlpc(&dir, &["deploy", "iris.mlp", "daily", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped = report["deployed"][0]["skipped"].as_array().unwrap().len();
    assert_eq!(skipped, finished.min(6), "{report}");
    let resumed: BTreeMap<String, Vec<u8>> =
        outputs(&dir.join("predicted")).into_iter().filter(|(n, _)| !n.starts_with('.')).collect();
    assert_eq!(resumed, clean);
    let leftovers: Vec<String> = outputs(&dir.join("predicted")).into_keys().filter(|n| n.starts_with('.')).collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");

    // A third run has nothing left to do.
    let out = mlpc(&dir, &["deploy", "iris.mlp", "daily", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["deployed"][0]["skipped"].as_array().unwrap().len(), 6);
}
