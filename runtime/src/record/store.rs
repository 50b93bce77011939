//! Run records: each run's artifacts under `runs/<run-id>/` and one row per run in the history
//! database (`.mlp/runs.db`, SQLite; `DIR/.mlp/runs.db` when the runs live in `--runs-dir DIR`).
//!
//! The recording protocol (docs/running.md, "Run records: the recording protocol"):
//!
//! 1. [`RunStore::open`] checks that the history can be written (a write transaction is begun
//!    and rolled back) before any work, and reconciles runs whose process is gone.
//! 2. [`RunStore::begin`] takes an advisory lock on `.mlp/locks/<run-id>.lock` (held until the
//!    process ends), inserts a `running` row, then creates `runs/.<run-id>.partial/`.
//! 3. A run that completes is fsynced (every file, the partial directory), renamed into
//!    `runs/<run-id>/` and the runs directory fsynced ([`RunStore::commit`]); then its row gets
//!    its real status ([`RunStore::finish`]). A run that fails loses its partial directory and
//!    its row becomes `failed` ([`RunStore::fail`]).
//! 4. A `running` row whose lock nobody holds belongs to a dead process. [`RunStore::reconcile`]
//!    (run by every command that opens the store) marks it with the status of its
//!    `runs/<run-id>/run.json` when the rename happened, and `interrupted` otherwise, removing
//!    the partial directory. A live run's files are never touched.

use crate::error::{RunError, RunResult};
use mlp_compiler::codes::Code;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use serde::Serialize;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a command waits for another process's write to the history before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Where runs and their history live.
pub struct RunStore {
    pub runs_dir: PathBuf,
    pub db_path: PathBuf,
    locks_dir: PathBuf,
    db: Connection,
}

/// A run in progress: its id, the directory it writes into, and the lock that says it is alive.
#[derive(Debug)]
pub struct RunDir {
    pub id: String,
    pub partial: PathBuf,
    pub final_dir: PathBuf,
    pub started: String,
    lock: Option<(PathBuf, File)>,
}

/// One row of the run history.
#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub id: String,
    pub pipeline: String,
    pub spec: String,
    pub started: String,
    pub seconds: f64,
    /// `running`, `passed`, `gate_failed`, `failed` or `interrupted`.
    pub status: String,
    pub objective_metric: Option<String>,
    pub direction: Option<String>,
    pub best_model: Option<String>,
    pub objective_value: Option<f64>,
    /// The error code of a failed run.
    pub error: Option<String>,
    pub dir: Option<String>,
    /// The process that ran it and its host (so that a `running` row can be judged).
    pub pid: Option<i64>,
    pub host: Option<String>,
}

impl RunRow {
    /// A row with the run's identity and status and no outcome yet (no objective, error,
    /// directory or process).
    pub fn new(id: &str, pipeline: &str, spec: &str, started: &str, status: &str) -> RunRow {
        RunRow {
            id: id.to_string(),
            pipeline: pipeline.to_string(),
            spec: spec.to_string(),
            started: started.to_string(),
            seconds: 0.0,
            status: status.to_string(),
            objective_metric: None,
            direction: None,
            best_model: None,
            objective_value: None,
            error: None,
            dir: None,
            pid: None,
            host: None,
        }
    }
}

/// What reconciling did to one dead run.
#[derive(Clone, Debug, Serialize)]
pub struct Reconciled {
    pub id: String,
    /// The status it was given: its run.json's status, or `interrupted`.
    pub status: String,
}

/// What `mlpc runs --repair` did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Repair {
    /// Where the damaged history was moved, when it was damaged.
    pub moved_aside: Option<PathBuf>,
    /// Rows of failed and interrupted runs read back from the damaged history.
    pub salvaged: usize,
    /// Runs added from `runs/*/run.json`.
    pub added: usize,
    pub reconciled: Vec<Reconciled>,
}

fn io_error(what: &str, path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::new(Code::E0804, format!("cannot {what} `{}`: {e}", path.display()))
        .with_help("check that the directory is writable and the disk has space")
}

