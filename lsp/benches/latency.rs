//! Latency of the language server's hot paths on a 5,000-line spec, in-process (no binary, no
//! pipes): (a) a one-character edit re-checked into diagnostics, (b) a completion request.
//! Goals: diagnostics under 50 ms, completion under 20 ms. Run: `cargo bench -p mlp-lsp`.

use criterion::{Criterion, criterion_group, criterion_main};
use lsp_server::{Request, RequestId};
use lsp_types::Url;
use mlp_compiler::program::Format;
use mlp_compiler::world::{Sample, SampleError, World};
use mlp_lsp::Server;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Reads sources and plain CSV samples from disk (the runtime's world would pull in Candle).
struct BenchWorld;

impl World for BenchWorld {
    fn read_source(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
    fn sample(&self, format: &Format, path: &Path, max_rows: usize) -> Result<Sample, SampleError> {
        let Format::Csv { delimiter, .. } = format else {
            return Err(SampleError::Unsupported(format!("{} in this test's world", format.name())));
        };
        let delimiter = delimiter.byte();
        let text = std::fs::read_to_string(path).map_err(|_| SampleError::NotFound)?;
        let split = |line: &str| line.split(delimiter as char).map(|c| c.trim().to_string()).collect::<Vec<_>>();
        let mut lines = text.lines();
        let columns = split(lines.next().ok_or(SampleError::Empty)?);
        let rows = lines
            .take(max_rows)
            .map(|l| split(l).into_iter().map(|c| Some(c).filter(|c| !c.is_empty())).collect())
            .collect();
        Ok(Sample { path: path.to_path_buf(), columns, rows, lines: Vec::new() })
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// The iris example followed by features and metrics until the spec is 5,000 lines long.
fn big_spec() -> String {
    let mut text = std::fs::read_to_string(root().join("examples/iris/iris.mlp")).expect("iris example");
    let mut i = 0;
    while text.lines().count() < 5000 {
        text.push_str(&format!(
            "\n/// Feature {i}.\nfeature f{i} = petal_length * {i}.5 + sepal_width / (petal_width + 1.0)\n"
        ));
        if i % 10 == 0 {
            text.push_str(&format!("metric m{i} = f1()\n"));
        }
        i += 1;
    }
    text
}

fn latency(c: &mut Criterion) {
    // Never written to disk: the server checks the in-memory text, next to the example's data.
    let uri = Url::from_file_path(root().join("examples/iris/bench.mlp")).expect("file URI");
    let text = big_spec();
    let mut server = Server::new(Box::new(BenchWorld));
    server.set_text(uri.clone(), text.clone(), 1);
    let published = server.check(&uri).expect("checked");
    eprintln!("{} lines, {} diagnostics", text.lines().count(), published.diagnostics.len());

    // (a) A one-character edit (a digit of the last feature flips) and its diagnostics.
    let edited = {
        let at = text.rfind(".5 +").expect("a feature");
        let mut edited = text.clone();
        edited.replace_range(at + 1..at + 2, "7");
        edited
    };
    let mut version = 1;
    c.bench_function("edit_to_diagnostics_5000_lines", |b| {
        b.iter(|| {
            version += 1;
            let next = if version % 2 == 0 { &edited } else { &text };
            server.set_text(uri.clone(), next.clone(), version);
            server.check(&uri).expect("checked")
        })
    });

    // (b) Completion inside a feature expression (columns, functions, names in scope).
    let line = text.lines().count() - 1;
    let request = Request {
        id: RequestId::from(1),
        method: "textDocument/completion".into(),
        params: json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": 30 } }),
    };
    c.bench_function("completion_5000_lines", |b| b.iter(|| server.handle(&request).expect("completion")));
}

criterion_group!(benches, latency);
criterion_main!(benches);
