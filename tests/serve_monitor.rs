//! Live monitoring in `mlpc serve` over the real binary and real sockets, with one trained
//! breast_cancer bundle: rows like the training data do not fire the drift condition and rows
//! with every numeric input × 1.5 do (a `warn` JSON line on stderr); `kill -9` and a restart
//! resume the window from `monitor.db`; feedback with flipped labels fires
//! `accuracy < 0.9 over 20 labelled -> retrain(...)`, which appends the labelled rows to
//! `feedback.csv`, runs the pipeline as a child process and swaps the latest passing bundle in
//! while requests keep being answered. Training is deterministic (same seed, same data), so the
//! retrained bundle may have the same content id: the swap is seen in the firing's result and
//! the server's `after the monitor's retrain` line, not in a new id.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SPEC: &str = r#"pipeline bc {
  seed = 3
}

source tumors = csv("breast_cancer.csv") {
  label = diagnosis
  positive = malignant
}

dataset cells = tumors {
  split = stratified(train: 0.7, val: 0.1, test: 0.2)
}

objective maximize accuracy

model mlp = mlp(hidden: [8]) {
  epochs = 5
}

deploy api = http(mlp) {
  max_wait = 2
}

monitor api {
  window = 50
  drift share > 0.5 -> warn
  accuracy < 0.9 over 20 labelled -> retrain(append: "feedback.csv")
}
"#;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Served {
    child: Child,
    addr: SocketAddr,
    stderr: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, name: &str) -> Served {
    let stderr = dir.join(format!("{name}.err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["serve", "bc.mlp", "--port", "0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("mlpc serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let Some(addr) = line.trim().rsplit_once(" on http://").and_then(|(_, a)| a.parse().ok()) else {
        let _ = child.kill();
        panic!("no address line: {line:?}\n{}", std::fs::read_to_string(&stderr).unwrap_or_default());
    };
    Served { child, addr, stderr }
}

fn send(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reads the reply");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
}

/// The data's rows as JSON objects (inputs as numbers) with their labels.
fn data_rows(scale: f64) -> Vec<(Value, String)> {
    let text = std::fs::read_to_string(root().join("tests/data/breast_cancer.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            let mut row = serde_json::Map::new();
            let mut label = String::new();
            for (name, cell) in header.iter().zip(line.split(',')) {
                if *name == "diagnosis" {
                    label = cell.to_string();
                } else if let Ok(v) = cell.parse::<f64>() {
                    row.insert((*name).to_string(), json!(v * scale));
                }
            }
            (Value::Object(row), label)
        })
        .collect()
}

fn monitor_until(addr: SocketAddr, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (status, m) = send(addr, "GET", "/monitor", b"");
        assert_eq!(status, 200, "{m}");
        if done(&m) {
            return m;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{what}: {m}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn drift_feedback_retrain_and_restart() {
    let dir = std::env::temp_dir().join(format!("mlpc-serve-monitor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("tests/data/breast_cancer.csv"), dir.join("breast_cancer.csv")).unwrap();
    std::fs::write(dir.join("bc.mlp"), SPEC).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc")).args(["run", "bc.mlp"]).current_dir(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let server = serve(&dir, "first");
    // 50 rows like the training data (every fifth row, across the file): no drift.
    let plain: Vec<Value> = data_rows(1.0).into_iter().step_by(5).take(50).map(|(r, _)| r).collect();
    let (status, reply) = send(server.addr, "POST", "/predict", Value::Array(plain).to_string().as_bytes());
    assert_eq!(status, 200, "{reply}");
    assert!(reply["predictions"][0]["id"].is_string(), "{reply}");
    let m = monitor_until(server.addr, "a full window", |m| m["window"]["rows"] == 50);
    assert_eq!(m["conditions"][0]["fired"], false, "unshifted rows do not drift: {m}");
    // Every numeric input × 1.5: the share of drifted columns passes 0.5, and `warn` fires.
    let shifted: Vec<Value> = data_rows(1.5).into_iter().step_by(5).take(50).map(|(r, _)| r).collect();
    let (status, _) = send(server.addr, "POST", "/predict", Value::Array(shifted).to_string().as_bytes());
    assert_eq!(status, 200);
    let m = monitor_until(server.addr, "the drift firing", |m| !m["firings"].as_array().unwrap().is_empty());
    assert_eq!(m["conditions"][0]["fired"], true, "{m}");
    assert_eq!(m["firings"][0]["action"], "warn", "{m}");
    std::thread::sleep(Duration::from_millis(200));
    let stderr = std::fs::read_to_string(&server.stderr).unwrap();
    assert!(stderr.lines().any(|l| l.contains("\"event\":\"monitor\"") && l.contains("warn")), "{stderr}");

    // kill -9, then a restart resumes the window (and the firing is not repeated).
    drop(server);
    let server = serve(&dir, "second");
    let (_, m) = send(server.addr, "GET", "/monitor", b"");
    assert_eq!(m["window"]["rows"], 50, "the window is resumed: {m}");
    assert_eq!(m["firings"].as_array().unwrap().len(), 1, "{m}");

    // Requests keep being answered while the feedback's retrain runs.
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (stop, answered, failed, addr) = (stop.clone(), answered.clone(), failed.clone(), server.addr);
        let row = data_rows(1.0)[0].0.to_string();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match send(addr, "POST", "/predict", row.as_bytes()).0 {
                    200 => answered.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    // 20 rows labelled with the opposite of their true class: accuracy falls below 0.9.
    let flipped: Vec<Value> = data_rows(1.0)
        .into_iter()
        .take(20)
        .map(|(row, label)| json!({"row": row, "label": if label == "malignant" { "benign" } else { "malignant" }}))
        .collect();
    let (status, reply) = send(server.addr, "POST", "/feedback", Value::Array(flipped).to_string().as_bytes());
    assert_eq!(status, 200, "{reply}");
    let m = monitor_until(server.addr, "the retrain", |m| {
        m["firings"].as_array().unwrap().iter().any(|f| f["action"] == "retrain")
    });
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    let retrain = m["firings"].as_array().unwrap().iter().find(|f| f["action"] == "retrain").unwrap().clone();
    assert!(retrain["result"].as_str().unwrap().starts_with("retrained"), "{retrain}");
    assert_eq!(retrain["rows"], 20, "{retrain}");
    assert!(answered.load(Ordering::Relaxed) > 0);
    assert_eq!(failed.load(Ordering::Relaxed), 0, "every request during the retrain was answered");
    let stderr = std::fs::read_to_string(&server.stderr).unwrap();
    assert!(stderr.contains("after the monitor's retrain"), "{stderr}");
    // The labelled rows were appended with the bundle's columns and the label.
    let appended = std::fs::read_to_string(dir.join("feedback.csv")).unwrap();
    assert_eq!(appended.lines().count(), 21, "{appended}");
    assert!(appended.lines().next().unwrap().ends_with(",diagnosis"), "{appended}");
    let _ = std::fs::remove_dir_all(&dir);
}