/// A failure of the history database, with the code that says what to do about it.
pub fn history_error(db_path: &Path, e: &rusqlite::Error) -> RunError {
    let path = db_path.display();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            RunError::new(Code::E0813, format!("the run history `{path}` is damaged: {e}"))
                .with_help("run `mlpc runs --repair` to move it aside and rebuild the history from runs/*/run.json")
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            RunError::new(Code::E0812, format!("the run history `{path}` is locked by another process"))
                .with_help(
                    "wait for the process that holds it (another `mlpc` or an `sqlite3` shell) to finish, \
                     or record elsewhere with `--runs-dir DIR`",
                )
        }
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
            RunError::new(Code::E0812, format!("the run history `{path}` cannot be written: {e}"))
                .with_help("make it and its directory writable, or record elsewhere with `--runs-dir DIR` (the history moves with the runs)")
        }
        _ => RunError::new(Code::E0804, format!("cannot use the run history `{path}`: {e}"))
            .with_help("check that the directory is writable and the disk has space"),
    }
}

const COLUMNS: &str = "id, pipeline, spec, started, seconds, status, objective_metric, direction, best_model, \
                       objective_value, error, dir, pid, host";

fn row_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
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
        pid: r.get(12)?,
        host: r.get(13)?,
    })
}

/// Opens the history and gives it the current schema (creating it when needed).
fn open_db(db_path: &Path) -> Result<Connection, rusqlite::Error> {
    let db = Connection::open(db_path)?;
    db.busy_timeout(BUSY_TIMEOUT)?;
    let check: String = db.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(format!("integrity check: {check}")),
        ));
    }
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
            dir TEXT,
            pid INTEGER,
            host TEXT
        );",
    )?;
    // Histories written before runs had a `running` row lack the process columns.
    let columns: Vec<String> = {
        let mut statement = db.prepare("SELECT name FROM pragma_table_info('runs')")?;
        statement.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
    };
    for (name, kind) in [("pid", "INTEGER"), ("host", "TEXT")] {
        if !columns.iter().any(|c| c == name) {
            db.execute_batch(&format!("ALTER TABLE runs ADD COLUMN {name} {kind}"))?;
        }
    }
    Ok(db)
}

impl RunStore {
    /// Opens (creating when needed) `runs_dir` and the history database at `db_path`, checks
    /// that the history can be written, and reconciles dead runs (returned).
    pub fn open(runs_dir: &Path, db_path: &Path) -> RunResult<(RunStore, Vec<Reconciled>)> {
        let store = RunStore::open_unreconciled(runs_dir, db_path)?;
        let reconciled = store.reconcile()?;
        Ok((store, reconciled))
    }

