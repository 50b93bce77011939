//! Tree-sitter grammar for `.mlp` ML pipeline specs.
//!
//! ```
//! let code = "model m = mlp(hidden: [64])\n";
//! let mut parser = tree_sitter::Parser::new();
//! let language = tree_sitter::Language::new(tree_sitter_mlp::LANGUAGE);
//! parser.set_language(&language).expect("loading the mlp grammar");
//! let tree = parser.parse(code, None).unwrap();
//! assert!(!tree.root_node().has_error());
//! ```

use tree_sitter_language::LanguageFn;

unsafe extern "C" {
    fn tree_sitter_mlp() -> *const ();
}

/// The tree-sitter [`LanguageFn`] for this grammar.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_mlp) };

/// The content of the [`node-types.json`] file for this grammar.
///
/// [`node-types.json`]: https://tree-sitter.github.io/tree-sitter/using-parsers/6-static-node-types
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");

/// Syntax highlighting query.
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");
/// Code folding query.
pub const FOLDS_QUERY: &str = include_str!("../../queries/folds.scm");
/// Indentation query (nvim-treesitter / Helix captures).
pub const INDENTS_QUERY: &str = include_str!("../../queries/indents.scm");
/// Local scopes, definitions and references.
pub const LOCALS_QUERY: &str = include_str!("../../queries/locals.scm");

#[cfg(test)]
mod tests {
    #[test]
    fn can_load_grammar() {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&super::LANGUAGE.into()).expect("Error loading the mlp parser");
    }
}
