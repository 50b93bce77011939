//! End-to-end tests of `mlpc lsp`: start the real binary, speak JSON-RPC with Content-Length
//! framing over its stdin/stdout, and check each capability's answers. No timing is asserted.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A client talking to one `mlpc lsp` process; messages are read on a thread so a silent server
/// fails the test after a timeout instead of hanging it.
struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mlpc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mlpc lsp starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (send, incoming) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("Content-Length header")];
                if stdout.read_exact(&mut body).is_err() {
                    return;
                }
                if send.send(serde_json::from_slice(&body).expect("JSON body")).is_err() {
                    return;
                }
            }
        });
        let mut client = Client { child, stdin, incoming, next_id: 0 };
        let init = client.request("initialize", json!({ "capabilities": {}, "rootUri": null, "processId": null }));
        assert!(init["result"]["capabilities"].is_object(), "{init}");
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response (notifications in between are dropped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive();
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    fn receive(&mut self) -> Value {
        self.incoming.recv_timeout(Duration::from_secs(30)).expect("a message from the server")
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        loop {
            let message = self.receive();
            if message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri {
                return message["params"].clone();
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "mlp", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    fn shutdown(mut self) {
        let response = self.request("shutdown", Value::Null);
        assert!(response["error"].is_null(), "{response}");
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("server exits");
        assert!(status.success(), "{status}");
    }
}

fn iris_path() -> PathBuf {
    root().join("examples/iris/iris.mlp")
}

fn iris_text() -> String {
    std::fs::read_to_string(iris_path()).unwrap()
}

fn position(text: &str, needle: &str) -> Value {
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` in text"));
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": column })
}

#[test]
fn initialize_shutdown_exit() {
    let client = Client::start();
    client.shutdown();
}

#[test]
fn diagnostics_match_mlpc_check_on_open_and_change() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lsp-diag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = root().join("examples/iris/data/iris.csv");
    let clean = iris_text().replace("\"data/iris.csv\"", &format!("{:?}", data.display().to_string()));
    let broken = clean.replace("petal_length * petal_width", "petal_lenght * petal_width").replace("tanh", "tahn");
    let spec = dir.join("spec.mlp");
    std::fs::write(&spec, &broken).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlpc")).args(["check", "--format", "json"]).arg(&spec).output().unwrap();
    let expected: Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = expected["diagnostics"].as_array().unwrap().clone();
    assert!(expected.len() >= 2, "{expected:?}");

    let mut client = Client::start();
    let uri = uri(&spec);
    // On open, the clean text (the editor's, not the disk's) has no problems.
    client.open(&uri, &clean);
    let published = client.diagnostics(&uri);
    assert_eq!(published["diagnostics"], json!([]), "{published}");

    // Changes in a burst are checked once the burst is over; the last text counts.
    client.change(&uri, 2, &clean.replace("petal_width", "petal_w"));
    client.change(&uri, 3, &broken);
    let mut published = client.diagnostics(&uri);
    while published["version"] != json!(3) {
        published = client.diagnostics(&uri);
    }
    let got = published["diagnostics"].as_array().unwrap();
    assert_eq!(got.len(), expected.len(), "{got:?}\n{expected:?}");
    for (lsp, cli) in got.iter().zip(&expected) {
        assert_eq!(lsp["code"], cli["code"]);
        let mut message = cli["message"].as_str().unwrap().to_string();
        if let Some(help) = cli["help"].as_str() {
            message = format!("{message}\nhelp: {help}");
        }
        assert_eq!(lsp["message"], json!(message));
        assert_eq!(lsp["range"]["start"]["line"], json!(cli["span"]["line"].as_u64().unwrap() - 1));
        assert_eq!(lsp["severity"], json!(if cli["severity"] == "error" { 1 } else { 2 }));
    }
    client.shutdown();
}

#[test]
fn diagnostic_ranges_count_utf16_units() {
    let mut client = Client::start();
    let uri = "file:///nowhere/utf16.mlp";
    // `𝄞` is two UTF-16 units, four bytes: the error after it starts at column 17, not 19.
    let text = "pipeline p {\n  x = \"𝄞\"; nope\n}\n";
    client.open(uri, text);
    let published = client.diagnostics(uri);
    let first = &published["diagnostics"][0];
    assert_eq!(first["code"], "E0001", "{published}");
    let start = &first["range"]["start"];
    let line = text.lines().nth(start["line"].as_u64().unwrap() as usize).unwrap();
    let units: usize = start["character"].as_u64().unwrap() as usize;
    let prefix: String = line.encode_utf16().take(units).map(|u| u as u8 as char).collect();
    assert_eq!(prefix.len(), units);
    assert!(units <= line.encode_utf16().count());
    client.shutdown();
}

#[test]
fn formatting_matches_mlpc_fmt() {
    let mut client = Client::start();
    let uri = uri(&iris_path());
    let messy = iris_text().replace("  seed = 7", "      seed=7");
    client.open(&uri, &messy);
    let response = client.request(
        "textDocument/formatting",
        json!({
            "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true }
        }),
    );
    let edits = response["result"].as_array().expect("edits");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], json!(iris_text()), "the example is formatted, so fmt gives it back");

    // Already formatted: no edit.
    client.change(&uri, 2, &iris_text());
    let response = client.request(
        "textDocument/formatting",
        json!({
            "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true }
        }),
    );
    assert_eq!(response["result"], json!([]), "{response}");

    // Syntax errors: refused, as `mlpc fmt` refuses.
    client.change(&uri, 3, &iris_text().replace("seed = 7", "seed = = 7"));
    let response = client.request(
        "textDocument/formatting",
        json!({
            "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true }
        }),
    );
    assert!(response["result"].is_null() && response["error"].is_object(), "{response}");
    client.shutdown();
}

#[test]
fn document_symbols_outline_half_typed_files() {
    let mut client = Client::start();
    let uri = uri(&iris_path());
    let text = iris_text().replace("baseline majority = majority_class()", "baseline majority = majority_class(");
    client.open(&uri, &text);
    let response = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    let symbols = response["result"].as_array().expect("symbols");
    let names: Vec<&str> = symbols.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"petal_area") && names.contains(&"logistic") && names.contains(&"release"), "{names:?}");
    assert!(!names.contains(&"majority"), "the broken definition is skipped: {names:?}");
    let feature = symbols.iter().find(|s| s["name"] == "petal_area").unwrap();
    assert_eq!(feature["selectionRange"]["start"], position(&text, "petal_area ="));
    assert_eq!(feature["detail"], "feature");
    client.shutdown();
}

#[test]
fn hover_shows_builtins_and_definitions() {
    let mut client = Client::start();
    let uri = uri(&iris_path());
    let text = iris_text();
    client.open(&uri, &text);
    let hover = |client: &mut Client, needle: &str| {
        client.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": position(&text, needle) }),
        )
    };
    let adamw = hover(&mut client, "adamw(");
    let value = adamw["result"]["contents"]["value"].as_str().expect("hover text");
    assert!(value.contains("adamw(") && value.contains("lr"), "{value}");
    let zscore = hover(&mut client, "zscore");
    assert!(zscore["result"]["contents"]["value"].as_str().unwrap().contains("zscore"), "{zscore}");
    let feature = hover(&mut client, "petal_area =");
    let value = feature["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("feature petal_area") && value.contains("Petal area"), "{value}");
    client.shutdown();
}

#[test]
fn bad_requests_get_null_or_errors_never_a_crash() {
    let mut client = Client::start();
    let uri = uri(&iris_path());
    client.open(&uri, &iris_text());
    let past_end = client.request(
        "textDocument/hover",
        json!({
            "textDocument": { "uri": uri }, "position": { "line": 9999, "character": 9999 }
        }),
    );
    assert!(past_end["error"].is_null(), "{past_end}");
    let unknown = client.request(
        "textDocument/hover",
        json!({
            "textDocument": { "uri": "file:///no/such.mlp" }, "position": { "line": 0, "character": 0 }
        }),
    );
    assert!(unknown["result"].is_null(), "{unknown}");
    let garbage = client.request("textDocument/formatting", json!({ "nonsense": true }));
    assert!(garbage["error"].is_object(), "{garbage}");
    let unsupported = client.request("workspace/nonsense", json!({}));
    assert!(unsupported["error"].is_object(), "{unsupported}");
    // Mid-character and odd text in a change still checks.
    client.change(&uri, 2, "\u{0}\u{feff}pipeline 𝄞 {");
    let response = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert!(response["error"].is_null(), "{response}");
    client.shutdown();
}

fn labels(response: &Value) -> Vec<String> {
    let items = response["result"].as_array().or_else(|| response["result"]["items"].as_array()).expect("items");
    items.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn completion_offers_keywords_builtins_columns_and_metrics() {
    let mut client = Client::start();
    let uri = uri(&iris_path());
    let clean = iris_text();
    // A clean check first, so columns and metrics are known while the user types.
    client.open(&uri, &clean);
    client.diagnostics(&uri);
    let text = format!("{clean}\n\nfeature ratio = sep\n");
    client.change(&uri, 2, &text);
    let at = |text: &str, needle: &str| {
        let mut p = position(text, needle);
        p["character"] = json!(p["character"].as_u64().unwrap() + needle.len() as u64);
        p
    };
    let complete = |client: &mut Client, position: Value| {
        client.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": position }))
    };

    let columns = labels(&complete(&mut client, at(&text, "feature ratio = sep")));
    assert!(columns.contains(&"sepal_length".to_string()), "{columns:?}");

    let keywords = labels(&complete(&mut client, json!({ "line": text.lines().count(), "character": 0 })));
    assert!(keywords.contains(&"model".to_string()) && keywords.contains(&"gate".to_string()), "{keywords:?}");

    let optimizers = complete(&mut client, at(&text, "  optimizer = "));
    let items = optimizers["result"].as_array().unwrap();
    let adam = items.iter().find(|i| i["label"] == "adam").expect("adam offered");
    let snippet = adam["insertText"].as_str().unwrap();
    assert!(snippet.starts_with("adam(lr: ${1:"), "{snippet}");
    assert!(!labels(&optimizers).contains(&"zscore".to_string()));

    let metrics = labels(&complete(&mut client, at(&text, "  mlp.")));
    assert!(metrics.contains(&"accuracy".to_string()) && metrics.contains(&"f1_macro".to_string()), "{metrics:?}");

    // A position past the end still answers.
    let far = complete(&mut client, json!({ "line": 9999, "character": 3 }));
    assert!(far["error"].is_null(), "{far}");
    client.shutdown();
}

#[test]
fn hover_shows_column_types() {
    let mut client = Client::start();
    let uri = uri(&iris_path());
    let text = iris_text();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let response = client.request(
        "textDocument/hover",
        json!({
            "textDocument": { "uri": uri }, "position": position(&text, "petal_length *")
        }),
    );
    let value = response["result"]["contents"]["value"].as_str().expect("hover text");
    assert!(value.contains("column petal_length: float"), "{value}");
    let response = client.request(
        "textDocument/hover",
        json!({
            "textDocument": { "uri": uri }, "position": position(&text, "petal_area =")
        }),
    );
    let value = response["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("type: `float`"), "{value}");
    client.shutdown();
}

/// A two-file project in a scratch folder: `main.mlp` (iris) importing `common.mlp` (a metric).
fn import_project(name: &str) -> (PathBuf, String) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lsp-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = root().join("examples/iris/data/iris.csv");
    std::fs::write(dir.join("common.mlp"), "metric f1_macro = f1()\n").unwrap();
    let text = format!(
        "import \"common.mlp\"\n\n{}",
        iris_text()
            .replace("\"data/iris.csv\"", &format!("{:?}", data.display().to_string()))
            .replace("metric f1_macro = f1()\n", "")
    );
    let main = dir.join("main.mlp");
    std::fs::write(&main, &text).unwrap();
    (main, text)
}

#[test]
fn definition_references_and_rename_across_imports() {
    let (main, text) = import_project("nav");
    let mut client = Client::start();
    let uri = uri(&main);
    client.open(&uri, &text);
    let published = client.diagnostics(&uri);
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    let at = |needle: &str| json!({ "textDocument": { "uri": uri }, "position": position(&text, needle) });

    let mut params = at("f1_macro on test");
    let definition = client.request("textDocument/definition", params.clone());
    assert!(definition["result"]["uri"].as_str().unwrap().ends_with("common.mlp"), "{definition}");
    assert_eq!(definition["result"]["range"]["start"], json!({ "line": 0, "character": 7 }));

    params["context"] = json!({ "includeDeclaration": true });
    let references = client.request("textDocument/references", params);
    assert_eq!(references["result"].as_array().unwrap().len(), 2, "{references}");

    // The model `mlp`: its definition, the `search mlp` block, three gate rules and `bundle(mlp)`.
    let mut params = at("mlp = mlp(");
    params["context"] = json!({ "includeDeclaration": true });
    let references = client.request("textDocument/references", params);
    assert_eq!(references["result"].as_array().unwrap().len(), 6, "{references}");

    let mut params = at("mlp = mlp(");
    params["newName"] = json!("net");
    let rename = client.request("textDocument/rename", params);
    let edits = rename["result"]["changes"][&uri].as_array().expect("edits in main.mlp");
    assert_eq!(edits.len(), 6, "{rename}");
    assert!(edits.iter().all(|e| e["newText"] == "net"));
    let call = position(&text, "mlp(hidden");
    assert!(!edits.iter().any(|e| e["range"]["start"] == call), "the built-in call keeps its name");

    // Built-ins are not renamed.
    let mut params = at("adamw(");
    params["newName"] = json!("fast");
    let refused = client.request("textDocument/rename", params);
    assert!(refused["error"].is_object(), "{refused}");
    client.shutdown();
}

#[test]
fn semantic_tokens_classify_the_text() {
    let mut client = Client::start();
    let uri = uri(&iris_path());
    let text = iris_text();
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let response = client.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
    let data: Vec<u64> =
        response["result"]["data"].as_array().expect("data").iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(data.len() % 5, 0);
    // Decode to (line, column, length, type) and look up a few known tokens.
    let (mut line, mut column) = (0, 0);
    let mut tokens = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            column = 0;
        }
        line += t[0];
        column += t[1];
        tokens.push((line, column, t[2], t[3], t[4]));
    }
    let kind = |needle: &str| {
        let p = position(&text, needle);
        let (l, c) = (p["line"].as_u64().unwrap(), p["character"].as_u64().unwrap());
        tokens.iter().find(|t| t.0 == l && t.1 == c).map(|t| (t.3, t.4))
    };
    // Legend order: keyword, variable, function, property, string, number, comment.
    assert_eq!(kind("// Iris"), Some((6, 0)));
    assert_eq!(kind("pipeline iris"), Some((0, 0)));
    assert_eq!(kind("petal_area ="), Some((1, 1)), "a definition, declared");
    assert_eq!(kind("petal_length *"), Some((3, 0)), "a column");
    assert_eq!(kind("adamw("), Some((2, 0)), "a built-in");
    assert_eq!(kind("\"data/iris.csv\""), Some((4, 0)));
    assert_eq!(kind("1e-3"), Some((5, 0)));
    client.shutdown();
}

#[test]
fn code_action_applies_did_you_mean() {
    let mut client = Client::start();
    let uri = uri(&iris_path());
    let text = iris_text().replace("epochs = 300", "epocs = 300");
    client.open(&uri, &text);
    let published = client.diagnostics(&uri);
    let diagnostic = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("did you mean `epochs`?"))
        .unwrap_or_else(|| panic!("a did-you-mean: {published}"))
        .clone();
    let response = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri }, "range": diagnostic["range"], "context": { "diagnostics": [diagnostic] }
        }),
    );
    let actions = response["result"].as_array().expect("actions");
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "epochs");
    assert_eq!(edit["range"]["start"], position(&text, "epocs"));
    client.shutdown();
}

#[test]
fn hover_shows_category_levels() {
    let mut client = Client::start();
    let path = root().join("examples/titanic/titanic.mlp");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = uri(&path);
    client.open(&uri, &text);
    client.diagnostics(&uri);
    let response = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": position(&text, "sex == \"women\" or age == \"child\"\n") }),
    );
    let value = response["result"]["contents"]["value"].as_str().expect("hover text");
    assert!(
        value.contains("column sex: category") && value.contains("levels: ") && value.contains("`women`"),
        "{value}"
    );
    client.shutdown();
}
