//! `textDocument/documentSymbol`: the outline of a file's top-level definitions, from the parse
//! alone, so half-typed files still get one (chunks that failed to parse are skipped).

use crate::position::LineMap;
use lsp_types::{DocumentSymbol, SymbolKind};
use mlp_compiler::FileId;
use mlp_compiler::ast::{DefKind, Item};

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written even though it is deprecated.
pub fn outline(text: &str) -> Vec<DocumentSymbol> {
    let (ast, _) = mlp_compiler::syntax::parse(text, FileId(0));
    let map = LineMap::new(text);
    let symbol = |name: String, detail: &str, kind, span, name_span| DocumentSymbol {
        name,
        detail: Some(detail.to_string()),
        kind,
        tags: None,
        deprecated: None,
        range: map.range(text, span),
        selection_range: map.range(text, name_span),
        children: None,
    };
    ast.items
        .iter()
        .filter_map(|item| match item {
            Item::Definition(def) => {
                Some(symbol(def.name.name.clone(), def.kind.keyword(), symbol_kind(def.kind), def.span, def.name.span))
            }
            Item::Import(import) => {
                Some(symbol(import.path.value.clone(), "import", SymbolKind::MODULE, import.span, import.path.span))
            }
            Item::Objective(objective) => Some(symbol(
                format!("objective {}", objective.metric),
                "objective",
                SymbolKind::EVENT,
                objective.span,
                objective.metric.span,
            )),
            Item::Extern(_) | Item::Error(_) => None,
        })
        .collect()
}

/// The LSP kind shown for each definition kind (icons in editors' outlines).
pub fn symbol_kind(kind: DefKind) -> SymbolKind {
    match kind {
        DefKind::Pipeline => SymbolKind::NAMESPACE,
        DefKind::Source => SymbolKind::FILE,
        DefKind::Dataset => SymbolKind::STRUCT,
        DefKind::Feature => SymbolKind::FIELD,
        DefKind::Metric => SymbolKind::FUNCTION,
        DefKind::Baseline | DefKind::Model => SymbolKind::CLASS,
        DefKind::Search => SymbolKind::OPERATOR,
        DefKind::Gate => SymbolKind::BOOLEAN,
        DefKind::Deploy => SymbolKind::PACKAGE,
        DefKind::Monitor => SymbolKind::EVENT,
    }
}
