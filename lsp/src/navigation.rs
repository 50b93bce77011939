//! `textDocument/definition`, `references` and `rename`: every place a defined name occurs, found
//! by walking the parsed files of the last compilation (the root file and its imports), so
//! navigation crosses `import`s. A `search NAME` block's name is a use of the model it tunes.

use mlp_compiler::Compilation;
use mlp_compiler::Span;
use mlp_compiler::ast::{Block, BlockItem, DefKind, Expr, ExprKind, Item};
use std::path::PathBuf;

/// One occurrence of a name in one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Occurrence {
    pub file: usize,
    pub span: Span,
    pub name: String,
    /// The defining occurrence (`feature NAME = …`), not a use.
    pub is_definition: bool,
}

/// Every definition and use of a name in the compilation's files, in file order.
pub fn occurrences(compilation: &Compilation) -> Vec<Occurrence> {
    let mut found = Vec::new();
    for (file, ast) in compilation.asts.iter().enumerate() {
        let mut push = |span: Span, name: &str, is_definition: bool| {
            found.push(Occurrence { file, span, name: name.to_string(), is_definition })
        };
        for item in &ast.items {
            match item {
                Item::Definition(def) => {
                    push(def.name.span, &def.name.name, def.kind != DefKind::Search);
                    if let Some(value) = &def.value {
                        expr(value, &mut push);
                    }
                    if let Some(body) = &def.body {
                        block(body, &mut push);
                    }
                }
                Item::Objective(objective) => expr(&objective.metric, &mut push),
                Item::Import(_) | Item::Extern(_) | Item::Error(_) => {}
            }
        }
    }
    found
}

fn block(body: &Block, push: &mut impl FnMut(Span, &str, bool)) {
    for item in &body.items {
        match item {
            BlockItem::Setting { value, .. } => expr(value, push),
            BlockItem::Nested { block: inner, .. } => block(inner, push),
            BlockItem::Column { .. } => {}
            BlockItem::Beats { model, baseline, metric, margin, .. } => {
                for ident in [model, baseline, metric] {
                    push(ident.span, &ident.name, false);
                }
                if let Some(margin) = margin {
                    expr(margin, push);
                }
            }
            BlockItem::Rule(rule) => {
                expr(&rule.subject, push);
                if let Some(on) = &rule.on {
                    expr(&on.bound, push);
                }
                if let Some(action) = &rule.action {
                    expr(action, push);
                }
            }
        }
    }
}

fn expr(e: &Expr, push: &mut impl FnMut(Span, &str, bool)) {
    match &e.kind {
        ExprKind::Name(name) => push(e.span, name, false),
        ExprKind::Field { base, field } => {
            expr(base, push);
            push(field.span, &field.name, false);
        }
        ExprKind::Call { callee, args } => {
            // The callee is a built-in (`mlp(...)`), even when a definition shares its name.
            if !matches!(callee.kind, ExprKind::Name(_)) {
                expr(callee, push);
            }
            for arg in args {
                expr(&arg.value, push);
            }
        }
        ExprKind::List(items) => items.iter().for_each(|i| expr(i, push)),
        ExprKind::Paren(inner) | ExprKind::Unary { operand: inner, .. } => expr(inner, push),
        ExprKind::Binary { lhs, rhs, .. } => {
            expr(lhs, push);
            expr(rhs, push);
        }
        ExprKind::If { cond, then, otherwise } => {
            expr(cond, push);
            expr(then, push);
            expr(otherwise, push);
        }
        ExprKind::Number { .. } | ExprKind::String(_) | ExprKind::Bool(_) | ExprKind::Error => {}
    }
}

/// The name under byte `offset` of file `file`, when it is a definition or a use.
pub fn name_at(all: &[Occurrence], file: usize, offset: usize) -> Option<&str> {
    all.iter().find(|o| o.file == file && o.span.start <= offset && offset <= o.span.end).map(|o| o.name.as_str())
}

/// Where `name` is defined, as (file path, name span), when a user definition declares it.
pub fn definition(compilation: &Compilation, all: &[Occurrence], name: &str) -> Option<(PathBuf, Span)> {
    let o = all.iter().find(|o| o.is_definition && o.name == name)?;
    Some((compilation.files.get(o.file)?.path.clone(), o.span))
}

/// Every occurrence of a defined `name` (definition included when asked), as (path, span).
pub fn references(
    compilation: &Compilation,
    all: &[Occurrence],
    name: &str,
    include_definition: bool,
) -> Vec<(PathBuf, Span)> {
    if !all.iter().any(|o| o.is_definition && o.name == name) {
        return Vec::new();
    }
    all.iter()
        .filter(|o| o.name == name && (include_definition || !o.is_definition))
        .filter_map(|o| Some((compilation.files.get(o.file)?.path.clone(), o.span)))
        .collect()
}

/// Whether `name` can stand where an identifier stands.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !crate::completion::KEYWORDS.contains(&name)
}
