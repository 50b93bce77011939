//! Source text to [`Ast`]. Parsing never fails: it returns the tree, with [`Item::Error`] for each
//! definition that did not parse, and every syntax diagnostic.

mod chunk;
mod expected;
mod lower;

pub use chunk::{MAX_IFS, MAX_NESTING, TOP_LEVEL_KEYWORDS};

use crate::ast::{Ast, Item};
use crate::diagnostic::{Diagnostic, FileId};
use crate::span::Span;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/mlp.pest"]
pub(crate) struct MlpParser;

/// Parses one file. The diagnostics are syntax errors only; name and type errors come later.
pub fn parse(text: &str, file: FileId) -> (Ast, Vec<Diagnostic>) {
    let chunks = chunk::split(text);
    let mut diagnostics = Vec::new();
    let mut items = Vec::new();
    if let Some(span) = chunks.preamble {
        let found = expected::describe_found(text, span.start, text.len());
        diagnostics.push(
            Diagnostic::error("E0001", file, span, format!("expected a definition, found {found}"))
                .with_primary("not part of any definition")
                .with_help("start each definition in column 0 with a keyword such as `source`, `dataset` or `model`"),
        );
    }
    for c in &chunks.chunks {
        if let Some(deep) = c.too_deep {
            diagnostics.push(
                Diagnostic::error("E0002", file, deep, "this definition nests too deeply")
                    .with_primary(format!("more than {MAX_NESTING} levels of brackets, or more than {MAX_IFS} `if`s"))
                    .with_label(Span::new(c.span.start, c.span.start), "in this definition")
                    .with_help("split the expression into named `feature` definitions"),
            );
            items.push(Item::Error(trimmed(text, c.span)));
            continue;
        }
        let chunk_text = &text[c.span.start..c.span.end];
        match MlpParser::parse(Rule::chunk, chunk_text) {
            Ok(mut pairs) => {
                let mut lowerer = lower::Lowerer::new(file, c.span.start, text, &chunks.comments);
                let chunk_pair = pairs.next().expect("the chunk rule always yields one pair");
                let item = lowerer.definition(chunk_pair);
                diagnostics.append(&mut lowerer.diagnostics);
                items.push(item);
            }
            Err(error) => {
                diagnostics.push(expected::syntax_error(text, file, c.span, chunks.chunks.last() == Some(c), &error));
                items.push(Item::Error(trimmed(text, c.span)));
            }
        }
    }
    (Ast { items, comments: chunks.comments }, diagnostics)
}

/// The span without trailing blanks and comments, for error items.
fn trimmed(text: &str, span: Span) -> Span {
    let body = text[span.start..span.end].trim_end();
    Span::new(span.start, span.start + body.len())
}
