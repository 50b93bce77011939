//! Live monitoring in this process, over real sockets, with a fake classifier of one column `x`
//! whose training reference is uniform on [-2, 2]: the window's count math, drift firing once
//! when it becomes true (edge-triggered), `/feedback`'s refusals listing every error with nothing
//! applied, flipped labels firing a metric condition whose `rollback` serves the previous bundle
//! again, an alert retried against a loopback receiver that fails twice, and the state read back
//! by a restarted server.

// `RunError` is returned by value, as in the library (its loaders return it).
#![allow(clippy::result_large_err)]

mod common;

use common::{Running, send};
use mlp_compiler::ast::Direction;
use mlp_compiler::program::{
    Action, Comparison, Metric, MetricKind, Monitor, MonitorRule, MonitorSettings, Statistic, Watch, Window,
};
use mlp_infer::reference::{ColumnReference, Reference};
use mlp_serve::{FieldError, Loader, Monitoring, Prediction, Predictor, Retry, Served, Server, Settings};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Sign {
    id: String,
    reference: Reference,
}

fn reference() -> Reference {
    let edges: Vec<f64> = (0..=10).map(|i| -2.0 + 0.4 * f64::from(i)).collect();
    let sample: Vec<f64> = (0..1000).map(|i| -2.0 + 4.0 * f64::from(i) / 999.0).collect();
    let column = ColumnReference::Number {
        edges,
        fractions: vec![0.1; 10],
        missing: 0.0,
        mean: 0.0,
        std: 1.155,
        sample,
        present: 1000,
    };
    Reference { rows: 1000, columns: BTreeMap::from([("x".to_string(), column)]) }
}

fn sign(id: &str) -> Served {
    Arc::new(Sign { id: id.into(), reference: reference() })
}

impl Predictor for Sign {
    fn id(&self) -> &str {
        &self.id
    }
    fn model(&self) -> &str {
        "sign"
    }
    fn manifest(&self) -> Value {
        json!({ "model": "sign", "label": "y", "classes": ["neg", "pos"], "threshold": 0.5,
                "inputs": [{"name": "x", "type": "float"}] })
    }
    fn card(&self) -> &str {
        ""
    }
    fn predict_rows(&self, rows: &[&Value]) -> Result<Vec<Prediction>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut out = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            match row.get("x").and_then(Value::as_f64) {
                Some(x) => {
                    let p = if x > 0.0 { 0.9 } else { 0.1 };
                    let class = if x > 0.0 { "pos" } else { "neg" };
                    out.push(Prediction {
                        json: json!({ "class": class, "probabilities": { "neg": 1.0 - p, "pos": p } }),
                        class: Some(class.into()),
                    });
                }
                None => {
                    errors.push(FieldError::new(i, Some("x"), mlp_compiler::codes::Code::E0832, "`x` must be a number"))
                }
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }
    fn predict_csv(&self, _body: &[u8]) -> Result<Vec<Prediction>, Vec<FieldError>> {
        Err(vec![])
    }
    fn reference(&self) -> Option<&Reference> {
        Some(&self.reference)
    }
}

fn settings(token: Option<&str>) -> Settings {
    Settings {
        host: "127.0.0.1".into(),
        port: 0,
        max_batch: 64,
        max_wait: Duration::from_millis(1),
        timeout: Duration::from_secs(10),
        max_body: 1 << 20,
        max_rows: 1000,
        token: token.map(str::to_string),
    }
}

fn rule(watch: Watch, op: Comparison, threshold: f64, window: Option<i64>, action: Action) -> MonitorRule {
    MonitorRule { watch, op, threshold, window: window.map(|count| Window { count, unit: "labelled".into() }), action }
}

