//! Golden tests of run-time failures: every folder under tests/run_failures/ is a case named
//! `<code>_<what>/` holding `spec.mlp` (which passes `mlpc check`) and the malformed data it reads.
//! `mlpc run` must exit with status 4, name the code, point at the file and line, never panic,
//! record the run as failed (or, when the history itself is the failure, record nothing) and
//! leave no run directory behind; its stderr is snapshotted.
//!
//! A case about the run history sets it up: `history.db` is copied to where the run's history
//! lives (`<runs>/.mlp/runs.db`), and `history.locked` makes the test hold the history locked
//! (`BEGIN EXCLUSIVE`) while the run starts.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root().join("tests/run_failures"))
        .expect("tests/run_failures exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn machine_independent(text: &str, scratch: &Path) -> String {
    let root = root().display().to_string();
    let text = text.replace(&scratch.display().to_string(), "[RUNS]").replace(&root, "[ROOT]");
    // The run id holds the date and time.
    text.lines()
        .map(|l| match l.strip_prefix("run ").and_then(|rest| rest.split_once(" failed")) {
            Some((_, tail)) => format!("run [RUN-ID] failed{tail}"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The statuses in a run history (none when there is no history), after `PRAGMA integrity_check`.
fn recorded_statuses(history: &Path) -> Result<Vec<String>, String> {
    if !history.exists() {
        return Ok(Vec::new());
    }
    let db = rusqlite::Connection::open(history).map_err(|e| e.to_string())?;
    let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    if check != "ok" {
        return Err(format!("integrity check: {check}"));
    }
    let mut statement = db.prepare("SELECT status FROM runs").map_err(|e| e.to_string())?;
    let rows = statement.query_map([], |r| r.get(0)).map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<String>, _>>().map_err(|e| e.to_string())
}

#[test]
fn every_run_failure_gives_its_code_and_exit_4() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 10, "only {} cases in tests/run_failures", cases.len());
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.split('_').next().unwrap().to_ascii_uppercase();
        let scratch = std::env::temp_dir().join(format!("mlpc-failure-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let spec = case.join("spec.mlp");
        let check = Command::new(env!("CARGO_BIN_EXE_mlpc")).args(["check", spec.to_str().unwrap()]).output().unwrap();
        if check.status.code() != Some(0) {
            failures
                .push(format!("{name}: the spec must pass `mlpc check`: {}", String::from_utf8_lossy(&check.stderr)));
            continue;
        }
        let history = scratch.join("runs/.mlp/runs.db");
        std::fs::create_dir_all(history.parent().unwrap()).unwrap();
        if case.join("history.db").exists() {
            std::fs::copy(case.join("history.db"), &history).unwrap();
        }
        let holder = case.join("history.locked").exists().then(|| {
            let db = rusqlite::Connection::open(&history).unwrap();
            db.execute_batch("CREATE TABLE IF NOT EXISTS held (x); BEGIN EXCLUSIVE;").unwrap();
            db
        });
        let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
            .args(["run", spec.to_str().unwrap(), "--runs-dir", scratch.join("runs").to_str().unwrap()])
            .current_dir(root())
            .output()
            .unwrap();
        drop(holder);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.code() != Some(4) {
            failures.push(format!("{name}: exit status {:?}, expected 4\n{stderr}", out.status.code()));
        }
        if !stderr.lines().any(|l| l.trim() == code) {
            failures.push(format!("{name}: code {code} does not appear in:\n{stderr}"));
        }
        if stderr.contains("panicked") {
            failures.push(format!("{name}: mlpc panicked"));
        }
        // The history (`.mlp/`) stays; nothing else may.
        let leftovers: Vec<_> = std::fs::read_dir(scratch.join("runs"))
            .map(|d| d.flatten().filter(|e| e.file_name() != ".mlp").collect())
            .unwrap_or_default();
        let history_case = case.join("history.db").exists() || case.join("history.locked").exists();
        if !history_case {
            match recorded_statuses(&history) {
                Ok(statuses) if statuses == ["failed"] || statuses.is_empty() => {}
                Ok(statuses) => failures.push(format!("{name}: the history holds {statuses:?}, not one failed run")),
                Err(e) => failures.push(format!("{name}: the history cannot be read: {e}")),
            }
        }
        if !leftovers.is_empty() {
            failures.push(format!("{name}: a failed run left {} entries in runs/", leftovers.len()));
        }
        let text = format!("--- {name} ---\n{}", machine_independent(&stderr, &scratch));
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(name.clone());
        settings.set_omit_expression(true);
        settings.set_prepend_module_to_snapshot(false);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!("run_failure", text));
        }));
        if result.is_err() {
            failures.push(format!("{name}: snapshot differs"));
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
    assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
}
