//! The editor queries compile against the language, and the highlight query captures only
//! standard names.

use tree_sitter::{Language, Query};

fn language() -> Language {
    tree_sitter_mlp::LANGUAGE.into()
}

fn compile(name: &str, source: &str) -> Query {
    Query::new(&language(), source).unwrap_or_else(|e| panic!("queries/{name}: {e}"))
}

#[test]
fn highlights_compile() {
    let query = compile("highlights.scm", tree_sitter_mlp::HIGHLIGHTS_QUERY);
    assert!(query.pattern_count() > 10);
    for name in query.capture_names() {
        let top = name.split('.').next().unwrap();
        assert!(
            [
                "comment",
                "keyword",
                "function",
                "variable",
                "property",
                "number",
                "string",
                "boolean",
                "operator",
                "punctuation",
                "type",
                "constant",
                "module",
                "label",
            ]
            .contains(&top),
            "non-standard capture @{name}"
        );
    }
}

#[test]
fn folds_compile() {
    compile("folds.scm", tree_sitter_mlp::FOLDS_QUERY);
}

#[test]
fn indents_compile() {
    compile("indents.scm", tree_sitter_mlp::INDENTS_QUERY);
}

#[test]
fn locals_compile() {
    compile("locals.scm", tree_sitter_mlp::LOCALS_QUERY);
}

#[test]
fn node_types_is_json_array() {
    let text = tree_sitter_mlp::NODE_TYPES.trim_start();
    assert!(text.starts_with('[') && text.contains("\"source_file\""));
}
