//! `mlpc serve` against the real binary over real sockets: a small spec is run, its bundle served
//! on port 0 (the address read from the one line printed), and predictions over HTTP — one JSON
//! object, an array, a CSV body — equal the run's `predictions.csv` bit for bit. A corpus of
//! malformed requests is each answered with its status, after which the server still predicts
//! the same; SIGTERM lets a request in flight finish; SIGHUP and `POST /admin/reload` swap in the
//! bundle of a newer run; start-up failures have their codes and exit statuses.
//!
//! Monitoring (the last test), with a breast_cancer bundle: rows like the training data do not
//! fire the drift condition and rows with every numeric input × 1.5 do (a `warn` JSON line on stderr); `kill -9` and a restart
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
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "t0ken-for-tests";
const AUTH: (&str, &str) = ("Authorization", "Bearer t0ken-for-tests");
const JSON: (&str, &str) = ("Content-Type", "application/json");
const CSV: (&str, &str) = ("Content-Type", "text/csv");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mlpc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlpc")).args(args).current_dir(dir).output().expect("mlpc runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A tiny binary classifier of breast_cancer.csv with an `http` target behind a token.
fn spec(seed: u32, deploy: &str) -> String {
    format!(
        r#"pipeline bc {{
  seed = {seed}
}}

source tumors = csv("breast_cancer.csv") {{
  label = diagnosis
  positive = malignant
}}

dataset cells = tumors {{
  split = stratified(train: 0.7, val: 0.1, test: 0.2)
}}

objective maximize accuracy

model mlp = mlp(hidden: [8]) {{
  epochs = 5
}}

deploy api = http(mlp) {{
{deploy}
}}
"#
    )
}

const DEPLOY: &str =
    "  max_wait = 2\n  max_body = 262144\n  max_rows = 200\n  auth = token(env: \"MLPC_SERVE_TEST_TOKEN\")";

/// A fresh directory with the data and the spec, run once: the directory and the run's directory.
fn project(name: &str, deploy: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("mlpc-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("tests/data/breast_cancer.csv"), dir.join("breast_cancer.csv")).unwrap();
    std::fs::write(dir.join("bc.mlp"), spec(3, deploy)).unwrap();
    let run_dir = run(&dir);
    (dir, run_dir)
}

/// `mlpc run bc.mlp --json`, which must pass: the run's directory.
fn run(dir: &Path) -> PathBuf {
    let out = mlpc(dir, &["run", "bc.mlp", "--json"]);
    assert!(out.status.success(), "mlpc run failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run_dir = PathBuf::from(summary["artifacts"]["dir"].as_str().unwrap());
    if run_dir.is_absolute() { run_dir } else { dir.join(run_dir) }
}

/// A running `mlpc serve`, killed when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
    line: String,
    stderr: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn signal(&self, name: &str) {
        let status = Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -{name}");
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The exit status, waiting at most `limit`.
    fn exit_within(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// `mlpc serve ARGS --port 0` in `dir` with the token set: the server once it printed its line.
fn serve(dir: &Path, args: &[&str]) -> Served {
    let stderr = dir.join(format!("serve-{}.err", args.join("_").replace(['/', '.'], "_")));
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .arg("serve")
        .args(args)
        .args(["--port", "0"])
        .current_dir(dir)
        .env("MLPC_SERVE_TEST_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("mlpc serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().rsplit_once(" on http://").map(|(_, a)| a.to_string());
    let Some(addr) = address.and_then(|a| a.parse().ok()) else {
        let _ = child.kill();
        panic!("no address line: {line:?}\n{}", std::fs::read_to_string(&stderr).unwrap_or_default());
    };
    Served { child, addr, line, stderr }
}

/// One request, closed after the reply: the status and the body (status 0: no reply).
fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding"))
    {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    send_raw(addr, &raw)
}

/// Raw bytes, then the reply.
fn send_raw(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer (and close) before it has read everything: a failed write still
    // leaves its reply to read.
    let _ = stream.write_all(raw);
    read_reply(&mut stream)
}

fn read_reply(stream: &mut TcpStream) -> (u16, String) {
    let mut reply = Vec::new();
    let mut buffer = [0u8; 65536];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&buffer[..n]),
        }
    }
    let reply = text(&reply);
    let status = reply.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { unchunk(body) } else { body.into() };
    (status, body)
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// A request of the malformed corpus: method, path, headers, body.
type Request<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, Vec<u8>);

fn post(addr: SocketAddr, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
    let (status, body) = send(addr, "POST", "/predict", headers, body);
    (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
}

/// The data rows by line (the header is line 1), as JSON objects with numbers, the label left out.
fn rows_by_line(data: &Path) -> (String, Vec<(String, Value)>) {
    let body = std::fs::read_to_string(data).unwrap();
    let mut lines = body.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows = lines
        .map(|line| {
            let mut object = serde_json::Map::new();
            for (name, cell) in header.iter().zip(line.split(',')) {
                if *name != "diagnosis" {
                    // The cell's own text as a JSON number: it parses to the f64 the loader reads.
                    object.insert(name.to_string(), serde_json::from_str(cell).unwrap());
                }
            }
            (line.to_string(), Value::Object(object))
        })
        .collect();
    (header.join(","), rows)
}

/// The test rows of a run: each line of the data with its `predictions.csv` row.
fn test_rows(run_dir: &Path) -> Vec<(usize, String, f64)> {
    let predictions = std::fs::read_to_string(run_dir.join("predictions.csv")).unwrap();
    let mut lines = predictions.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, ["line", "truth", "mlp", "mlp_p_malignant"]);
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].parse().unwrap(), cells[2].to_string(), cells[3].parse().unwrap())
        })
        .collect()
}