    fn open_unreconciled(runs_dir: &Path, db_path: &Path) -> RunResult<RunStore> {
        std::fs::create_dir_all(runs_dir).map_err(|e| {
            io_error("create the runs directory", runs_dir, e).with_help(
                "make the directory writable, or record elsewhere with `--runs-dir DIR` (the history moves with the runs)",
            )
        })?;
        let home = db_path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(home).map_err(|e| {
            RunError::new(Code::E0812, format!("cannot create the directory `{}` of the run history: {e}", home.display()))
                .with_help("make the spec's directory writable, or record elsewhere with `--runs-dir DIR` (the history moves with the runs)")
        })?;
        let db = open_db(db_path).map_err(|e| history_error(db_path, &e))?;
        // A run that could not be recorded must not start: take the write lock once, now.
        let writable = if db.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            Err(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY), None))
        } else {
            db.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
        };
        writable.map_err(|e| history_error(db_path, &e))?;
        let locks_dir = home.join("locks");
        std::fs::create_dir_all(&locks_dir).map_err(|e| {
            RunError::new(Code::E0812, format!("cannot create `{}`: {e}", locks_dir.display()))
                .with_help("make the history's directory writable, or record elsewhere with `--runs-dir DIR`")
        })?;
        Ok(RunStore { runs_dir: runs_dir.to_path_buf(), db_path: db_path.to_path_buf(), locks_dir, db })
    }

    /// Opens the history only to read it (`mlpc runs` on a history it cannot write): nothing is
    /// reconciled or created.
    pub fn open_read_only(runs_dir: &Path, db_path: &Path) -> RunResult<RunStore> {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Connection::open_with_flags(db_path, flags).map_err(|e| history_error(db_path, &e))?;
        let _ = db.busy_timeout(BUSY_TIMEOUT);
        let home = db_path.parent().unwrap_or(Path::new("."));
        Ok(RunStore {
            runs_dir: runs_dir.to_path_buf(),
            db_path: db_path.to_path_buf(),
            locks_dir: home.join("locks"),
            db,
        })
    }

    fn db_error(&self, e: rusqlite::Error) -> RunError {
        history_error(&self.db_path, &e)
    }

    /// Starts a run: a fresh id, its lock, its `running` row, then its partial directory.
    pub fn begin(&self, pipeline: &str, spec: &str) -> RunResult<RunDir> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let started = utc_timestamp(now.as_secs());
        let stamp: String = started.chars().filter(char::is_ascii_digit).collect();
        let salt = blake3::hash(format!("{pipeline}{}{}", now.as_nanos(), std::process::id()).as_bytes());
        let id = format!("{}-{}-{}", &stamp[..8], &stamp[8..14], &salt.to_hex()[..6]);
        let partial = self.runs_dir.join(format!(".{id}.partial"));
        let final_dir = self.runs_dir.join(&id);
        let lock_path = self.locks_dir.join(format!("{id}.lock"));
        let lock = match claim(&lock_path) {
            Ok(Some(file)) => file,
            Ok(None) => return Err(io_error("lock", &lock_path, "held by another process")),
            Err(e) => return Err(io_error("lock", &lock_path, e)),
        };
        let mut run = RunDir { id, partial, final_dir, started, lock: Some((lock_path, lock)) };
        let row = RunRow {
            pid: Some(i64::from(std::process::id())),
            host: Some(host_name()),
            ..RunRow::new(&run.id, pipeline, spec, &run.started, "running")
        };
        if let Err(e) = self.insert(&row) {
            release(&mut run);
            return Err(e);
        }
        if let Err(e) = std::fs::create_dir_all(&run.partial) {
            let error = io_error("create the run directory", &run.partial, e);
            let _ = self.fail(run, &RunRow { status: "failed".into(), error: Some(Code::E0804.to_string()), ..row });
            return Err(error);
        }
        Ok(run)
    }

    /// Makes a completed run's files durable and moves them into place: every file and the
    /// partial directory are fsynced, the directory renamed to `runs/<run-id>/` and the runs
    /// directory fsynced. The row still says `running` until [`RunStore::finish`].
    pub fn commit(&self, run: &RunDir) -> RunResult<()> {
        sync_tree(&run.partial).map_err(|e| io_error("sync the run directory", &run.partial, e))?;
        std::fs::rename(&run.partial, &run.final_dir)
            .map_err(|e| io_error("finish the run directory", &run.final_dir, e))?;
        // The rename has happened: the run is in place whether or not this sync succeeds (a
        // crash before it reaches the disk leaves the partial directory, which is reconciled).
        let _ = sync_dir(&self.runs_dir);
        Ok(())
    }

    /// Gives a committed run's row its real status, then drops the run's lock.
    pub fn finish(&self, mut run: RunDir, row: &RunRow) -> RunResult<()> {
        let result = self.update(row);
        if result.is_ok() {
            release(&mut run);
        }
        result
    }

    /// Records a failed run: removes its partial directory and marks its row `failed`. The
    /// error, when there is one, finishes the sentence "run X failed; ...".
    pub fn fail(&self, mut run: RunDir, row: &RunRow) -> Result<(), String> {
        let removed = match std::fs::remove_dir_all(&run.partial) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        let updated = self.update(row);
        let partial = run.partial.display().to_string();
        match (removed, updated) {
            (Ok(()), Ok(())) => {
                release(&mut run);
                Ok(())
            }
            (Err(e), Ok(())) => {
                release(&mut run);
                Err(format!(
                    "it is recorded as failed, but its partial directory `{partial}` could not be removed ({e}); \
                     the next `mlpc runs` removes it"
                ))
            }
            (Ok(()), Err(e)) => Err(format!(
                "it left no directory in runs/, but the history could not be updated ({}); \
                 the next `mlpc runs` records it as interrupted",
                e.message
            )),
            (Err(r), Err(e)) => Err(format!(
                "neither its partial directory `{partial}` could be removed ({r}) nor the history updated ({}); \
                 the next `mlpc runs` records it as interrupted and removes the directory",
                e.message
            )),
        }
    }

    fn insert(&self, row: &RunRow) -> RunResult<()> {
        self.db
            .execute(
                &format!(
                    "INSERT OR IGNORE INTO runs ({COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                ),
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
                    row.dir,
                    row.pid,
                    row.host
                ],
            )
            .map_err(|e| self.db_error(e))?;
        Ok(())
    }

    /// Sets a `running` row's outcome.
    fn update(&self, row: &RunRow) -> RunResult<()> {
        self.db
            .execute(
                "UPDATE runs SET seconds = ?2, status = ?3, objective_metric = ?4, direction = ?5,
                                 best_model = ?6, objective_value = ?7, error = ?8, dir = ?9
                 WHERE id = ?1 AND status = 'running'",
                params![
                    row.id,
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
            .map_err(|e| self.db_error(e))?;
        Ok(())
    }

    fn status_of(&self, id: &str) -> RunResult<Option<String>> {
        self.db
            .query_row("SELECT status FROM runs WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.db_error(e))
    }

    /// Finds runs whose process is gone (a `running` row, or a partial directory, whose lock
    /// nobody holds) and records what became of them: the status in `runs/<id>/run.json` when
    /// the run was moved into place before its process died, `interrupted` otherwise. Partial
    /// directories of dead runs are removed; live runs are left alone.
    pub fn reconcile(&self) -> RunResult<Vec<Reconciled>> {
        let running: Vec<String> = {
            let mut statement =
                self.db.prepare("SELECT id FROM runs WHERE status = 'running'").map_err(|e| self.db_error(e))?;
            let ids = statement.query_map([], |r| r.get(0)).map_err(|e| self.db_error(e))?;
            ids.collect::<Result<_, _>>().map_err(|e| self.db_error(e))?
        };
        let mut done = Vec::new();
        for id in running {
            let lock_path = self.locks_dir.join(format!("{id}.lock"));
            let Ok(Some(lock)) = claim(&lock_path) else { continue };
            let mut claimed = RunDir {
                partial: self.runs_dir.join(format!(".{id}.partial")),
                final_dir: self.runs_dir.join(&id),
                started: String::new(),
                id: id.clone(),
                lock: Some((lock_path, lock)),
            };
            // Another command may have reconciled it meanwhile.
            if self.status_of(&id)?.as_deref() != Some("running") {
                release(&mut claimed);
                continue;
            }
            let _ = std::fs::remove_dir_all(&claimed.partial);
            let row = match completed_row(&claimed.final_dir) {
                Some(row) => row,
                None => interrupted_row(&id),
            };
            self.update(&row)?;
            done.push(Reconciled { id: id.clone(), status: row.status });
            release(&mut claimed);
        }
        // Partial directories with no `running` row: left by a run whose failure could not be
        // cleaned up, or by an mlpc that wrote no row until a run ended.
        let Ok(entries) = std::fs::read_dir(&self.runs_dir) else { return Ok(done) };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".partial")) else { continue };
            let lock_path = self.locks_dir.join(format!("{id}.lock"));
            let Ok(Some(lock)) = claim(&lock_path) else { continue };
            let mut claimed = RunDir {
                partial: entry.path(),
                final_dir: self.runs_dir.join(id),
                started: String::new(),
                id: id.to_string(),
                lock: Some((lock_path, lock)),
            };
            match self.status_of(id)? {
                Some(status) if status == "running" => {}
                Some(_) => {
                    let _ = std::fs::remove_dir_all(&claimed.partial);
                }
                None => {
                    let _ = std::fs::remove_dir_all(&claimed.partial);
                    let mut row = interrupted_row(id);
                    row.pipeline = "-".into();
                    row.spec = "-".into();
                    row.started = started_from_id(id);
                    self.insert(&row)?;
                    done.push(Reconciled { id: id.to_string(), status: row.status });
                }
            }
            release(&mut claimed);
        }
        Ok(done)
    }

    /// Every recorded run, newest first.
    pub fn list(&self) -> RunResult<Vec<RunRow>> {
        let mut statement = self
            .db
            .prepare(&format!("SELECT {COLUMNS} FROM runs ORDER BY started DESC, id DESC"))
            .map_err(|e| self.db_error(e))?;
        let rows = statement.query_map([], row_from).map_err(|e| self.db_error(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db_error(e))
    }

    /// Rebuilds the history: a damaged database is moved aside as `runs.db.corrupt-<time>`
    /// (with the rows of failed and interrupted runs that can still be read from it), and every
    /// `runs/<id>/run.json` without a row gets one. Dead runs are then reconciled.
    pub fn repair(runs_dir: &Path, db_path: &Path) -> RunResult<(RunStore, Repair)> {
        let mut repair = Repair::default();
        let mut salvaged = Vec::new();
        if db_path.exists() {
            if let Err(e) = open_db(db_path) {
                let damaged =
                    matches!(e.sqlite_error_code(), Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt));
                if !damaged {
                    return Err(history_error(db_path, &e));
                }
                salvaged = salvage(db_path);
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
                let stamp: String = utc_timestamp(now).chars().filter(char::is_ascii_digit).collect();
                let aside = db_path.with_file_name(format!(
                    "{}.corrupt-{stamp}",
                    db_path.file_name().map_or("runs.db".into(), |n| n.to_string_lossy())
                ));
                std::fs::rename(db_path, &aside).map_err(|e| io_error("move aside", db_path, e))?;
                // A journal belongs to the damaged file; left in place it would be applied to the new one.
                for suffix in ["-journal", "-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{suffix}", db_path.display()));
                    if side.exists() {
                        let _ = std::fs::rename(&side, format!("{}{suffix}", aside.display()));
                    }
                }
                repair.moved_aside = Some(aside);
            }
        }
        let store = RunStore::open_unreconciled(runs_dir, db_path)?;
        for row in &salvaged {
            store.insert(row)?;
        }
        repair.salvaged = salvaged.len();
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(runs_dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
            .unwrap_or_default();
        dirs.sort();
        for dir in dirs {
            if dir.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            let Some(row) = completed_row(&dir) else { continue };
            if store.status_of(&row.id)?.is_none() {
                store.insert(&row)?;
                repair.added += 1;
            }
        }
        repair.reconciled = store.reconcile()?;
        Ok((store, repair))
    }
}

