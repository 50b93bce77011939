//! Run records under faults, end to end through the `mlpc` binary: runs killed at many moments
//! (the history then lists each as interrupted or completed, never `running`, and `runs/` holds
//! no partial directory), a damaged or locked history and `mlpc runs --repair`, `--runs-dir`
//! moving the history, and readers that close the output early (a broken pipe ends quietly).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mlpc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlpc")).args(args).current_dir(cwd).output().expect("mlpc runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small pipeline over tests/data/iris.csv that trains for a moment.
const SPEC: &str = r#"
pipeline flowers { seed = 3 }
source iris = csv("{data}/iris.csv") { label = species }
dataset m = iris {
  split = stratified(train: 0.6, val: 0.2, test: 0.2)
  normalize = zscore
}
objective maximize accuracy
baseline majority = majority_class()
model net = mlp(hidden: [16], activation: tanh) {
  optimizer = adam(lr: 1e-2)
  epochs = 300
  batch = 16
}
gate release {
  net.accuracy on test >= 0.5
}
"#;

/// A fresh directory holding `spec.mlp`.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-records-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let data = root().join("tests/data");
    std::fs::write(dir.join("spec.mlp"), SPEC.replace("{data}", &data.display().to_string())).expect("spec");
    dir
}

fn runs_json(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["runs", "spec.mlp", "--json"];
    args.extend(extra);
    let out = mlpc(&args, dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    json["runs"].as_array().expect("runs").clone()
}

fn integrity(db: &Path) -> String {
    let db = rusqlite::Connection::open(db).expect("history opens");
    db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity check")
}

/// Entries of `runs/` that are not complete run directories (a partial directory, a run
/// directory without its run.json).
fn half_written(runs: &Path) -> Vec<String> {
    std::fs::read_dir(runs)
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name != ".mlp" && (name.starts_with('.') || !e.path().join("run.json").is_file())
                })
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// SIGKILL at many moments of a run (compiling, loading, training, writing, renaming), then
/// `mlpc runs`: every run that started is listed as interrupted or completed, none as running,
/// every directory in runs/ is complete and has its row, and the database is intact.
#[test]
fn killed_runs_are_interrupted_or_completed_never_missing() {
    let dir = project("kill");
    let delays_ms = [0u64, 2, 5, 10, 20, 30, 45, 60, 80, 100, 130, 160, 200, 250, 320, 400, 500, 650];
    let mut seen = Vec::new();
    for (i, delay) in delays_ms.iter().enumerate() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mlpc"))
            .args(["run", "spec.mlp", "--seed", &i.to_string()])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mlpc starts");
        std::thread::sleep(std::time::Duration::from_millis(*delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let rows = runs_json(&dir, &[]);
        for row in &rows {
            let status = row["status"].as_str().unwrap_or("");
            assert!(
                ["interrupted", "passed", "gate_failed"].contains(&status),
                "after a kill at {delay} ms: run {} is `{status}`",
                row["id"]
            );
            if status != "interrupted" {
                let run_dir = dir.join("runs").join(row["id"].as_str().unwrap());
                assert!(run_dir.join("run.json").is_file(), "{} is {status} but has no run.json", row["id"]);
            }
        }
        let half = half_written(&dir.join("runs"));
        assert!(half.is_empty(), "after a kill at {delay} ms, runs/ holds {half:?}");
        // Never missing: every run directory has its row.
        for entry in std::fs::read_dir(dir.join("runs")).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                assert!(rows.iter().any(|r| r["id"] == name.as_str()), "run directory {name} has no row");
            }
        }
        if dir.join(".mlp/runs.db").exists() {
            assert_eq!(integrity(&dir.join(".mlp/runs.db")), "ok");
        }
        seen.extend(rows.iter().map(|r| (r["id"].to_string(), r["status"].to_string())));
    }
    let statuses: std::collections::BTreeMap<String, String> = seen.into_iter().collect();
    eprintln!("statuses of the killed runs: {:?}", statuses.values().collect::<Vec<_>>());
    // A run after all that still records normally.
    let out = mlpc(&["run", "spec.mlp"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = runs_json(&dir, &[]);
    assert_eq!(rows[0]["status"], "passed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_history_says_repair_and_repair_rebuilds_it() {
    let dir = project("damaged");
    let out = mlpc(&["run", "spec.mlp"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let db = dir.join(".mlp/runs.db");
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&db, &bytes[..100]).unwrap(); // truncated
    let out = mlpc(&["run", "spec.mlp"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("E0813") && stderr.contains("runs.db"), "{stderr}");
    assert!(stderr.contains("mlpc runs --repair"), "{stderr}");
    assert!(!stderr.contains("recorded as failed"), "nothing was recorded: {stderr}");
    assert_eq!(std::fs::read_dir(dir.join("runs")).unwrap().count(), 1, "the run did not start");
    let out = mlpc(&["runs", "spec.mlp"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("E0813"), "{}", text(&out.stderr));

    let out = mlpc(&["runs", "spec.mlp", "--repair"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("runs.db.corrupt-") && stderr.contains("added 1 run"), "{stderr}");
    let aside: Vec<_> = std::fs::read_dir(dir.join(".mlp"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("runs.db.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept aside");
    let rows = runs_json(&dir, &[]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "passed");
    assert_eq!(rows[0]["pipeline"], "flowers");
    assert_eq!(integrity(&db), "ok");
    let out = mlpc(&["run", "spec.mlp"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(runs_json(&dir, &[]).len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A history that another process holds locked: the run stops before any work, says so truly,
/// and writes nothing.
#[test]
fn a_locked_history_stops_the_run_before_any_work() {
    let dir = project("locked");
    assert_eq!(mlpc(&["run", "spec.mlp"], &dir).status.code(), Some(0));
    let holder = rusqlite::Connection::open(dir.join(".mlp/runs.db")).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let out = mlpc(&["run", "spec.mlp"], &dir);
    holder.execute_batch("ROLLBACK").unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("E0812") && stderr.contains("locked"), "{stderr}");
    assert!(!stderr.contains("run ") || !stderr.contains("recorded"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.join("runs")).unwrap().count(), 1);
    assert_eq!(runs_json(&dir, &[]).len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether this process can write a file whose permissions say it cannot (root can), in which
/// case read-only cases cannot be staged.
fn permissions_are_enforced(dir: &Path) -> bool {
    let probe = dir.join("probe");
    std::fs::write(&probe, "").unwrap();
    set_mode(&probe, 0o444);
    let enforced = std::fs::OpenOptions::new().write(true).open(&probe).is_err();
    set_mode(&probe, 0o644);
    let _ = std::fs::remove_file(&probe);
    enforced
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

#[test]
fn a_read_only_history_stops_the_run_before_any_work() {
    let dir = project("read-only");
    assert_eq!(mlpc(&["run", "spec.mlp"], &dir).status.code(), Some(0));
    if !permissions_are_enforced(&dir) {
        eprintln!("skipped: this user writes read-only files (root), so a read-only history cannot be staged");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    set_mode(&dir.join(".mlp/runs.db"), 0o444);
    let out = mlpc(&["run", "spec.mlp"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("E0812") && stderr.contains("--runs-dir"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.join("runs")).unwrap().count(), 1, "the run did not start: {stderr}");
    // Still listed, as it was left.
    assert_eq!(runs_json(&dir, &[]).len(), 1);
    set_mode(&dir.join(".mlp/runs.db"), 0o644);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--runs-dir` moves the history too: nothing is written next to the spec (which may be in a
/// read-only directory), and `mlpc runs --runs-dir` reads it back.
#[test]
fn runs_dir_moves_the_history_so_a_read_only_spec_directory_can_run() {
    let dir = project("elsewhere");
    let runs = dir.with_extension("runs");
    let _ = std::fs::remove_dir_all(&runs);
    let read_only = permissions_are_enforced(&dir);
    if read_only {
        set_mode(&dir, 0o555);
    }
    let out = mlpc(&["run", "spec.mlp", "--runs-dir", runs.to_str().unwrap()], &dir);
    if read_only {
        set_mode(&dir, 0o755);
    }
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!dir.join(".mlp").exists() && !dir.join("runs").exists(), "nothing next to the spec");
    assert!(runs.join(".mlp/runs.db").is_file());
    let rows = runs_json(&dir, &["--runs-dir", runs.to_str().unwrap()]);
    assert_eq!(rows.len(), 1);
    assert!(runs.join(rows[0]["id"].as_str().unwrap()).join("run.json").is_file());
    assert_eq!(integrity(&runs.join(".mlp/runs.db")), "ok");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&runs);
}

/// A pipe nobody reads: the write end of a pipe whose reader has exited, so every write to it
/// fails with a broken pipe (EPIPE), whatever the timing.
fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().expect("`true` runs");
    let writer = reader.stdin.take().expect("its stdin");
    reader.wait().expect("`true` ends");
    Stdio::from(writer)
}

/// Runs mlpc with stdout on a closed pipe: its exit status and stderr.
fn with_closed_stdout(args: &[&str], cwd: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(args)
        .current_dir(cwd)
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .expect("mlpc runs");
    (out.status.code(), text(&out.stderr))
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_commands_status() {
    let dir = project("pipes");
    let spec = "spec.mlp";
    let iris = root().join("examples/iris/iris.mlp");
    let iris = iris.to_str().unwrap();
    for (args, status) in [
        (vec!["graph", spec], 0),
        (vec!["graph", spec, "--format", "json"], 0),
        (vec!["check", "--format", "json", iris], 0),
        (vec!["explain", "E0102"], 0),
        (vec!["stdlib-docs"], 0),
        (vec!["fmt", "--check", spec], 1),
    ] {
        let (code, stderr) = with_closed_stdout(&args, &dir);
        let shown = args.join(" ");
        assert_eq!(code, Some(status), "mlpc {shown}: {stderr}");
        let stderr = if shown.starts_with("fmt") { String::new() } else { stderr };
        assert!(stderr.is_empty(), "mlpc {shown} wrote on stderr: {stderr}");
    }
    // The run is recorded in full before its output can fail.
    let (code, stderr) = with_closed_stdout(&["run", spec, "--json"], &dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    let (code, stderr) = with_closed_stdout(&["run", spec], &dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let (code, stderr) = with_closed_stdout(&["runs", spec], &dir);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    let rows = runs_json(&dir, &[]);
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["status"], "passed");
        assert!(dir.join("runs").join(row["id"].as_str().unwrap()).join("run.json").is_file());
    }
    // A spec with errors keeps its status 1 with both outputs closed.
    std::fs::write(dir.join("bad.mlp"), "pipeline p { seed = \"x\" }\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["check", "--format", "json", "bad.mlp"])
        .current_dir(&dir)
        .stdout(closed_pipe())
        .stderr(closed_pipe())
        .status()
        .expect("mlpc runs");
    assert_eq!(out.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}
