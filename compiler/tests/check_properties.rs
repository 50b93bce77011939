//! The checker never panics on user input: mutated versions of the examples (tokens deleted,
//! duplicated, swapped and replaced by other tokens of the language) all compile to diagnostics.

use mlp_compiler::program::Format;
use mlp_compiler::world::{Sample, SampleError, World};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Serves specs from memory and samples of the examples' (unquoted) CSV files from disk.
struct ExampleWorld;

impl World for ExampleWorld {
    fn read_source(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }

    fn sample(&self, format: &Format, path: &Path, max_rows: usize) -> Result<Sample, SampleError> {
        let Format::Csv { delimiter, .. } = format else {
            return Err(SampleError::Unsupported(format!("{} in this test's world", format.name())));
        };
        let delimiter = delimiter.byte();
        let text = std::fs::read_to_string(path).map_err(|_| SampleError::NotFound)?;
        let split = |line: &str| line.split(delimiter as char).map(str::to_string).collect::<Vec<_>>();
        let mut lines = text.lines();
        let columns = split(lines.next().ok_or(SampleError::Empty)?);
        let rows = lines.take(max_rows).map(|l| split(l).into_iter().map(Some).collect()).collect();
        Ok(Sample { path: path.to_path_buf(), columns, rows, lines: Vec::new() })
    }
}

fn examples() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    ["breast_cancer", "iris", "titanic"]
        .iter()
        .map(|name| {
            let path = root.join(name).join(format!("{name}.mlp"));
            let text = std::fs::read_to_string(&path).expect("example spec");
            (path, text)
        })
        .collect()
}

/// Tokens of the language to splice into specs.
const TOKENS: &[&str] = &[
    "model",
    "dataset",
    "source",
    "feature",
    "metric",
    "gate",
    "search",
    "deploy",
    "monitor",
    "objective",
    "maximize",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "=",
    "==",
    ",",
    ":",
    ".",
    "->",
    ">=",
    "<",
    "-",
    "+",
    "*",
    "/",
    "and",
    "or",
    "not",
    "if",
    "then",
    "else",
    "in",
    "on",
    "over",
    "by",
    "beats",
    "drift",
    "0",
    "1",
    "-1",
    "0.5",
    "1e9",
    "5%",
    "\"x\"",
    "mlp",
    "cnn",
    "lstm",
    "layers",
    "schema",
    "label",
    "split",
    "stratified",
    "dense(3)",
    "flatten()",
    "conv2d(2, 9)",
    "choice()",
    "uniform(1, 0)",
    "grid()",
    "accuracy",
    "mse",
    "test",
    "train",
    "\n",
    "//",
    "///",
    "extern",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut words: Vec<String> = text.split_inclusive(|c: char| c.is_whitespace()).map(str::to_string).collect();
    for edit in edits {
        if words.is_empty() {
            break;
        }
        match *edit {
            Edit::Delete(at, len) => {
                let at = at % words.len();
                let end = (at + len % 4 + 1).min(words.len());
                words.drain(at..end);
            }
            Edit::Insert(at, token) => {
                let at = at % (words.len() + 1);
                words.insert(at, format!("{} ", TOKENS[token % TOKENS.len()]));
            }
            Edit::Duplicate(at, len) => {
                let at = at % words.len();
                let end = (at + len % 8 + 1).min(words.len());
                let copy: Vec<String> = words[at..end].to_vec();
                words.splice(end..end, copy);
            }
        }
    }
    words.concat()
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Delete(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Insert(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Duplicate(a, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_examples_compile_without_panicking(which in 0usize..3, edits in prop::collection::vec(edit_strategy(), 1..6)) {
        let (path, text) = &examples()[which];
        let mutated = apply(text, &edits);
        let compilation = mlp_compiler::compile_text(&ExampleWorld, path, &mutated);
        // Whatever the outcome, errors come with a span inside the file and the severity of their code.
        for diagnostic in &compilation.diagnostics {
            let file = compilation.file(diagnostic.file).expect("diagnostic in a known file");
            prop_assert!(diagnostic.span.end <= file.text.len(), "{diagnostic:?}");
            prop_assert_eq!(diagnostic.code.severity(), diagnostic.severity, "{:?}", diagnostic);
        }
        if let Some(program) = &compilation.program {
            let plan = mlp_compiler::plan::lower(program);
            prop_assert!(plan.topological_order().is_ok());
        }
    }
}

#[test]
fn examples_compile_clean_in_memory() {
    for (path, text) in examples() {
        let compilation = mlp_compiler::compile_text(&ExampleWorld, &path, &text);
        assert!(compilation.diagnostics.is_empty(), "{}: {:#?}", path.display(), compilation.diagnostics);
    }
}