/// The failed and interrupted rows still readable from a damaged history.
fn salvage(db_path: &Path) -> Vec<RunRow> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let Ok(db) = Connection::open_with_flags(db_path, flags) else { return Vec::new() };
    let sql = format!("SELECT {COLUMNS} FROM runs WHERE status IN ('failed', 'interrupted')");
    let old_sql = "SELECT id, pipeline, spec, started, seconds, status, objective_metric, direction, best_model,
                          objective_value, error, dir, NULL, NULL FROM runs WHERE status IN ('failed', 'interrupted')";
    for sql in [sql.as_str(), old_sql] {
        let Ok(mut statement) = db.prepare(sql) else { continue };
        let Ok(rows) = statement.query_map([], row_from) else { continue };
        // Rows are read until the first damaged page.
        return rows.map_while(Result::ok).collect();
    }
    Vec::new()
}

/// The row of a run whose directory `dir` holds a complete `run.json`.
fn completed_row(dir: &Path) -> Option<RunRow> {
    let text = std::fs::read_to_string(dir.join("run.json")).ok()?;
    let report: serde_json::Value = serde_json::from_str(&text).ok()?;
    let id = report["run_id"].as_str()?;
    if dir.file_name()? != id {
        return None;
    }
    let text_of = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let started = text_of(&report["started"]).unwrap_or_else(|| started_from_id(id));
    let row = RunRow::new(
        id,
        report["pipeline"].as_str().unwrap_or_default(),
        report["spec"].as_str().unwrap_or_default(),
        &started,
        report["status"].as_str()?,
    );
    Some(RunRow {
        seconds: report["timings"]["total_seconds"].as_f64().unwrap_or(0.0),
        objective_metric: text_of(&report["objective"]["metric"]),
        direction: text_of(&report["objective"]["direction"]),
        best_model: text_of(&report["objective"]["best"]),
        objective_value: report["objective"]["value"].as_f64(),
        dir: Some(dir.display().to_string()),
        ..row
    })
}