/// Each prediction of a reply against the run's: the class, and the probability bit for bit.
fn assert_same(reply: &Value, expected: &[(usize, String, f64)], what: &str) {
    let predictions = reply["predictions"].as_array().unwrap_or_else(|| panic!("{what}: {reply}"));
    assert_eq!(predictions.len(), expected.len(), "{what}");
    for (prediction, (line, class, p)) in predictions.iter().zip(expected) {
        assert_eq!(prediction["class"], json!(class), "{what}: line {line}");
        let ours = prediction["probabilities"]["malignant"].as_f64().unwrap();
        assert_eq!(ours.to_bits(), p.to_bits(), "{what}: line {line}: {ours} != {p}");
    }
}

#[test]
fn predictions_over_http_equal_the_run() {
    let (dir, run_dir) = project("equal", DEPLOY);
    let served = serve(&dir, &["bc.mlp"]);
    let bundle =
        serde_json::from_str::<Value>(&std::fs::read_to_string(run_dir.join("bundles/mlp/manifest.json")).unwrap())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
    assert_eq!(served.line.trim(), format!("serving mlp (bundle {bundle}) on http://{}", served.addr));
    assert_eq!(served.addr.ip().to_string(), "127.0.0.1", "binds the loopback address unless told otherwise");

    let expected = test_rows(&run_dir);
    let (header, rows) = rows_by_line(&dir.join("breast_cancer.csv"));
    let row = |line: usize| &rows[line - 2];

    // Many rows in one array.
    let array: Vec<&Value> = expected.iter().map(|(line, ..)| &row(*line).1).collect();
    let (status, reply) = post(served.addr, &[JSON, AUTH], serde_json::to_string(&array).unwrap().as_bytes());
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["bundle"], json!(bundle));
    assert_eq!(reply["model"], "mlp");
    assert_same(&reply, &expected, "array");

    // The same rows as CSV.
    let mut csv = header.clone() + "\n";
    for (line, ..) in &expected {
        csv.push_str(&row(*line).0);
        csv.push('\n');
    }
    let (status, reply) = post(served.addr, &[CSV, AUTH], csv.as_bytes());
    assert_eq!(status, 200, "{reply}");
    assert_same(&reply, &expected, "csv");

    // One object per request, many at once: micro-batched, and each gets its own prediction.
    let addr = served.addr;
    let threads: Vec<_> = expected
        .iter()
        .take(24)
        .map(|(line, class, p)| {
            let body = serde_json::to_vec(&row(*line).1).unwrap();
            let expected = vec![(*line, class.clone(), *p)];
            std::thread::spawn(move || {
                let (status, reply) = post(addr, &[JSON, AUTH], &body);
                assert_eq!(status, 200, "{reply}");
                assert_same(&reply, &expected, "object");
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }

    // Metadata and metrics.
    let (status, body) = send(served.addr, "GET", "/metadata", &[AUTH], b"");
    assert_eq!(status, 200);
    let metadata: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(metadata["manifest"]["id"], json!(bundle));
    assert!(metadata["card"].as_str().unwrap().contains("mlp"), "{metadata}");
    let (status, metrics) = send(served.addr, "GET", "/metrics", &[AUTH], b"");
    assert_eq!(status, 200);
    assert!(metrics.contains("mlpc_requests_total{route=\"/predict\",status=\"200\"} 26"), "{metrics}");
    assert!(metrics.contains("mlpc_batch_rows_count"), "{metrics}");
    let predicted: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("mlpc_predictions_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(predicted, 2 * expected.len() as u64 + 24, "{metrics}");
    assert!(metrics.contains(&format!("mlpc_bundle_info{{bundle=\"{bundle}\",model=\"mlp\"}} 1")), "{metrics}");
}

#[test]
fn malformed_requests_are_answered_and_the_server_goes_on() {
    let (dir, run_dir) = project("corpus", DEPLOY);
    let mut served = serve(&dir, &["bc.mlp"]);
    let addr = served.addr;
    let (header, rows) = rows_by_line(&dir.join("breast_cancer.csv"));
    let good = rows[0].1.clone();
    let with = |column: &str, value: Value| {
        let mut row = good.clone();
        row[column] = value;
        serde_json::to_vec(&row).unwrap()
    };
    let mut unknown = good.clone();
    unknown["bogus"] = json!(1);
    let many: Vec<&Value> = std::iter::repeat_n(&good, 201).collect();
    let deep_cell = format!("{{\"mean_radius\": {}1{}}}", "[".repeat(200), "]".repeat(200));
    let csv_row = &rows[0].0;
    let csv_101 = format!("{header}\n{}", format!("{csv_row}\n").repeat(201));
    let basic = format!("Basic {TOKEN}");
    let long_path = format!("/{}", "a".repeat(70_000));

    let json_post = |body: Vec<u8>| ("POST", "/predict".to_string(), vec![JSON, AUTH], body);
    let csv_post = |body: Vec<u8>| ("POST", "/predict".to_string(), vec![CSV, AUTH], body);
    let good_body = serde_json::to_vec(&good).unwrap();
    #[rustfmt::skip]
    let cases: Vec<(&str, Request<'_>, u16)> = vec![
        ("unterminated object", json_post(b"{".to_vec()), 400),
        ("unterminated value", json_post(b"{\"mean_radius\":".to_vec()), 400),
        ("empty body", json_post(Vec::new()), 400),
        ("array of numbers", json_post(b"[1, 2]".to_vec()), 400),
        ("a string", json_post(b"\"rows\"".to_vec()), 400),
        ("null", json_post(b"null".to_vec()), 400),
        ("a number", json_post(b"42".to_vec()), 400),
        ("empty array", json_post(b"[]".to_vec()), 400),
        ("array of arrays", json_post(b"[[]]".to_vec()), 400),
        ("empty object", json_post(b"{}".to_vec()), 400),
        ("a string for a number", json_post(with("mean_radius", json!("abc"))), 400),
        ("NaN as a string", json_post(with("mean_radius", json!("NaN"))), 400),
        ("NaN literal", json_post(String::from_utf8(good_body.clone()).unwrap().replacen("17.99", "NaN", 1).into_bytes()), 400),
        ("Infinity literal", json_post(String::from_utf8(good_body.clone()).unwrap().replacen("17.99", "Infinity", 1).into_bytes()), 400),
        ("a number out of range", json_post(String::from_utf8(good_body.clone()).unwrap().replacen("17.99", "1e400", 1).into_bytes()), 400),
        ("null for a number", json_post(with("mean_radius", Value::Null)), 400),
        ("a boolean for a number", json_post(with("mean_radius", json!(true))), 400),
        ("an object for a number", json_post(with("mean_radius", json!({"x": 1}))), 400),
        ("an array for a number", json_post(with("mean_radius", json!([1]))), 400),
        ("an unknown column", json_post(serde_json::to_vec(&unknown).unwrap()), 400),
        ("a bad row after a good one", json_post(serde_json::to_vec(&json!([good, {"mean_radius": "x"}])).unwrap()), 400),
        ("deeply nested arrays", json_post(format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)).into_bytes()), 400),
        ("deeply nested objects", json_post("{\"a\":".repeat(5000).into_bytes()), 400),
        ("a deeply nested cell", json_post(deep_cell.into_bytes()), 400),
        ("invalid UTF-8", json_post(b"{\"mean_radius\": \"\xff\xfe\"}".to_vec()), 400),
        ("trailing garbage", json_post([good_body.clone(), b" x".to_vec()].concat()), 400),
        ("a byte order mark", json_post([b"\xef\xbb\xbf".to_vec(), good_body.clone()].concat()), 400),
        ("too many rows", json_post(serde_json::to_vec(&many).unwrap()), 413),
        ("a body over the limit", json_post(vec![b' '; 300_000]), 413),
        ("text/plain", ("POST", "/predict".into(), vec![("Content-Type", "text/plain"), AUTH], good_body.clone()), 415),
        ("no content type", ("POST", "/predict".into(), vec![AUTH], good_body.clone()), 415),
        ("application/xml", ("POST", "/predict".into(), vec![("Content-Type", "application/xml"), AUTH], b"<row/>".to_vec()), 415),
        ("a form", ("POST", "/predict".into(), vec![("Content-Type", "application/x-www-form-urlencoded"), AUTH], b"a=1".to_vec()), 415),
        ("GET /predict", ("GET", "/predict".into(), vec![AUTH], Vec::new()), 405),
        ("PUT /predict", ("PUT", "/predict".into(), vec![JSON, AUTH], good_body.clone()), 405),
        ("DELETE /health", ("DELETE", "/health".into(), vec![AUTH], Vec::new()), 405),
        ("GET /admin/reload", ("GET", "/admin/reload".into(), vec![AUTH], Vec::new()), 405),
        ("an unknown route", ("GET", "/nope".into(), vec![AUTH], Vec::new()), 404),
        ("a path climbing out", ("GET", "/predict/../../etc/passwd".into(), vec![AUTH], Vec::new()), 404),
        ("a query on an unknown route", ("GET", "/metrics.php?x=1".into(), vec![AUTH], Vec::new()), 404),
        ("no token", ("POST", "/predict".into(), vec![JSON], good_body.clone()), 401),
        ("a wrong token", ("POST", "/predict".into(), vec![JSON, ("Authorization", "Bearer nope")], good_body.clone()), 401),
        ("another scheme", ("POST", "/predict".into(), vec![JSON, ("Authorization", basic.as_str())], good_body.clone()), 401),
        ("metrics without the token", ("GET", "/metrics".into(), vec![], Vec::new()), 401),
        ("metadata without the token", ("GET", "/metadata".into(), vec![], Vec::new()), 401),
        ("reload without the token", ("POST", "/admin/reload".into(), vec![], Vec::new()), 401),
        ("an empty CSV", csv_post(Vec::new()), 400),
        ("a CSV header alone", csv_post(format!("{header}\n").into_bytes()), 400),
        ("a CSV cell not a number", csv_post(format!("{header}\n{}\n", csv_row.replacen("17.99", "abc", 1)).into_bytes()), 400),
        ("a CSV without a column", csv_post(b"mean_radius\n17.99\n".to_vec()), 400),
        ("a CSV ragged row", csv_post(format!("{header}\n1,2,3\n").into_bytes()), 400),
        ("a CSV not UTF-8", csv_post(format!("{header}\n").into_bytes().into_iter().chain(b"\xff\xfe,1\n".iter().copied()).collect()), 400),
        ("a CSV over the row limit", csv_post(csv_101.into_bytes()), 413),
        ("a declared length over the limit", ("POST", "/predict".into(), vec![JSON, AUTH, ("Content-Length", "10000000")], Vec::new()), 413),
        ("a path over 64 KiB", ("GET", long_path, vec![AUTH], Vec::new()), 414),
    ];
    assert!(cases.len() >= 40);
    let mut wrong = Vec::new();
    for (what, (method, path, headers, body), status) in &cases {
        let (got, reply) = send(addr, method, path, headers, body);
        if got != *status {
            wrong.push(format!("{what}: {got}, expected {status}: {}", reply.chars().take(300).collect::<String>()));
        } else if *status != 414 {
            // Every refusal says why, as JSON (a URI too long is refused by the HTTP parser).
            let reply: Value = serde_json::from_str(&reply).unwrap_or_else(|_| panic!("{what}: {reply}"));
            assert!(reply.get("error").is_some() || reply.get("errors").is_some(), "{what}: {reply}");
        }
    }
    assert!(wrong.is_empty(), "wrong statuses:\n{}", wrong.join("\n"));

    // Field errors name the row, the column and the code.
    let (_, reply) =
        post(addr, &[JSON, AUTH], &serde_json::to_vec(&json!([good, good, {"mean_radius": "x"}])).unwrap());
    let errors = reply["errors"].as_array().unwrap();
    assert!(errors.iter().all(|e| e["row"] == 2), "{reply}");
    assert!(errors.iter().any(|e| e["column"] == "mean_radius" && e["code"] == "E0832"), "{reply}");
    let (_, reply) = post(addr, &[JSON, AUTH], &serde_json::to_vec(&unknown).unwrap());
    assert!(
        reply["errors"].as_array().unwrap().iter().any(|e| e["column"] == "bogus" && e["code"] == "E0833"),
        "{reply}"
    );

    // Malformed HTTP itself.
    assert_eq!(send_raw(addr, b"GARBAGE\r\n\r\n").0, 400);
    assert_eq!(send_raw(addr, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n").0, 400);
    let chunked = format!(
        "POST /predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n{}",
        "8000\r\n".to_string() + &" ".repeat(0x8000) + "\r\n"
    );
    let mut over = chunked.into_bytes();
    for _ in 0..8 {
        over.extend_from_slice(format!("8000\r\n{}\r\n", " ".repeat(0x8000)).as_bytes());
    }
    over.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(send_raw(addr, &over).0, 413, "a chunked body over the limit");
    // A client that connects and leaves.
    drop(TcpStream::connect(addr).unwrap());

    // Still alive, still right.
    assert!(served.child.try_wait().unwrap().is_none(), "the server died: {}", served.stderr());
    assert_eq!(send(addr, "GET", "/health", &[], b"").0, 200);
    assert_eq!(send(addr, "GET", "/ready", &[], b"").0, 200);
    let expected = test_rows(&run_dir);
    let array: Vec<&Value> = expected.iter().map(|(line, ..)| &rows[line - 2].1).collect();
    let (status, reply) = post(addr, &[JSON, AUTH], &serde_json::to_vec(&array).unwrap());
    assert_eq!(status, 200, "{reply}");
    assert_same(&reply, &expected, "after the corpus");
    let (_, metrics) = send(addr, "GET", "/metrics", &[AUTH], b"");
    assert!(metrics.contains("mlpc_requests_total{route=\"/predict\",status=\"415\"} 4"), "{metrics}");
    assert!(metrics.contains("mlpc_requests_total{route=\"unmatched\",status=\"404\"} 3"), "{metrics}");
    assert!(!served.stderr().contains("panicked"), "{}", served.stderr());
    served.signal("INT");
    assert_eq!(served.exit_within(Duration::from_secs(15)), Some(0), "{}", served.stderr());
}

#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let (dir, run_dir) = project("drain", DEPLOY);
    let mut served = serve(&dir, &["bc.mlp"]);
    let expected = test_rows(&run_dir);
    let (_, rows) = rows_by_line(&dir.join("breast_cancer.csv"));
    let body = serde_json::to_vec(&rows[expected[0].0 - 2].1).unwrap();
    // Half the body, then SIGTERM, then the rest.
    let mut stream = TcpStream::connect(served.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    served.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(served.child.try_wait().unwrap().is_none(), "stopped with a request in flight");
    stream.write_all(&body[body.len() / 2..]).unwrap();
    let (status, reply) = read_reply(&mut stream);
    assert_eq!(status, 200, "{reply}");
    assert_same(&serde_json::from_str(&reply).unwrap(), &expected[..1], "in flight");
    assert_eq!(served.exit_within(Duration::from_secs(15)), Some(0), "{}", served.stderr());
    assert!(served.stderr().contains("SIGTERM"), "{}", served.stderr());
    assert!(TcpStream::connect(served.addr).is_err(), "still listening after the stop");
}

#[test]
fn sighup_and_the_admin_route_swap_in_a_newer_runs_bundle() {
    let (dir, _) = project("swap", DEPLOY);
    let served = serve(&dir, &["bc.mlp"]);
    let ready = || -> String {
        let (status, body) = send(served.addr, "GET", "/ready", &[], b"");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["bundle"].as_str().unwrap().to_string()
    };
    let first = ready();
    // A newer passing run (another seed: other weights, another bundle id).
    std::fs::write(dir.join("bc.mlp"), spec(4, DEPLOY)).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let newer = run(&dir);
    let second: Value =
        serde_json::from_str(&std::fs::read_to_string(newer.join("bundles/mlp/manifest.json")).unwrap()).unwrap();
    let second = second["id"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    served.signal("HUP");
    let start = Instant::now();
    while ready() != second {
        assert!(start.elapsed() < Duration::from_secs(20), "no swap after SIGHUP: {}", served.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(served.stderr().contains(&format!("serving bundle {second} (was {first})")), "{}", served.stderr());
    let (_, rows) = rows_by_line(&dir.join("breast_cancer.csv"));
    let (status, reply) = post(served.addr, &[JSON, AUTH], &serde_json::to_vec(&rows[0].1).unwrap());
    assert_eq!((status, &reply["bundle"]), (200, &json!(second)));

    // Back to the first seed's bundle through the admin route (the same id: runs are deterministic).
    std::fs::write(dir.join("bc.mlp"), spec(3, DEPLOY)).unwrap();
    // (The history orders runs by their start to the second: start this one in the next second.)
    std::thread::sleep(Duration::from_millis(1100));
    run(&dir);
    let (status, body) = send(served.addr, "POST", "/admin/reload", &[AUTH], b"");
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!({"bundle": first, "previous": second}));
    assert_eq!(ready(), first);
}

#[test]
fn a_bundle_directory_is_served_with_the_default_settings() {
    let (dir, run_dir) = project("bundle", "  port = 8080");
    let bundle = run_dir.join("bundles/mlp");
    let served = serve(&dir, &["--bundle", bundle.to_str().unwrap()]);
    let (_, rows) = rows_by_line(&dir.join("breast_cancer.csv"));
    let expected = test_rows(&run_dir);
    let (status, reply) = post(served.addr, &[JSON], &serde_json::to_vec(&rows[expected[0].0 - 2].1).unwrap());
    assert_eq!(status, 200, "{reply}");
    assert_same(&reply, &expected[..1], "--bundle");
    // No token configured: nothing asks for one, and reloading over HTTP is refused.
    assert_eq!(send(served.addr, "POST", "/admin/reload", &[], b"").0, 403);
    assert_eq!(send(served.addr, "GET", "/metrics", &[], b"").0, 200);
    // SIGHUP reloads the directory: the same bundle.
    served.signal("HUP");
    let start = Instant::now();
    while !served.stderr().contains("reloaded on SIGHUP") {
        assert!(start.elapsed() < Duration::from_secs(20), "no reload: {}", served.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn start_up_failures_have_their_codes() {
    let (dir, run_dir) = project("failures", DEPLOY);
    // The token variable unset.
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["serve", "bc.mlp", "--port", "0"])
        .current_dir(&dir)
        .env_remove("MLPC_SERVE_TEST_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("E0841") && text(&out.stderr).contains("MLPC_SERVE_TEST_TOKEN"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    // A port already taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc"))
        .args(["serve", "bc.mlp", "--port", &port])
        .current_dir(&dir)
        .env("MLPC_SERVE_TEST_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("E0840"), "{}", text(&out.stderr));

    // No bundle: a directory that is not one, a spec never run, a target that is not `http`.
    let out = mlpc(&dir, &["serve", "--bundle", run_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("E0830"), "{}", text(&out.stderr));
    let fresh = dir.join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::copy(dir.join("breast_cancer.csv"), fresh.join("breast_cancer.csv")).unwrap();
    std::fs::write(fresh.join("bc.mlp"), spec(3, DEPLOY)).unwrap();
    let out = mlpc(&fresh, &["serve", "bc.mlp"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("E0835"), "{}", text(&out.stderr));
    let out = mlpc(&dir, &["serve", "bc.mlp", "nope"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    // Neither a spec nor a bundle, or both.
    assert_eq!(mlpc(&dir, &["serve"]).status.code(), Some(2));
    assert_eq!(mlpc(&dir, &["serve", "bc.mlp", "--bundle", "x"]).status.code(), Some(2));
}

const MONITORED_SPEC: &str = r#"pipeline bc {
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

/// A JSON request: the status and the body as JSON (a string when it is not).
fn call(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let (status, body) = send(addr, method, path, &[JSON], body);
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
        let (status, m) = call(addr, "GET", "/monitor", b"");
        assert_eq!(status, 200, "{m}");
        if done(&m) {
            return m;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{what}: {m}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn monitoring_drift_feedback_retrain_and_restart() {
    let dir = std::env::temp_dir().join(format!("mlpc-serve-monitor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join("tests/data/breast_cancer.csv"), dir.join("breast_cancer.csv")).unwrap();
    std::fs::write(dir.join("bc.mlp"), MONITORED_SPEC).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc")).args(["run", "bc.mlp"]).current_dir(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let server = serve(&dir, &["bc.mlp"]);
    // 50 rows like the training data (every fifth row, across the file): no drift.
    let plain: Vec<Value> = data_rows(1.0).into_iter().step_by(5).take(50).map(|(r, _)| r).collect();
    let (status, reply) = call(server.addr, "POST", "/predict", Value::Array(plain).to_string().as_bytes());
    assert_eq!(status, 200, "{reply}");
    assert!(reply["predictions"][0]["id"].is_string(), "{reply}");
    let m = monitor_until(server.addr, "a full window", |m| m["window"]["rows"] == 50);
    assert_eq!(m["conditions"][0]["fired"], false, "unshifted rows do not drift: {m}");
    // Every numeric input × 1.5: the share of drifted columns passes 0.5, and `warn` fires.
    let shifted: Vec<Value> = data_rows(1.5).into_iter().step_by(5).take(50).map(|(r, _)| r).collect();
    let (status, _) = call(server.addr, "POST", "/predict", Value::Array(shifted).to_string().as_bytes());
    assert_eq!(status, 200);
    let m = monitor_until(server.addr, "the drift firing", |m| !m["firings"].as_array().unwrap().is_empty());
    assert_eq!(m["conditions"][0]["fired"], true, "{m}");
    assert_eq!(m["firings"][0]["action"], "warn", "{m}");
    std::thread::sleep(Duration::from_millis(200));
    let stderr = server.stderr();
    assert!(stderr.lines().any(|l| l.contains("\"event\":\"monitor\"") && l.contains("warn")), "{stderr}");

    // kill -9, then a restart resumes the window (and the firing is not repeated).
    drop(server);
    let server = serve(&dir, &["bc.mlp"]);
    let (_, m) = call(server.addr, "GET", "/monitor", b"");
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
                match call(addr, "POST", "/predict", row.as_bytes()).0 {
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
    let (status, reply) = call(server.addr, "POST", "/feedback", Value::Array(flipped).to_string().as_bytes());
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
    let stderr = server.stderr();
    assert!(stderr.contains("after the monitor's retrain"), "{stderr}");
    // The labelled rows were appended with the bundle's columns and the label.
    let appended = std::fs::read_to_string(dir.join("feedback.csv")).unwrap();
    assert_eq!(appended.lines().count(), 21, "{appended}");
    assert!(appended.lines().next().unwrap().ends_with(",diagnosis"), "{appended}");
    let _ = std::fs::remove_dir_all(&dir);
}
