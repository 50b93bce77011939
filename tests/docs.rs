//! Every ```mlp example in docs/language.md is checked with the real binary: it must give exactly
//! the diagnostics its `// E0xxx` comments name, on those lines (none means it checks clean).
//! Each block is preceded by `<!-- check: CONTEXT [ignore CODE ...] -->`, where CONTEXT names a
//! prelude below that the fragment is appended to (`none` for a complete spec).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const BC: &str = "source tumors = csv(\"data/breast_cancer.csv\") {\n  label = diagnosis\n  positive = malignant\n}\n\
dataset cells = tumors\nobjective maximize accuracy\nbaseline majority = majority_class()\n";
const IRIS_DATA: &str = "source flowers = csv(\"data/iris.csv\") {\n  label = species\n}\n";
const IRIS_REST: &str =
    "dataset measurements = flowers\nobjective maximize accuracy\nbaseline majority = majority_class()\n";
const TITANIC: &str = "source passengers = csv(\"data/titanic.csv\") {\n  label = survived\n  positive = yes\n}\n\
dataset manifest = passengers\nobjective maximize accuracy\nbaseline majority = majority_class()\n";

fn prelude(context: &str) -> String {
    match context {
        "none" => String::new(),
        "bc" => BC.to_string(),
        "bc-net" => format!("{BC}model net = mlp()\n"),
        "bc-api" => format!("{BC}model net = mlp()\ndeploy api = http(net)\n"),
        "bc-noobj" => BC.replace("objective maximize accuracy\n", ""),
        "bc-data" => BC
            .replace("dataset cells = tumors\nobjective maximize accuracy\nbaseline majority = majority_class()\n", ""),
        "iris" => format!("{IRIS_DATA}{IRIS_REST}"),
        "iris-net" => format!("{IRIS_DATA}{IRIS_REST}model net = mlp()\n"),
        "iris-data" => IRIS_DATA.to_string(),
        "titanic" => TITANIC.to_string(),
        other => panic!("docs/language.md names an unknown check context `{other}`"),
    }
}

/// (context words, body) of every checked block, and the number of ```mlp blocks in all.
fn blocks(text: &str) -> (Vec<(Vec<String>, String)>, usize) {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("<!-- check:") {
        rest = &rest[at + "<!-- check:".len()..];
        let end = rest.find("-->").expect("check comment closes");
        let words = rest[..end].split_whitespace().map(str::to_string).collect();
        let after = rest[end + 3..].trim_start();
        let body = after.strip_prefix("```mlp\n").expect("a check comment stands right above an mlp block");
        let close = body.find("```").expect("mlp block closes");
        found.push((words, body[..close].to_string()));
        rest = &body[close..];
    }
    (found, text.matches("```mlp\n").count())
}

/// (line, code) pairs named by `// ... E0xxx` comments in a block.
fn expected(body: &str) -> BTreeSet<(usize, String)> {
    let mut want = BTreeSet::new();
    for (n, line) in body.lines().enumerate() {
        let Some(comment) = line.find("//").map(|at| &line[at..]) else { continue };
        for word in comment.split(|c: char| !c.is_ascii_alphanumeric()) {
            let bytes = word.as_bytes();
            if bytes.len() == 5 && (bytes[0] == b'E' || bytes[0] == b'W') && bytes[1..].iter().all(u8::is_ascii_digit) {
                want.insert((n + 1, word.to_string()));
            }
        }
    }
    want
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlpc-docs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for file in ["breast_cancer.csv", "iris.csv", "titanic.csv", "pixels.csv", "digits-images.idx", "digits-labels.idx"]
    {
        std::fs::copy(data.join(file), dir.join("data").join(file)).unwrap();
    }
    dir
}

#[test]
fn language_reference_examples_check_as_documented() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md")).unwrap();
    let (blocks, total) = blocks(&text);
    assert_eq!(blocks.len(), total, "every ```mlp block in docs/language.md needs a <!-- check: ... --> comment");
    let dir = scratch();
    let mut failures = Vec::new();
    for (n, (words, body)) in blocks.iter().enumerate() {
        let pre = prelude(&words[0]);
        let ignore: Vec<&str> = if words.get(1).map(String::as_str) == Some("ignore") {
            words[2..].iter().map(String::as_str).collect()
        } else {
            Vec::new()
        };
        let path = dir.join(format!("block{n:02}.mlp"));
        std::fs::write(&path, format!("{pre}{body}")).unwrap();
        let out =
            Command::new(env!("CARGO_BIN_EXE_mlpc")).args(["check", "--format", "json"]).arg(&path).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON diagnostics");
        let offset = pre.lines().count();
        let got: BTreeSet<(usize, String)> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| !ignore.contains(&d["code"].as_str().unwrap()))
            .map(|d| (d["span"]["line"].as_u64().unwrap() as usize - offset, d["code"].as_str().unwrap().to_string()))
            .collect();
        let want = expected(body);
        if got != want {
            let first = body.lines().next().unwrap_or_default();
            failures.push(format!("block {n} (`{first}`): documented {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "docs/language.md examples disagree with mlpc:\n{}", failures.join("\n"));
}

/// ARCHITECTURE.md names every source file of every crate (crate roots, `mod.rs` and test modules
/// aside), so the map of where things live cannot fall behind the code.
#[test]
fn architecture_names_every_source_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut missing = Vec::new();
    for src in ["compiler/src", "data/src", "expr/src", "stdlib/src", "runtime/src", "lsp/src", "src"] {
        let mut files = Vec::new();
        walk(&root.join(src), &mut files);
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            if ["lib.rs", "main.rs", "mod.rs", "tests.rs"].contains(&name.as_str()) {
                continue;
            }
            if !map.contains(&name) {
                missing.push(file.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md does not mention: {missing:?}");
}
