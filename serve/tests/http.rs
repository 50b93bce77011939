//! The server in this process, over real sockets, with fake models: what only a fake can show
//! quickly — micro-batches split back with each request's own field errors, 503 before a bundle
//! is loaded, 504 past the timeout, a panicking model answered with 500 while the server goes on,
//! swaps through `/admin/reload`, and a stop that lets the requests in flight finish. The real
//! binary and a real bundle are tested in the workspace's tests/serve.rs.

// A `Loader` returns `RunError`, large and rare, as the library crates allow.
#![allow(clippy::result_large_err)]

mod common;

use common::{Running, send};
use mlp_compiler::codes::Code;
use mlp_serve::{FieldError, Loader, Prediction, Predictor, Served, Server, Settings};
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Predicts `2 * x` for rows `{"x": number}`; `"sleep_ms"` sleeps, `"panic": true` panics.
struct Doubler {
    id: String,
    calls: AtomicUsize,
}

impl Doubler {
    fn new(id: &str) -> Arc<Doubler> {
        Arc::new(Doubler { id: id.into(), calls: AtomicUsize::new(0) })
    }
}

impl Predictor for Doubler {
    fn id(&self) -> &str {
        &self.id
    }
    fn model(&self) -> &str {
        "doubler"
    }
    fn manifest(&self) -> Value {
        json!({ "model": "doubler", "inputs": [{"name": "x", "type": "float"}] })
    }
    fn card(&self) -> &str {
        "# doubler\n\nDoubles `x`.\n"
    }
    fn predict_rows(&self, rows: &[&Value]) -> Result<Vec<Prediction>, Vec<FieldError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut errors = Vec::new();
        let mut out = Vec::new();
        for (row, value) in rows.iter().enumerate() {
            if value.get("panic").is_some() {
                panic!("asked to");
            }
            if let Some(ms) = value.get("sleep_ms").and_then(Value::as_u64) {
                std::thread::sleep(Duration::from_millis(ms));
            }
            match value.get("x").and_then(Value::as_f64) {
                Some(x) => out.push(Prediction {
                    json: json!({ "value": 2.0 * x }),
                    class: Some(if x > 0.0 { "pos" } else { "neg" }.into()),
                }),
                None => errors.push(FieldError::new(row, Some("x"), Code::E0832, "`x` must be a number")),
            }
        }
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }
    fn predict_csv(&self, body: &[u8]) -> Result<Vec<Prediction>, Vec<FieldError>> {
        let text = String::from_utf8_lossy(body);
        let rows: Vec<Value> = text
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| match l.trim().parse::<f64>() {
                Ok(x) => json!({ "x": x }),
                Err(_) => json!({ "x": l }),
            })
            .collect();
        let rows: Vec<&Value> = rows.iter().collect();
        self.predict_rows(&rows)
    }
}

fn settings() -> Settings {
    Settings {
        host: "127.0.0.1".into(),
        port: 0,
        max_batch: 64,
        max_wait: Duration::from_millis(1),
        timeout: Duration::from_secs(10),
        max_body: 4096,
        max_rows: 100,
        token: None,
    }
}

fn start(settings: Settings, model: Option<Served>, loader: Option<Loader>) -> Running {
    let (events, sink) = common::events();
    common::run(Server::bind(settings, model, loader, sink).expect("binds"), events)
}

/// The reply without each prediction's `id` (checked to be there, and unique), so replies compare
/// whole.
fn without_ids(mut reply: Value) -> Value {
    if let Some(predictions) = reply.get_mut("predictions").and_then(Value::as_array_mut) {
        let mut seen = std::collections::BTreeSet::new();
        for p in predictions {
            let id = p.as_object_mut().and_then(|o| o.remove("id"));
            let id = id.and_then(|i| i.as_str().map(str::to_string)).expect("every prediction has an id");
            assert!(seen.insert(id), "ids are unique");
        }
    }
    reply
}

fn post_json(addr: SocketAddr, body: &str) -> (u16, Value) {
    let (status, body) = send(addr, "POST", "/predict", &[("Content-Type", "application/json")], body.as_bytes());
    (status, without_ids(serde_json::from_str(&body).unwrap_or(Value::String(body))))
}

