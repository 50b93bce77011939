//! `mlpc monitor` against the real binary, on the breast_cancer example copied into a scratch
//! directory and trained once: the example's unshifted rows pass (exit 0) and its recalibrated copy
//! fires the drift conditions (exit 3) in the table, `--json` and `--html`; labelled rows are
//! predicted and scored once the window is full; a bundle directory and `--reference FILE` compare
//! without conditions; bad input gets a coded error and its exit status.

use serde_json::Value;
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

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        let name = entry.file_name();
        if entry.file_type().unwrap().is_dir() {
            if name != "runs" && name != ".mlp" && name != "predictions" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The example, with its monitor made small enough for 150 labelled rows to be judged.
fn trained() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-monitor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("examples/breast_cancer"), &dir);
    let spec = std::fs::read_to_string(dir.join("breast_cancer.mlp")).unwrap();
    let spec = spec.replace("over 500 labelled", "over 100 labelled");
    assert!(spec.contains("over 100 labelled"));
    std::fs::write(dir.join("breast_cancer.mlp"), spec).unwrap();
    let out = mlpc(&dir, &["run", "breast_cancer.mlp"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)))
}

fn condition<'a>(report: &'a Value, starts: &str) -> &'a Value {
    report["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["condition"].as_str().unwrap().starts_with(starts))
        .unwrap()
}

#[test]
fn the_example_catches_its_recalibrated_rows() {
    let dir = trained();

    // Unshifted rows: nothing fires, exit 0.
    let out = mlpc(&dir, &["monitor", "breast_cancer.mlp", "--current", "monitoring/recent.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", text(&out.stdout), text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("no dataset drift") && table.contains("drift psi > 0.2 -> warn"), "{table}");

    let out = mlpc(&dir, &["monitor", "breast_cancer.mlp", "--current", "monitoring/recent.csv", "--json"]);
    let calm = json(&out);
    assert_eq!(calm["rows"], 150);
    assert_eq!(calm["drift"], false);
    assert_eq!(calm["fired"], false);
    assert_eq!(calm["columns"].as_array().unwrap().len(), 30);
    // The labelled rows are predicted by the bundle and scored: a good model on its own data.
    let accuracy = condition(&calm, "accuracy");
    assert_eq!(accuracy["rows"], 100, "{accuracy}");
    assert!(accuracy["value"].as_f64().unwrap() > 0.9, "{accuracy}");

    // The recalibrated copy: both drift conditions fire, exit 3, and the page shows it.
    let out = mlpc(
        &dir,
        &["monitor", "breast_cancer.mlp", "--current", "monitoring/recalibrated.csv", "--json", "--html", "drift.html"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let drifted = json(&out);
    assert_eq!(drifted["drift"], true);
    assert_eq!(condition(&drifted, "drift psi")["fired"], true);
    let ks = condition(&drifted, "drift ks(mean_radius)");
    assert_eq!(ks["fired"], true, "{ks}");
    assert_eq!(ks["column"], "mean_radius");
    for column in drifted["columns"].as_array().unwrap() {
        let name = column["column"].as_str().unwrap();
        let rescaled = name.starts_with("mean_") || name.starts_with("worst_");
        // Every rescaled feature moved; the untouched ones did not.
        assert_eq!(column["drifted"], rescaled, "{column}");
        assert_eq!(column["method"], "ks");
    }
    let page = std::fs::read_to_string(dir.join("drift.html")).unwrap();
    assert!(page.starts_with("<!doctype html>") && page.contains("dataset drift") && page.contains("<svg"));
    assert!(page.contains("drift ks(mean_radius) &gt; 0.3 -&gt; alert"), "conditions are escaped");

    // A bundle directory: no conditions, the dataset's verdict decides.
    let bundle = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("bundles/mlp"))
        .find(|p| p.is_dir())
        .unwrap();
    let out = mlpc(&dir, &["monitor", bundle.to_str().unwrap(), "--current", "monitoring/recalibrated.csv"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let out = mlpc(&dir, &["monitor", bundle.to_str().unwrap(), "--current", "monitoring/recent.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Two data files, no model: the same verdicts from a reference built from the training data.
    let out = mlpc(
        &dir,
        &["monitor", "--reference", "data/breast_cancer.csv", "--current", "monitoring/recalibrated.csv", "--json"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let files = json(&out);
    assert_eq!(files["reference_rows"], 569);
    assert!(
        files["absent"].as_array().unwrap().iter().any(|c| c == "diagnosis")
            || files["columns"].as_array().unwrap().len() == 31
    );

    // Bad input: a missing file is a usage error, a file without the columns a data error.
    let out = mlpc(&dir, &["monitor", "breast_cancer.mlp", "--current", "monitoring/nope.csv"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    std::fs::write(dir.join("other.csv"), "a,b\n1,2\n").unwrap();
    let out = mlpc(&dir, &["monitor", "breast_cancer.mlp", "--current", "other.csv"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("E0708") && text(&out.stderr).contains("none of the columns"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
