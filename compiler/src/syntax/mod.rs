//! Source text to [`Ast`]. Parsing never fails: it returns the tree, with [`Item::Error`] for each
//! definition that did not parse, and every syntax diagnostic.

mod chunk;
mod expected;
mod lower;

pub use chunk::{MAX_IFS, MAX_NESTING, TOP_LEVEL_KEYWORDS};

use crate::ast::{Ast, Item};
use crate::codes::Code;
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
            Diagnostic::error(Code::E0001, file, span, format!("expected a definition, found {found}"))
                .with_primary("not part of any definition")
                .with_help("start each definition in column 0 with a keyword such as `source`, `dataset` or `model`"),
        );
    }
    let last = chunks.chunks.len().saturating_sub(1);
    let parse_range = |range: std::ops::Range<usize>| -> Vec<(Item, Vec<Diagnostic>)> {
        range.map(|n| parse_chunk(text, file, &chunks.chunks[n], n == last, &chunks.comments)).collect()
    };
    // Chunks are independent, so big files parse on every core; small ones are not worth a thread.
    let threads =
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(chunks.chunks.len() / PARALLEL_CHUNKS);
    let parsed: Vec<(Item, Vec<Diagnostic>)> = if threads > 1 {
        let per_thread = chunks.chunks.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = t * per_thread..((t + 1) * per_thread).min(chunks.chunks.len());
                    // The same stack as the main thread, which the nesting limits are sized for.
                    std::thread::Builder::new()
                        .stack_size(8 << 20)
                        .spawn_scoped(scope, move || parse_range(range))
                        .expect("spawning a parser thread")
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    } else {
        parse_range(0..chunks.chunks.len())
    };
    for (item, mut chunk_diagnostics) in parsed {
        items.push(item);
        diagnostics.append(&mut chunk_diagnostics);
    }
    (Ast { items, comments: chunks.comments }, diagnostics)
}

/// Chunks per thread below which a file is parsed on one thread.
const PARALLEL_CHUNKS: usize = 256;

/// One definition: its item (an error item when it does not parse) and its syntax diagnostics.
fn parse_chunk(
    text: &str,
    file: FileId,
    c: &chunk::Chunk,
    is_last: bool,
    comments: &[crate::ast::Comment],
) -> (Item, Vec<Diagnostic>) {
    if let Some(deep) = c.too_deep {
        let diagnostic = Diagnostic::error(Code::E0002, file, deep, "this definition nests too deeply")
            .with_primary(format!("more than {MAX_NESTING} levels of brackets, or more than {MAX_IFS} `if`s"))
            .with_label(Span::new(c.span.start, c.span.start), "in this definition")
            .with_help("split the expression into named `feature` definitions");
        return (Item::Error(trimmed(text, c.span)), vec![diagnostic]);
    }
    let chunk_text = &text[c.span.start..c.span.end];
    match MlpParser::parse(Rule::chunk, chunk_text) {
        Ok(mut pairs) => {
            let mut lowerer = lower::Lowerer::new(file, c.span.start, text, comments);
            let chunk_pair = pairs.next().expect("the chunk rule always yields one pair");
            let item = lowerer.definition(chunk_pair);
            (item, lowerer.diagnostics)
        }
        Err(error) => {
            let diagnostic = expected::syntax_error(text, file, c.span, is_last, &error);
            (Item::Error(trimmed(text, c.span)), vec![diagnostic])
        }
    }
}

/// The span without trailing blanks and comments, for error items.
fn trimmed(text: &str, span: Span) -> Span {
    let body = text[span.start..span.end].trim_end();
    Span::new(span.start, span.start + body.len())
}

/// Parses one expression on its own (the text of a rule or feature read back from a plan), or
/// `None` when it is not exactly one valid expression.
pub fn parse_expression(text: &str) -> Option<crate::ast::Expr> {
    let source = format!("feature expression = {text}\n");
    let (ast, diagnostics) = parse(&source, FileId(0));
    if !diagnostics.is_empty() {
        return None;
    }
    match ast.items.as_slice() {
        [Item::Definition(def)] if def.body.is_none() => def.value.clone(),
        _ => None,
    }
}