fn interrupted_row(id: &str) -> RunRow {
    RunRow::new(id, "", "", "", "interrupted")
}

/// `YYYY-MM-DDTHH:MM:SSZ` from a run id `YYYYMMDD-HHMMSS-xxxxxx`.
fn started_from_id(id: &str) -> String {
    let d: Vec<char> = id.chars().filter(char::is_ascii_digit).take(14).collect();
    if d.len() < 14 {
        return String::new();
    }
    let s = |r: std::ops::Range<usize>| d[r].iter().collect::<String>();
    format!("{}-{}-{}T{}:{}:{}Z", s(0..4), s(4..6), s(6..8), s(8..10), s(10..12), s(12..14))
}

/// Drops a run's lock and removes its lock file (the file first, so nobody locks a file that
/// is about to disappear and takes it for a dead run's).
fn release(run: &mut RunDir) {
    if let Some((path, file)) = run.lock.take() {
        let _ = std::fs::remove_file(&path);
        drop(file);
    }
}

/// Opens (creating) a run's lock file and takes its exclusive advisory lock without waiting:
/// `Some` when this process now holds it (the run's process is gone, or this is a new run),
/// `None` when a live process holds it. The kernel drops the lock when its process ends however
/// it ends, so a reused pid can never look alive.
fn claim(path: &Path) -> std::io::Result<Option<File>> {
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
    Ok(try_lock(&file)?.then_some(file))
}

