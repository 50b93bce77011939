//! Run records: each run's artifacts under `runs/<run-id>/` and one row per run in the history
//! database `.mlp/runs.db` (SQLite). A run writes into `runs/.<run-id>.partial/` and is renamed
//! into place only when it completes, so a failed run never looks like a finished one and never
//! touches an earlier run's directory.

use crate::error::{RunError, RunResult};
use mlp_compiler::codes::Code;
use rusqlite::{Connection, params};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where runs and their history live.
pub struct RunStore {
    pub runs_dir: PathBuf,
    db: Connection,
}

/// A run in progress: its id and the directory it writes into.
#[derive(Clone, Debug)]
pub struct RunDir {
    pub id: String,
    pub partial: PathBuf,
    pub final_dir: PathBuf,
    pub started: String,
}

/// One row of the run history.
#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub id: String,
    pub pipeline: String,
    pub spec: String,
    pub started: String,
    pub seconds: f64,
    /// `passed`, `gate_failed` or `failed`.
    pub status: String,
    pub objective_metric: Option<String>,
    pub direction: Option<String>,
    pub best_model: Option<String>,
    pub objective_value: Option<f64>,
    /// The error code of a failed run.
    pub error: Option<String>,
    pub dir: Option<String>,
}

fn io_error(what: &str, path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::new(Code::E0804, format!("cannot {what} `{}`: {e}", path.display()))
        .with_help("check that the directory is writable and the disk has space")
}

impl RunStore {
    /// Opens (creating when needed) `runs_dir` and the history database at `db_path`.
    pub fn open(runs_dir: &Path, db_path: &Path) -> RunResult<RunStore> {
        std::fs::create_dir_all(runs_dir).map_err(|e| io_error("create the runs directory", runs_dir, e))?;
        if let Some(parent) = db_path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error("create the directory", parent, e))?;
        }
        let db = Connection::open(db_path).map_err(|e| io_error("open the run history", db_path, e))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS runs (
                id TEXT PRIMARY KEY,
                pipeline TEXT NOT NULL,
                spec TEXT NOT NULL,
                started TEXT NOT NULL,
                seconds REAL NOT NULL,
                status TEXT NOT NULL,
                objective_metric TEXT,
                direction TEXT,
                best_model TEXT,
                objective_value REAL,
                error TEXT,
                dir TEXT
            );",
        )
        .map_err(|e| io_error("prepare the run history", db_path, e))?;
        Ok(RunStore { runs_dir: runs_dir.to_path_buf(), db })
    }

    /// Starts a run: a fresh id and its partial directory.
    pub fn begin(&self, pipeline: &str) -> RunResult<RunDir> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let started = utc_timestamp(now.as_secs());
        let stamp: String = started.chars().filter(char::is_ascii_digit).collect();
        let salt = blake3::hash(format!("{pipeline}{}{}", now.as_nanos(), std::process::id()).as_bytes());
        let id = format!("{}-{}-{}", &stamp[..8], &stamp[8..14], &salt.to_hex()[..6]);
        let partial = self.runs_dir.join(format!(".{id}.partial"));
        let final_dir = self.runs_dir.join(&id);
        std::fs::create_dir_all(&partial).map_err(|e| io_error("create the run directory", &partial, e))?;
        Ok(RunDir { id, partial, final_dir, started })
    }

    /// Moves a completed run into place and records it.
    pub fn complete(&self, run: &RunDir, row: &RunRow) -> RunResult<()> {
        std::fs::rename(&run.partial, &run.final_dir)
            .map_err(|e| io_error("finish the run directory", &run.final_dir, e))?;
        self.insert(row)
    }

    /// Records a failed run and removes its partial directory.
    pub fn fail(&self, run: &RunDir, row: &RunRow) -> RunResult<()> {
        let _ = std::fs::remove_dir_all(&run.partial);
        self.insert(row)
    }

    fn insert(&self, row: &RunRow) -> RunResult<()> {
        self.db
            .execute(
                "INSERT INTO runs (id, pipeline, spec, started, seconds, status, objective_metric, direction,
                                   best_model, objective_value, error, dir)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    row.id,
                    row.pipeline,
                    row.spec,
                    row.started,
                    row.seconds,
                    row.status,
                    row.objective_metric,
                    row.direction,
                    row.best_model,
                    row.objective_value,
                    row.error,
                    row.dir
                ],
            )
            .map_err(|e| RunError::new(Code::E0804, format!("cannot record the run: {e}")))?;
        Ok(())
    }

    /// Every recorded run, newest first.
    pub fn list(&self) -> RunResult<Vec<RunRow>> {
        let failed = |e: rusqlite::Error| RunError::new(Code::E0804, format!("cannot read the run history: {e}"));
        let mut statement = self
            .db
            .prepare(
                "SELECT id, pipeline, spec, started, seconds, status, objective_metric, direction, best_model,
                        objective_value, error, dir FROM runs ORDER BY started DESC, id DESC",
            )
            .map_err(failed)?;
        let rows = statement
            .query_map([], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    pipeline: r.get(1)?,
                    spec: r.get(2)?,
                    started: r.get(3)?,
                    seconds: r.get(4)?,
                    status: r.get(5)?,
                    objective_metric: r.get(6)?,
                    direction: r.get(7)?,
                    best_model: r.get(8)?,
                    objective_value: r.get(9)?,
                    error: r.get(10)?,
                    dir: r.get(11)?,
                })
            })
            .map_err(failed)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(failed)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (proleptic Gregorian, UTC).
pub fn utc_timestamp(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_civil_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(1_795_689_296), "2026-11-26T10:34:56Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn runs_are_recorded_and_failures_leave_no_directory() {
        let dir = std::env::temp_dir().join(format!("mlpc-store-{}", std::process::id()));
        let store = RunStore::open(&dir.join("runs"), &dir.join(".mlp/runs.db")).unwrap();
        let run = store.begin("p").unwrap();
        assert!(run.partial.is_dir());
        let row = |status: &str, id: &str| RunRow {
            id: id.into(),
            pipeline: "p".into(),
            spec: "p.mlp".into(),
            started: "2026-11-26T00:00:00Z".into(),
            seconds: 1.0,
            status: status.into(),
            objective_metric: None,
            direction: None,
            best_model: None,
            objective_value: None,
            error: None,
            dir: None,
        };
        store.fail(&run, &row("failed", &run.id)).unwrap();
        assert!(!run.partial.exists() && !run.final_dir.exists());
        let ok = store.begin("p").unwrap();
        store.complete(&ok, &row("passed", &ok.id)).unwrap();
        assert!(ok.final_dir.is_dir());
        let statuses: Vec<String> = store.list().unwrap().into_iter().map(|r| r.status).collect();
        assert_eq!(statuses.len(), 2);
        assert!(statuses.contains(&"failed".to_string()) && statuses.contains(&"passed".to_string()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
