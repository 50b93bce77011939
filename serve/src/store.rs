//! The monitor's state in SQLite (`monitor.db`, WAL): predictions (the last [`KEEP`], with the
//! flag `windowed` for the rows that entered the drift window, so the window's rows are the last
//! windowed predictions of the served bundle), feedback, firings, and the conditions that are
//! fired now (so a restart does not fire them again). One writer thread group-commits: it takes
//! every write queued while the previous transaction ran into the next one, and each request that
//! waits on its write is answered once that transaction committed. `synchronous = NORMAL` under WAL
//! keeps a committed transaction through a `kill -9` of the server (not through a power loss).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Predictions kept (at least the drift window's capacity).
pub const KEEP: usize = 100_000;

/// Writes queued in one transaction at most.
const GROUP: usize = 512;

/// A prediction as stored.
pub struct StoredPrediction {
    pub id: String,
    pub time: f64,
    pub bundle: String,
    pub row: String,
    pub prediction: String,
    pub windowed: bool,
}

/// A label as stored.
pub struct StoredFeedback {
    pub time: f64,
    pub bundle: String,
    pub id: String,
    pub row: String,
    pub label: String,
    pub prediction: String,
}

/// A firing: a condition became true and its action ran.
#[derive(Clone, Debug, Serialize)]
pub struct Firing {
    pub time: f64,
    pub deploy: String,
    pub bundle: String,
    pub condition: String,
    pub action: String,
    pub value: Option<f64>,
    pub column: Option<String>,
    pub rows: usize,
    pub result: String,
}

enum Write {
    Predictions(Vec<StoredPrediction>),
    Feedback(Vec<StoredFeedback>),
    Firing(Firing),
    Fired {
        condition: String,
        on: bool,
    },
    /// Feedback rows appended to a retrain source (by prediction id).
    Appended(Vec<String>),
}

struct Op {
    write: Write,
    ack: Option<oneshot::Sender<bool>>,
}

/// What a restarted server reads back.
#[derive(Default)]
pub struct Restored {
    /// The window's rows of the bundle, oldest first: (time, row JSON).
    pub window: Vec<(f64, Value)>,
    /// Labelled feedback of the deploy, oldest first: (id, row, label, prediction, appended).
    pub feedback: Vec<(String, Value, Value, Value, bool)>,
    /// Firings, oldest first.
    pub firings: Vec<Value>,
    /// Conditions fired now.
    pub fired: Vec<String>,
    pub feedback_total: u64,
}

/// The database of one deploy.
pub struct Store {
    writes: Mutex<mpsc::Sender<Op>>,
    reader: Mutex<Connection>,
    deploy: String,
    path: PathBuf,
    /// Ends the checkpoint thread when the store is dropped.
    stop: Arc<AtomicBool>,
}