#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor this `File` owns for the duration of the call.
    let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if result == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    if error.raw_os_error() == Some(libc::EWOULDBLOCK) { Ok(false) } else { Err(error) }
}

/// Without advisory locks every run looks alive, so nothing is reconciled (never a live run's
/// files touched).
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(false)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

/// fsyncs every file below `dir`, each directory, and `dir` itself.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            sync_tree(&path)?;
        } else {
            File::open(&path)?.sync_all()?;
        }
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
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

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mlpc-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn open(dir: &Path) -> (RunStore, Vec<Reconciled>) {
        RunStore::open(&dir.join("runs"), &dir.join(".mlp/runs.db")).unwrap()
    }

    fn row(run: &RunDir, status: &str) -> RunRow {
        RunRow {
            seconds: 1.0,
            dir: Some(run.final_dir.display().to_string()),
            ..RunRow::new(&run.id, "p", "p.mlp", &run.started, status)
        }
    }

    fn status(store: &RunStore, id: &str) -> Option<String> {
        store.status_of(id).unwrap()
    }

    /// What the process's death does to its run: the kernel drops the lock.
    fn die(run: &mut RunDir) {
        run.lock.take();
    }

    fn write_run_json(run: &RunDir, status: &str) {
        let report = serde_json::json!({"run_id": run.id, "pipeline": "p", "spec": "p.mlp", "status": status,
                                        "started": run.started, "timings": {"total_seconds": 2.5}});
        std::fs::write(run.partial.join("run.json"), report.to_string()).unwrap();
    }

    fn integrity(dir: &Path) -> String {
        let db = Connection::open(dir.join(".mlp/runs.db")).unwrap();
        db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn timestamps_are_civil_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(1_795_689_296), "2026-11-26T10:34:56Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(started_from_id("20261126-103456-abcdef"), "2026-11-26T10:34:56Z");
    }

    #[test]
    fn a_run_is_running_first_and_finished_last() {
        let dir = scratch("protocol");
        let (store, _) = open(&dir);
        let run = store.begin("p", "p.mlp").unwrap();
        assert!(run.partial.is_dir());
        assert_eq!(status(&store, &run.id).as_deref(), Some("running"));
        let listed = store.list().unwrap();
        assert_eq!(listed[0].pid, Some(i64::from(std::process::id())));
        write_run_json(&run, "passed");
        store.commit(&run).unwrap();
        assert!(run.final_dir.join("run.json").is_file() && !run.partial.exists());
        // Committed but not finished: still `running` (the row is the point of truth).
        assert_eq!(status(&store, &run.id).as_deref(), Some("running"));
        let (id, lock) = (run.id.clone(), store.locks_dir.join(format!("{}.lock", run.id)));
        assert!(lock.is_file());
        let passed = row(&run, "passed");
        store.finish(run, &passed).unwrap();
        assert_eq!(status(&store, &id).as_deref(), Some("passed"));
        assert!(!lock.exists());

        let failed = store.begin("p", "p.mlp").unwrap();
        let failed_id = failed.id.clone();
        let partial = failed.partial.clone();
        let r = RunRow { error: Some(Code::E0701.to_string()), dir: None, ..row(&failed, "failed") };
        store.fail(failed, &r).unwrap();
        assert!(!partial.exists() && !dir.join("runs").join(&failed_id).exists());
        assert_eq!(status(&store, &failed_id).as_deref(), Some("failed"));
        assert_eq!(store.list().unwrap().len(), 2);
        assert_eq!(integrity(&dir), "ok");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dead_runs_are_reconciled_and_live_ones_left_alone() {
        let dir = scratch("reconcile");
        let (store, _) = open(&dir);
        // Died while training: only its partial directory.
        let mut training = store.begin("p", "p.mlp").unwrap();
        std::fs::write(training.partial.join("plan.json"), "{}").unwrap();
        die(&mut training);
        // Died between the rename and the row's update.
        let mut renamed = store.begin("p", "p.mlp").unwrap();
        write_run_json(&renamed, "gate_failed");
        store.commit(&renamed).unwrap();
        die(&mut renamed);
        // Still alive (this process holds its lock).
        let live = store.begin("p", "p.mlp").unwrap();
        std::fs::write(live.partial.join("plan.json"), "{}").unwrap();

        let (again, reconciled) = open(&dir);
        let mut got: Vec<(String, String)> = reconciled.into_iter().map(|r| (r.id, r.status)).collect();
        got.sort();
        let mut want =
            vec![(training.id.clone(), "interrupted".to_string()), (renamed.id.clone(), "gate_failed".to_string())];
        want.sort();
        assert_eq!(got, want);
        assert!(!training.partial.exists(), "a dead run's partial directory is removed");
        assert!(renamed.final_dir.join("run.json").is_file());
        let rows = again.list().unwrap();
        let renamed_row = rows.iter().find(|r| r.id == renamed.id).unwrap();
        assert_eq!(renamed_row.seconds, 2.5);
        assert_eq!(renamed_row.dir.as_deref(), Some(renamed.final_dir.display().to_string().as_str()));
        assert_eq!(status(&again, &live.id).as_deref(), Some("running"));
        assert!(live.partial.join("plan.json").is_file(), "a live run's files are never touched");
        // Reconciling again changes nothing.
        assert!(again.reconcile().unwrap().is_empty());
        assert_eq!(integrity(&dir), "ok");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_partial_directory_without_a_row_is_recorded_as_interrupted() {
        let dir = scratch("orphan");
        let (_, _) = open(&dir);
        std::fs::create_dir_all(dir.join("runs/.20261126-103456-abcdef.partial/models")).unwrap();
        let (store, reconciled) = open(&dir);
        assert_eq!(reconciled.len(), 1);
        assert!(!dir.join("runs/.20261126-103456-abcdef.partial").exists());
        let rows = store.list().unwrap();
        assert_eq!((rows[0].status.as_str(), rows[0].started.as_str()), ("interrupted", "2026-11-26T10:34:56Z"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_history_is_e0813_and_repair_rebuilds_it() {
        let dir = scratch("repair");
        let (store, _) = open(&dir);
        let run = store.begin("p", "p.mlp").unwrap();
        write_run_json(&run, "passed");
        store.commit(&run).unwrap();
        let id = run.id.clone();
        let passed = row(&run, "passed");
        store.finish(run, &passed).unwrap();
        drop(store);
        std::fs::write(dir.join(".mlp/runs.db"), "this is not a database, it was overwritten").unwrap();
        let error = RunStore::open(&dir.join("runs"), &dir.join(".mlp/runs.db")).err().unwrap();
        assert_eq!(error.code, Code::E0813);
        assert!(error.message.contains("runs.db"), "{}", error.message);
        assert!(error.help.as_deref().unwrap_or("").contains("mlpc runs --repair"));
        let (store, repair) = RunStore::repair(&dir.join("runs"), &dir.join(".mlp/runs.db")).unwrap();
        let aside = repair.moved_aside.clone().unwrap();
        assert!(aside.is_file() && aside.file_name().unwrap().to_string_lossy().starts_with("runs.db.corrupt-"));
        assert_eq!(repair.added, 1);
        let rows = store.list().unwrap();
        assert_eq!((rows.len(), rows[0].id.as_str(), rows[0].status.as_str()), (1, id.as_str(), "passed"));
        // Repairing a healthy history keeps its rows and adds nothing.
        let (_, again) = RunStore::repair(&dir.join("runs"), &dir.join(".mlp/runs.db")).unwrap();
        assert!(again.moved_aside.is_none() && again.added == 0);
        assert_eq!(integrity(&dir), "ok");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_history_from_before_running_rows_gets_the_process_columns() {
        let dir = scratch("migrate");
        std::fs::create_dir_all(dir.join(".mlp")).unwrap();
        let old = Connection::open(dir.join(".mlp/runs.db")).unwrap();
        old.execute_batch(
            "CREATE TABLE runs (id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, spec TEXT NOT NULL, started TEXT NOT NULL,
                                seconds REAL NOT NULL, status TEXT NOT NULL, objective_metric TEXT, direction TEXT,
                                best_model TEXT, objective_value REAL, error TEXT, dir TEXT);
             INSERT INTO runs VALUES ('20261126-103456-abcdef', 'p', 'p.mlp', '2026-11-26T10:34:56Z', 1.0, 'failed',
                                      NULL, NULL, NULL, NULL, 'E0701', NULL);",
        )
        .unwrap();
        drop(old);
        let (store, _) = open(&dir);
        let rows = store.list().unwrap();
        assert_eq!((rows.len(), rows[0].status.as_str(), rows[0].pid), (1, "failed", None));
        store.begin("p", "p.mlp").unwrap();
        assert_eq!(store.list().unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_history_locked_by_another_process_is_e0812() {
        let dir = scratch("locked");
        drop(open(&dir));
        let holder = Connection::open(dir.join(".mlp/runs.db")).unwrap();
        holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let error = RunStore::open(&dir.join("runs"), &dir.join(".mlp/runs.db")).err().unwrap();
        assert_eq!(error.code, Code::E0812, "{}", error.message);
        holder.execute_batch("ROLLBACK").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
