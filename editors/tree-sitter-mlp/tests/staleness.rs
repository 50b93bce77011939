//! src/parser.c is generated from grammar.js; generate.sh records the SHA-256 of the grammar it
//! generated from in src/grammar.js.sha256. A mismatch means grammar.js was edited without
//! regenerating.

use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;

#[test]
fn parser_is_generated_from_current_grammar() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let grammar = fs::read(dir.join("grammar.js")).unwrap();
    let actual: String = Sha256::digest(&grammar).iter().map(|b| format!("{b:02x}")).collect();
    let recorded = fs::read_to_string(dir.join("src/grammar.js.sha256"))
        .expect("src/grammar.js.sha256 is missing: run editors/tree-sitter-mlp/generate.sh");
    let recorded = recorded.split_whitespace().next().unwrap_or("");
    assert_eq!(
        recorded, actual,
        "src/parser.c is stale: grammar.js changed since the last generation. Run \
         editors/tree-sitter-mlp/generate.sh (needs tree-sitter-cli) and commit src/."
    );
}