impl Drop for Store {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS predictions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, time REAL NOT NULL,
  deploy TEXT NOT NULL, bundle TEXT NOT NULL, row TEXT NOT NULL, prediction TEXT NOT NULL,
  windowed INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS predictions_window ON predictions (deploy, bundle, windowed, seq);
CREATE TABLE IF NOT EXISTS feedback (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, deploy TEXT NOT NULL,
  bundle TEXT NOT NULL, id TEXT NOT NULL, row TEXT NOT NULL, label TEXT NOT NULL,
  prediction TEXT NOT NULL, appended INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS feedback_deploy ON feedback (deploy, seq);
CREATE TABLE IF NOT EXISTS firings (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, deploy TEXT NOT NULL,
  bundle TEXT NOT NULL, condition TEXT NOT NULL, action TEXT NOT NULL, value REAL,
  column_name TEXT, rows INTEGER NOT NULL, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fired (
  deploy TEXT NOT NULL, condition TEXT NOT NULL, PRIMARY KEY (deploy, condition));
";

impl Store {
    /// Opens (creating) the database at `path` for `deploy` and starts its writer thread.
    pub fn open(path: &Path, deploy: &str) -> Result<Store, String> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| format!("`{}` cannot be created: {e}", parent.display()))?;
        }
        let fail = |e: rusqlite::Error| format!("`{}` cannot be opened: {e}", path.display());
        let writer = open(path).map_err(fail)?;
        writer.execute_batch(SCHEMA).map_err(fail)?;
        // Checkpoints (copying the WAL into the database, with fsyncs) run on their own thread and
        // connection, never inside a request's commit: the writer's automatic checkpoint is off.
        writer.pragma_update(None, "wal_autocheckpoint", 0).map_err(fail)?;
        let checkpointer = open(path).map_err(fail)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name("mlpc-monitor-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpointer, &stopped))
            .map_err(|e| format!("the database thread cannot start: {e}"))?;
        let reader = open(path).map_err(fail)?;
        let (tx, rx) = mpsc::channel::<Op>();
        let deploy_name = deploy.to_string();
        std::thread::Builder::new()
            .name("mlpc-monitor-db".into())
            .spawn(move || write_loop(writer, &deploy_name, &rx))
            .map_err(|e| format!("the database thread cannot start: {e}"))?;
        Ok(Store {
            writes: Mutex::new(tx),
            reader: Mutex::new(reader),
            deploy: deploy.to_string(),
            path: path.into(),
            stop,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn send(&self, write: Write, ack: Option<oneshot::Sender<bool>>) {
        let sender = self.writes.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let _ = sender.send(Op { write, ack });
    }

    /// Queues `write` and waits until its transaction committed (false: it failed).
    async fn committed(&self, write: Write) -> bool {
        let (ack, done) = oneshot::channel();
        self.send(write, Some(ack));
        done.await.unwrap_or(false)
    }

    pub async fn predictions(&self, rows: Vec<StoredPrediction>) -> bool {
        self.committed(Write::Predictions(rows)).await
    }

    pub async fn feedback(&self, rows: Vec<StoredFeedback>) -> bool {
        self.committed(Write::Feedback(rows)).await
    }

    pub fn firing(&self, firing: Firing) {
        self.send(Write::Firing(firing), None);
    }

    pub fn fired(&self, condition: &str, on: bool) {
        self.send(Write::Fired { condition: condition.to_string(), on }, None);
    }

    pub fn appended(&self, ids: Vec<String>) {
        self.send(Write::Appended(ids), None);
    }

    /// A stored prediction by id: (bundle, row, prediction).
    pub fn prediction(&self, id: &str) -> Option<(String, Value, Value)> {
        let reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        reader
            .query_row(
                "SELECT bundle, row, prediction FROM predictions WHERE id = ?1 AND deploy = ?2",
                params![id, self.deploy],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
            )
            .optional()
            .ok()
            .flatten()
            .map(|(b, row, p)| (b, parse(&row), parse(&p)))
    }

    /// What a restarted server resumes: the window of `bundle` (at most `window` rows), the last
    /// `labelled` labels, the last 100 firings and the conditions fired now.
    pub fn restore(&self, bundle: &str, window: usize, labelled: usize) -> Result<Restored, String> {
        let reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        let fail = |e: rusqlite::Error| format!("`{}` cannot be read: {e}", self.path.display());
        let limit = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let mut restored = Restored::default();
        let mut q = reader
            .prepare(
                "SELECT time, row FROM predictions WHERE deploy = ?1 AND bundle = ?2 AND windowed = 1 \
                 ORDER BY seq DESC LIMIT ?3",
            )
            .map_err(fail)?;
        let rows = q
            .query_map(params![self.deploy, bundle, limit(window)], |r| {
                Ok((r.get::<_, f64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(fail)?;
        for row in rows {
            let (time, text) = row.map_err(fail)?;
            restored.window.push((time, parse(&text)));
        }
        restored.window.reverse();
        let mut q = reader
            .prepare(
                "SELECT id, row, label, prediction, appended FROM feedback WHERE deploy = ?1 \
                 ORDER BY seq DESC LIMIT ?2",
            )
            .map_err(fail)?;
        let rows = q
            .query_map(params![self.deploy, limit(labelled)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(fail)?;
        for row in rows {
            let (id, row, label, prediction, appended) = row.map_err(fail)?;
            restored.feedback.push((id, parse(&row), parse(&label), parse(&prediction), appended != 0));
        }
        restored.feedback.reverse();
        restored.feedback_total = reader
            .query_row("SELECT COUNT(*) FROM feedback WHERE deploy = ?1", params![self.deploy], |r| r.get::<_, i64>(0))
            .map_err(fail)?
            .try_into()
            .unwrap_or(0);
        let mut q = reader
            .prepare(
                "SELECT time, bundle, condition, action, value, column_name, rows, result FROM firings \
                 WHERE deploy = ?1 ORDER BY seq DESC LIMIT 100",
            )
            .map_err(fail)?;
        let rows = q
            .query_map(params![self.deploy], |r| {
                Ok(serde_json::json!({
                    "time": r.get::<_, f64>(0)?,
                    "deploy": self.deploy,
                    "bundle": r.get::<_, String>(1)?,
                    "condition": r.get::<_, String>(2)?,
                    "action": r.get::<_, String>(3)?,
                    "value": r.get::<_, Option<f64>>(4)?,
                    "column": r.get::<_, Option<String>>(5)?,
                    "rows": r.get::<_, i64>(6)?,
                    "result": r.get::<_, String>(7)?,
                }))
            })
            .map_err(fail)?;
        for row in rows {
            restored.firings.push(row.map_err(fail)?);
        }
        restored.firings.reverse();
        let mut q = reader.prepare("SELECT condition FROM fired WHERE deploy = ?1").map_err(fail)?;
        let rows = q.query_map(params![self.deploy], |r| r.get::<_, String>(0)).map_err(fail)?;
        for row in rows {
            restored.fired.push(row.map_err(fail)?);
        }
        Ok(restored)
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// How often the WAL is checkpointed into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] without blocking the writer (`PASSIVE`), so it
/// stays a few seconds of writes long. Ends with the store, or when the database cannot be read.
fn checkpoint_loop(conn: &Connection, stop: &AtomicBool) {
    loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        if stop.load(Ordering::Relaxed) || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).is_err() {
            return;
        }
    }
}

fn write_loop(mut conn: Connection, deploy: &str, ops: &mpsc::Receiver<Op>) {
    let mut since_trim = 0usize;
    while let Ok(first) = ops.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match ops.try_recv() {
                Ok(op) => group.push(op),
                Err(_) => break,
            }
        }
        let ok = match write_group(&mut conn, deploy, &group, &mut since_trim) {
            Ok(()) => true,
            Err(e) => {
                // A failed commit answers its requests with 500s; the next group tries again.
                eprintln!("mlpc serve: the monitor database failed a write: {e}");
                false
            }
        };
        for op in group {
            if let Some(ack) = op.ack {
                let _ = ack.send(ok);
            }
        }
    }
}

fn write_group(conn: &mut Connection, deploy: &str, group: &[Op], since_trim: &mut usize) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for op in group {
        match &op.write {
            Write::Predictions(rows) => {
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO predictions (id, time, deploy, bundle, row, prediction, windowed) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for p in rows {
                    insert.execute(params![p.id, p.time, deploy, p.bundle, p.row, p.prediction, p.windowed])?;
                }
                *since_trim += rows.len();
            }
            Write::Feedback(rows) => {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO feedback (time, deploy, bundle, id, row, label, prediction) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for f in rows {
                    insert.execute(params![f.time, deploy, f.bundle, f.id, f.row, f.label, f.prediction])?;
                }
            }
            Write::Firing(f) => {
                tx.execute(
                    "INSERT INTO firings (time, deploy, bundle, condition, action, value, column_name, rows, result) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        f.time,
                        deploy,
                        f.bundle,
                        f.condition,
                        f.action,
                        f.value,
                        f.column,
                        i64::try_from(f.rows).unwrap_or(i64::MAX),
                        f.result
                    ],
                )?;
            }
            Write::Fired { condition, on } => {
                if *on {
                    tx.execute(
                        "INSERT OR IGNORE INTO fired (deploy, condition) VALUES (?1, ?2)",
                        params![deploy, condition],
                    )?;
                } else {
                    tx.execute("DELETE FROM fired WHERE deploy = ?1 AND condition = ?2", params![deploy, condition])?;
                }
            }
            Write::Appended(ids) => {
                let mut update = tx.prepare_cached("UPDATE feedback SET appended = 1 WHERE deploy = ?1 AND id = ?2")?;
                for id in ids {
                    update.execute(params![deploy, id])?;
                }
            }
        }
    }
    if *since_trim >= 1000 {
        *since_trim = 0;
        let keep = i64::try_from(KEEP).unwrap_or(i64::MAX);
        tx.execute("DELETE FROM predictions WHERE seq <= (SELECT MAX(seq) FROM predictions) - ?1", params![keep])?;
    }
    tx.commit()
}
