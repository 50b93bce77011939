//! End-to-end tests of device and precision selection on this CPU-only build: `--device`
//! overriding the spec, a GPU request failing with E0810 before any work, mixed precision
//! (bf16, and f16 with loss scaling) training to the f32 result's quality, and the throughput
//! and per-epoch times a run records for benchmarks.

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

/// A fresh directory holding `spec.mlp`: iris with an MLP, with `{device}` and `{precision}`
/// filled in.
fn project(name: &str, device: &str, precision: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-devices-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let spec = format!(
        r#"
pipeline flowers {{
  seed = 3
  device = {device}
}}
source iris = csv("{data}/iris.csv") {{ label = species }}
dataset m = iris {{
  split = stratified(train: 0.6, val: 0.2, test: 0.2)
}}
objective maximize accuracy
model net = mlp(hidden: [16], activation: tanh) {{
  optimizer = adam(lr: 1e-2)
  epochs = 40
  batch = 16
  precision = {precision}
}}
"#,
        data = root().join("tests/data").display()
    );
    std::fs::write(dir.join("spec.mlp"), spec).expect("spec written");
    dir
}

fn run(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["run", "spec.mlp", "--json", "--runs-dir", "runs"];
    args.extend_from_slice(extra);
    let out = mlpc(&args, dir);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().expect("exit status"), json, text(&out.stderr))
}

#[cfg(not(feature = "cuda"))]
#[test]
fn a_gpu_request_on_a_cpu_build_fails_before_any_work_and_the_command_line_overrides_it() {
    let dir = project("cuda", "cuda", "f32");
    let (code, json, stderr) = run(&dir, &[]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("E0810") && stderr.contains("built without CUDA support"), "{stderr}");
    assert_eq!(json["error"]["code"], "E0810", "{json}");
    // No run directory: only the history (`--runs-dir` keeps it in `runs/.mlp/`) may be there.
    let run_dirs: Vec<_> = std::fs::read_dir(dir.join("runs"))
        .map(|entries| entries.flatten().map(|e| e.file_name()).filter(|name| name != ".mlp").collect())
        .unwrap_or_default();
    assert!(run_dirs.is_empty(), "{run_dirs:?}");

    let (code, json, stderr) = run(&dir, &["--device", "cpu"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["models"]["net"]["training"]["device"], "cpu", "{json}");

    let dir = project("auto", "auto", "f32");
    let (code, _, stderr) = run(&dir, &["--device", "cuda:1"]);
    assert_eq!(code, 4);
    assert!(stderr.contains("cuda:1"), "{stderr}");
}

#[test]
fn an_unknown_device_on_the_command_line_is_a_usage_error() {
    let dir = project("usage", "auto", "f32");
    let out = mlpc(&["run", "spec.mlp", "--device", "tpu"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`tpu` is not a device"), "{}", text(&out.stderr));
}

#[test]
fn reduced_precision_trains_as_well_as_f32_and_is_recorded() {
    let mut accuracy = Vec::new();
    for precision in ["f32", "bf16", "f16"] {
        let dir = project(&format!("precision-{precision}"), "cpu", precision);
        let (code, json, stderr) = run(&dir, &[]);
        assert_eq!(code, 0, "{precision}: {stderr}");
        let training = &json["models"]["net"]["training"];
        assert_eq!(training["precision"], precision, "{json}");
        accuracy.push(json["models"]["net"]["metrics"]["test"]["accuracy"].as_f64().expect("test accuracy"));

        // The run record holds the throughput, and the history the time after each epoch.
        let run_dir = dir.join(json["artifacts"]["dir"].as_str().unwrap());
        let record: Value = serde_json::from_slice(&std::fs::read(run_dir.join("run.json")).unwrap()).unwrap();
        assert!(record["timings"]["samples_per_second"]["net"].as_f64().unwrap() > 0.0, "{record}");
        let history: Value =
            serde_json::from_slice(&std::fs::read(run_dir.join("models/net.history.json")).unwrap()).unwrap();
        let seconds: Vec<f64> = history.as_array().unwrap().iter().map(|e| e["seconds"].as_f64().unwrap()).collect();
        assert!(seconds.windows(2).all(|w| w[0] <= w[1]), "cumulative: {seconds:?}");
    }
    for (precision, a) in ["bf16", "f16"].iter().zip(&accuracy[1..]) {
        assert!(*a >= accuracy[0] - 0.07, "{precision} test accuracy {a} vs f32 {}", accuracy[0]);
    }
}
