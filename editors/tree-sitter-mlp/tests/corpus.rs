//! Runs the tree-sitter corpus in test/corpus/*.txt without tree-sitter-cli.
//!
//! Format (as `tree-sitter test`): a `===` line, the title, a `===` line, the input, a `---`
//! line, the expected S-expression. Expected and actual trees are compared token by token, so
//! whitespace and line breaks in the expected tree do not matter.
//!
//! `UPDATE_CORPUS=1 cargo test -p tree-sitter-mlp --test corpus` rewrites the expected trees
//! from the parser's output (review the diff before committing).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

struct Case {
    title: String,
    input: String,
    expected: String,
}

fn is_rule(line: &str, c: char) -> bool {
    line.len() >= 3 && line.trim_end().chars().all(|x| x == c)
}

fn parse_corpus(text: &str) -> Vec<Case> {
    let lines: Vec<&str> = text.lines().collect();
    let mut cases = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_rule(lines[i], '=') {
            assert!(lines[i].trim().is_empty(), "unexpected line outside a case: {:?}", lines[i]);
            i += 1;
            continue;
        }
        let title = lines[i + 1].trim().to_string();
        assert!(is_rule(lines[i + 2], '='), "missing closing `===` after title {title:?}");
        i += 3;
        let start = i;
        while !is_rule(lines[i], '-') {
            i += 1;
        }
        let input = lines[start..i].join("\n").trim().to_string() + "\n";
        i += 1;
        let start = i;
        while i < lines.len() && !is_rule(lines[i], '=') {
            i += 1;
        }
        let expected = lines[start..i].join("\n").trim().to_string();
        cases.push(Case { title, input, expected });
    }
    cases
}

/// `(a f: (b))` -> ["(a", "f:", "(b", ")", ")"]
fn tokens(sexp: &str) -> Vec<String> {
    let spaced = sexp.replace('(', " ( ").replace(')', " ) ");
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for word in spaced.split_whitespace() {
        match word {
            "(" => {
                out.push("(".into());
                open = true;
            }
            ")" => {
                out.push(")".into());
                open = false;
            }
            w if w.ends_with(':') => {
                out.push(w.into());
                open = false;
            }
            w if open => {
                let last = out.last_mut().unwrap();
                if last != "(" {
                    last.push(' ');
                }
                last.push_str(w);
            }
            w => out.push(w.into()),
        }
    }
    out
}

/// Pretty-prints an S-expression one node per line, fields before their node.
fn pretty(sexp: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut after_field = false;
    for tok in tokens(sexp) {
        if tok == ")" {
            out.push(')');
            depth -= 1;
        } else if tok.ends_with(':') {
            write!(out, "\n{}{} ", "  ".repeat(depth), tok).unwrap();
            after_field = true;
        } else {
            if !after_field && depth > 0 {
                write!(out, "\n{}", "  ".repeat(depth)).unwrap();
            }
            out.push_str(&tok);
            depth += 1;
            after_field = false;
        }
    }
    out
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test/corpus");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", dir.display());
    files
}

#[test]
fn corpus() {
    let update = std::env::var_os("UPDATE_CORPUS").is_some();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_mlp::LANGUAGE.into()).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in corpus_files() {
        let text = fs::read_to_string(&file).unwrap();
        let mut rewritten = String::new();
        for case in parse_corpus(&text) {
            count += 1;
            let tree = parser.parse(&case.input, None).unwrap();
            let actual = tree.root_node().to_sexp();
            if update {
                let bar = "=".repeat(18);
                write!(rewritten, "{bar}\n{}\n{bar}\n\n{}\n---\n\n{}\n\n", case.title, case.input, pretty(&actual))
                    .unwrap();
            } else if tokens(&actual) != tokens(&case.expected) {
                failures.push(format!(
                    "{}: {}\nexpected:\n{}\nactual:\n{}\n",
                    file.file_name().unwrap().to_string_lossy(),
                    case.title,
                    pretty(&case.expected),
                    pretty(&actual)
                ));
            }
        }
        if update {
            fs::write(&file, rewritten.trim_end().to_string() + "\n").unwrap();
        }
    }
    assert!(count > 0);
    assert!(failures.is_empty(), "{} of {count} corpus cases failed:\n\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn corpus_has_no_errors() {
    // Every corpus case is a valid program; an ERROR or MISSING node means the grammar is wrong
    // (or the expected tree was updated blindly).
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_mlp::LANGUAGE.into()).unwrap();
    for file in corpus_files() {
        for case in parse_corpus(&fs::read_to_string(&file).unwrap()) {
            let tree = parser.parse(&case.input, None).unwrap();
            assert!(
                !tree.root_node().has_error(),
                "{}: {}: {}",
                file.display(),
                case.title,
                tree.root_node().to_sexp()
            );
        }
    }
}