fn monitoring(dir: &str, window: i64, rules: Vec<MonitorRule>) -> Monitoring {
    let state = std::env::temp_dir().join(format!("mlp-serve-monitor-{}-{dir}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    fresh_monitoring(state, window, rules)
}

fn fresh_monitoring(state: PathBuf, window: i64, rules: Vec<MonitorRule>) -> Monitoring {
    let mut settings = MonitorSettings::declared_defaults();
    settings.window = window;
    Monitoring {
        deploy: "api".into(),
        monitor: Some(Monitor { deploy: "api".into(), settings, rules }),
        metrics: vec![Metric { name: "accuracy".into(), kind: MetricKind::Accuracy, direction: Direction::Maximize }],
        state: Some(state.join("monitor.db")),
        base: state,
        retrainer: None,
    }
}

fn start(settings: Settings, model: Served, loader: Option<Loader>, monitoring: Monitoring) -> Running {
    let (events, sink) = common::events();
    let retry = Retry { retries: 3, first_backoff: Duration::from_millis(20), timeout: Duration::from_secs(2) };
    let server = Server::bind_monitored(settings, Some(model), loader, Some(monitoring), retry, sink).expect("binds");
    common::run(server, events)
}

fn post(addr: SocketAddr, path: &str, body: &Value) -> (u16, Value) {
    let (status, text) = send(addr, "POST", path, &[("Content-Type", "application/json")], body.to_string().as_bytes());
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn monitor(addr: SocketAddr) -> Value {
    let (status, text) = send(addr, "GET", "/monitor", &[], b"");
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// `/monitor` once `done` holds (actions run off the request path), within 10 s.
fn monitor_until(addr: SocketAddr, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let m = monitor(addr);
        if done(&m) || start.elapsed() > Duration::from_secs(10) {
            return m;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn rows(n: usize, shift: f64) -> Value {
    Value::Array((0..n).map(|i| json!({ "x": -1.9 + 3.8 * i as f64 / n as f64 + shift })).collect())
}

#[test]
fn drift_fires_once_when_the_window_is_full_and_shifted() {
    let share = rule(Watch::Drift { statistic: Statistic::Share }, Comparison::Gt, 0.5, None, Action::Warn);
    let server = start(settings(None), sign("b1"), None, monitoring("drift", 40, vec![share]));
    // Half a window: drift conditions wait for the window to fill.
    let (status, reply) = post(server.addr, "/predict", &rows(20, 0.0));
    assert_eq!(status, 200, "{reply}");
    assert!(reply["predictions"].as_array().unwrap().iter().all(|p| p["id"].is_string()), "{reply}");
    let m = monitor(server.addr);
    assert_eq!(m["window"], json!({"rows": 20, "capacity": 40, "seconds": 0}));
    assert_eq!(m["conditions"][0]["fired"], false);
    assert!(m["conditions"][0]["note"].as_str().unwrap().contains("waiting"), "{m}");
    // A full window like the reference: no drift.
    post(server.addr, "/predict", &rows(20, 0.0));
    let m = monitor(server.addr);
    assert_eq!(m["window"]["rows"], 40);
    assert_eq!(m["conditions"][0]["fired"], false, "{m}");
    // Shifted rows replace them (the window keeps the last 40): drift fires once.
    post(server.addr, "/predict", &rows(40, 5.0));
    let m = monitor_until(server.addr, |m| !m["firings"].as_array().unwrap().is_empty());
    assert_eq!(m["window"]["rows"], 40);
    assert_eq!(m["conditions"][0]["fired"], true, "{m}");
    assert_eq!(m["firings"][0]["action"], "warn", "{m}");
    assert_eq!(m["firings"][0]["rows"], 40, "{m}");
    for _ in 0..3 {
        post(server.addr, "/predict", &rows(40, 5.0));
        monitor(server.addr);
    }
    std::thread::sleep(Duration::from_millis(100));
    let m = monitor(server.addr);
    assert_eq!(m["firings"].as_array().unwrap().len(), 1, "edge-triggered: {m}");
    let (_, metrics) = send(server.addr, "GET", "/metrics", &[], b"");
    assert!(metrics.contains("mlpc_drift_share 1"), "{metrics}");
    assert!(metrics.contains("mlpc_drift_dataset 1"), "{metrics}");
    assert!(metrics.contains("mlpc_drift_column{column=\"x\",method=\"ks\"}"), "{metrics}");
    assert!(metrics.contains("mlpc_monitor_condition{condition=\"drift share > 0.5 -> warn\"} 1"), "{metrics}");
    assert!(metrics.contains("mlpc_monitor_actions_total{action=\"warn\",outcome=\"logged\"} 1"), "{metrics}");
    assert!(server.events.lock().unwrap().iter().any(|e| e.starts_with("Fired")));
}

#[test]
fn feedback_errors_are_all_listed_and_nothing_is_applied() {
    let server = start(settings(None), sign("b1"), None, monitoring("errors", 100, vec![]));
    let (_, reply) = post(server.addr, "/predict", &rows(2, 0.0));
    let id = reply["predictions"][0]["id"].as_str().unwrap().to_string();
    let body = json!([
        {"id": id, "label": "pos"},
        {"id": "nope-1", "label": "pos"},
        {"id": id, "label": "maybe"},
        {"id": 7, "label": "neg"},
        {"row": {"x": 1}},
        {"row": "x=1", "label": "pos"},
        {"id": id, "row": {"x": 1}, "label": "pos"},
    ]);
    let (status, reply) = post(server.addr, "/feedback", &body);
    assert_eq!(status, 400, "{reply}");
    let items: Vec<u64> = reply["errors"].as_array().unwrap().iter().map(|e| e["item"].as_u64().unwrap()).collect();
    assert_eq!(items, vec![1, 2, 3, 4, 5, 6], "{reply}");
    // A row the model cannot take is refused with the row's field error.
    let (status, reply) =
        post(server.addr, "/feedback", &json!([{"id": id, "label": "pos"}, {"row": {"x": "a"}, "label": "pos"}]));
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["errors"][0]["item"], 1, "{reply}");
    assert_eq!(monitor(server.addr)["labelled"], 0, "nothing half-applied");
    let (status, reply) =
        post(server.addr, "/feedback", &json!([{"id": id, "label": "pos"}, {"row": {"x": -1}, "label": "pos"}]));
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["labelled"], 2);
    assert_eq!(monitor(server.addr)["labelled"], 2);
    let (_, metrics) = send(server.addr, "GET", "/metrics", &[], b"");
    assert!(metrics.contains("mlpc_feedback_total 2"), "{metrics}");
}

#[test]
fn flipped_labels_fire_the_metric_condition_and_rollback_serves_the_previous_bundle() {
    let accuracy = rule(Watch::Metric { metric: "accuracy".into() }, Comparison::Lt, 0.9, Some(10), Action::Rollback);
    let loader: Loader = Arc::new(|| Ok(sign("b2")));
    let server =
        start(settings(Some("tok")), sign("b1"), Some(loader), monitoring("rollback", 100, vec![accuracy.clone()]));
    let (status, body) = send(server.addr, "POST", "/admin/reload", &[("Authorization", "Bearer tok")], b"");
    assert_eq!(status, 200, "{body}");
    let auth = [("Content-Type", "application/json"), ("Authorization", "Bearer tok")];
    let (_, reply) = send(server.addr, "POST", "/predict", &auth, rows(10, 0.0).to_string().as_bytes());
    let reply: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["bundle"], "b2");
    // Every label the opposite of the prediction.
    let flipped: Vec<Value> = reply["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({"id": p["id"], "label": if p["class"] == "pos" { "neg" } else { "pos" }}))
        .collect();
    let (status, body) = send(server.addr, "POST", "/feedback", &auth, Value::Array(flipped).to_string().as_bytes());
    assert_eq!(status, 200, "{body}");
    let start = Instant::now();
    let (mut status, mut body) = (0, String::new());
    while start.elapsed() < Duration::from_secs(10) {
        (status, body) = send(server.addr, "GET", "/ready", &[], b"");
        if body.contains("\"b1\"") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(status, 200);
    assert!(body.contains("\"b1\""), "rolled back to b1: {body}");
    let (_, m) = send(server.addr, "GET", "/monitor", &[("Authorization", "Bearer tok")], b"");
    let m: Value = serde_json::from_str(&m).unwrap();
    assert_eq!(m["firings"][0]["action"], "rollback", "{m}");
    assert_eq!(m["firings"][0]["value"], 0.0, "{m}");
    assert_eq!(m["firings"][0]["rows"], 10, "{m}");
}

#[test]
fn alerts_are_retried_until_the_webhook_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let got = received.clone();
    let receiver = std::thread::spawn(move || {
        for (i, stream) in listener.incoming().take(3).enumerate() {
            let mut stream = stream.unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head and the body (Content-Length).
            loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_string))
                        .and_then(|l| l.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        break;
                    }
                }
            }
            got.lock().unwrap().push(String::from_utf8_lossy(&request).to_string());
            let reply = if i < 2 {
                "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"
            } else {
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    let alert = rule(
        Watch::Drift { statistic: Statistic::Ks { column: "x".into() } },
        Comparison::Gt,
        0.3,
        None,
        Action::Alert { url: format!("http://{hook}/hook"), env: String::new() },
    );
    let server = start(settings(None), sign("b1"), None, monitoring("alert", 20, vec![alert]));
    post(server.addr, "/predict", &rows(20, 5.0));
    let m = monitor_until(server.addr, |m| !m["firings"].as_array().unwrap().is_empty());
    receiver.join().unwrap();
    assert_eq!(m["firings"][0]["result"], "sent: 200", "{m}");
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 3);
    let body: Value = serde_json::from_str(received[2].split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(body["condition"], "drift ks(x) > 0.3 -> alert");
    assert_eq!(body["deploy"], "api");
    assert_eq!(body["bundle"], "b1");
    assert_eq!(body["column"], "x");
    assert_eq!(body["rows"], 20);
    assert!(received[0].starts_with("POST /hook HTTP/1.1"), "{}", received[0]);
}

#[test]
fn a_restarted_server_resumes_its_window_labels_and_firings() {
    let share = rule(Watch::Drift { statistic: Statistic::Share }, Comparison::Gt, 0.5, None, Action::Warn);
    let state = std::env::temp_dir().join(format!("mlp-serve-monitor-{}-restart", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let id = {
        let server = start(settings(None), sign("b1"), None, fresh_monitoring(state.clone(), 30, vec![share.clone()]));
        post(server.addr, "/predict", &rows(10, 0.0));
        let (_, reply) = post(server.addr, "/predict", &rows(20, 5.0));
        let id = reply["predictions"][0]["id"].as_str().unwrap().to_string();
        let (status, _) = post(server.addr, "/feedback", &json!({"id": id, "label": "neg"}));
        assert_eq!(status, 200);
        monitor_until(server.addr, |m| !m["firings"].as_array().unwrap().is_empty());
        id
    };
    std::thread::sleep(Duration::from_millis(200));
    let server = start(settings(None), sign("b1"), None, fresh_monitoring(state.clone(), 30, vec![share]));
    let m = monitor(server.addr);
    assert_eq!(m["window"]["rows"], 30, "{m}");
    assert_eq!(m["labelled"], 1, "{m}");
    assert_eq!(m["firings"].as_array().unwrap().len(), 1, "{m}");
    // Still fired: not fired again on restart.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(monitor(server.addr)["firings"].as_array().unwrap().len(), 1);
    // Ids of the earlier run are still known.
    let (status, reply) = post(server.addr, "/feedback", &json!({"id": id, "label": "pos"}));
    assert_eq!(status, 200, "{reply}");
}