#[test]
fn objects_arrays_and_csv_are_predicted() {
    let server = start(settings(), Some(Doubler::new("b1")), None);
    let (status, reply) = post_json(server.addr, r#"{"x": 1.5}"#);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply, json!({"bundle": "b1", "model": "doubler", "predictions": [{"value": 3.0}]}));
    let (status, reply) = post_json(server.addr, r#"[{"x": 1}, {"x": -2}]"#);
    assert_eq!((status, &reply["predictions"]), (200, &json!([{"value": 2.0}, {"value": -4.0}])));
    let (status, body) = send(server.addr, "POST", "/predict", &[("Content-Type", "text/csv")], b"x\n1\n2\n");
    assert_eq!(status, 200, "{body}");
    let reply: Value = without_ids(serde_json::from_str(&body).unwrap());
    assert_eq!(reply["predictions"], json!([{"value": 2.0}, {"value": 4.0}]));
    let (status, body) = send(server.addr, "GET", "/metadata", &[], b"");
    assert_eq!(status, 200);
    let metadata: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(metadata["manifest"]["model"], "doubler");
    assert!(metadata["card"].as_str().unwrap().starts_with("# doubler"));
    let (_, metrics) = send(server.addr, "GET", "/metrics", &[], b"");
    assert!(metrics.contains("mlpc_predictions_total{class=\"pos\"} 4"), "{metrics}");
    assert!(metrics.contains("mlpc_predictions_total{class=\"neg\"} 1"), "{metrics}");
    assert!(metrics.contains("mlpc_requests_total{route=\"/predict\",status=\"200\"} 3"), "{metrics}");
}

#[test]
fn concurrent_requests_share_batches_and_keep_their_own_errors() {
    let model = Doubler::new("b1");
    let server = start(Settings { max_wait: Duration::from_millis(200), ..settings() }, Some(model.clone()), None);
    let addr = server.addr;
    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let body = if i % 3 == 0 {
                    format!(r#"[{{"x": {i}}}, {{"x": "bad"}}]"#)
                } else {
                    format!(r#"[{{"x": {i}}}, {{"x": 1}}]"#)
                };
                (i, post_json(addr, &body))
            })
        })
        .collect();
    for thread in threads {
        let (i, (status, reply)) = thread.join().unwrap();
        if i % 3 == 0 {
            assert_eq!(status, 400, "{i}: {reply}");
            // The row counts from the request's own first row, whatever batch it was in.
            assert_eq!(
                reply,
                json!({"errors": [{"row": 1, "column": "x", "code": "E0832", "message": "`x` must be a number"}]})
            );
        } else {
            assert_eq!(status, 200, "{i}: {reply}");
            assert_eq!(reply["predictions"], json!([{"value": 2.0 * f64::from(i)}, {"value": 2.0}]), "{i}");
        }
    }
    // Eight requests arriving within the 200 ms wait: far fewer model calls than requests
    // (a batch with errors costs a second call for the requests without).
    let calls = model.calls.load(Ordering::SeqCst);
    assert!(calls < 8, "{calls} calls for 8 requests");
    let (_, metrics) = send(addr, "GET", "/metrics", &[], b"");
    assert!(metrics.contains("mlpc_batch_rows_count"), "{metrics}");
}

#[test]
fn not_ready_without_a_bundle() {
    let server = start(settings(), None, None);
    assert_eq!(send(server.addr, "GET", "/health", &[], b"").0, 200);
    assert_eq!(send(server.addr, "GET", "/ready", &[], b"").0, 503);
    assert_eq!(post_json(server.addr, r#"{"x": 1}"#).0, 503);
    assert_eq!(send(server.addr, "GET", "/metadata", &[], b"").0, 503);
}

#[test]
fn past_the_timeout_is_504_and_a_panic_is_500() {
    let server = start(Settings { timeout: Duration::from_millis(100), ..settings() }, Some(Doubler::new("b1")), None);
    let (status, reply) = post_json(server.addr, r#"{"x": 1, "sleep_ms": 1000}"#);
    assert_eq!(status, 504, "{reply}");
    // (Printing the panic's backtrace may take longer than 100 ms.)
    let server = start(settings(), Some(Doubler::new("b1")), None);
    let (status, reply) = post_json(server.addr, r#"{"x": 1, "panic": true}"#);
    assert_eq!(status, 500, "{reply}");
    // And the server goes on.
    let (status, reply) = post_json(server.addr, r#"{"x": 4}"#);
    assert_eq!((status, &reply["predictions"]), (200, &json!([{"value": 8.0}])));
}

#[test]
fn the_token_guards_all_but_the_probes_and_reload_swaps() {
    let next = Arc::new(AtomicUsize::new(2));
    let counter = next.clone();
    let loader: Loader = Arc::new(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let model: Served = Doubler::new(&format!("b{n}"));
        Ok(model)
    });
    let token = Settings { token: Some("s3cret".into()), ..settings() };
    let server = start(token, Some(Doubler::new("b1")), Some(loader));
    let auth = ("Authorization", "Bearer s3cret");
    let json = ("Content-Type", "application/json");
    assert_eq!(send(server.addr, "POST", "/predict", &[json], br#"{"x": 1}"#).0, 401);
    assert_eq!(send(server.addr, "POST", "/predict", &[json, ("Authorization", "Bearer nope")], br#"{"x": 1}"#).0, 401);
    assert_eq!(send(server.addr, "GET", "/metrics", &[], b"").0, 401);
    assert_eq!(send(server.addr, "GET", "/health", &[], b"").0, 200);
    assert_eq!(send(server.addr, "GET", "/ready", &[], b"").0, 200);
    assert_eq!(send(server.addr, "POST", "/admin/reload", &[], b"").0, 401);
    let (status, body) = send(server.addr, "POST", "/admin/reload", &[auth], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!({"bundle": "b2", "previous": "b1"}));
    let (status, body) = send(server.addr, "POST", "/predict", &[json, auth], br#"{"x": 1}"#);
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["bundle"], "b2");
    assert!(server.events.lock().unwrap().iter().any(|e| e.contains("Reloaded")), "{:?}", server.events);
}

#[test]
fn reload_without_a_token_is_refused() {
    let server = start(settings(), Some(Doubler::new("b1")), None);
    assert_eq!(send(server.addr, "POST", "/admin/reload", &[], b"").0, 403);
    assert_eq!(send(server.addr, "GET", "/admin/reload", &[], b"").0, 405);
}

#[test]
fn a_stop_lets_the_request_in_flight_finish() {
    let server = start(settings(), Some(Doubler::new("b1")), None);
    let addr = server.addr;
    let in_flight = std::thread::spawn(move || post_json(addr, r#"{"x": 3, "sleep_ms": 500}"#));
    std::thread::sleep(Duration::from_millis(150));
    server.stopper.stop();
    let (status, reply) = in_flight.join().unwrap();
    assert_eq!((status, &reply["predictions"]), (200, &json!([{"value": 6.0}])));
    std::thread::sleep(Duration::from_millis(200));
    assert!(TcpStream::connect(addr).is_err(), "no new connections after the stop");
    assert!(server.events.lock().unwrap().iter().any(|e| e.contains("Stopping")));
}
