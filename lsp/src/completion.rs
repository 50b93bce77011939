//! `textDocument/completion`: heuristics on the text before the cursor plus the last successful
//! compilation. Definition keywords at the start of a line; after `key =` the built-ins of the kind
//! that key expects (snippets with the declared defaults as placeholders); columns of the datasets
//! inside expressions; metric names inside `gate` blocks; defined names everywhere else.

use lsp_types::{CompletionItem, CompletionItemKind, InsertTextFormat};
use mlp_compiler::ast::Item;
use mlp_compiler::program::Program;
use mlp_compiler::stdlib::{Builtin, Stdlib};
use mlp_compiler::{Compilation, ast::DefKind};

/// Every word that starts a top-level definition.
pub const KEYWORDS: [&str; 13] = [
    "pipeline",
    "source",
    "dataset",
    "feature",
    "metric",
    "objective",
    "baseline",
    "model",
    "search",
    "gate",
    "deploy",
    "monitor",
    "import",
];

/// The completions at byte `offset` of `text`. `compilation` is the latest check of the text and
/// `program` the latest that succeeded (for columns and metrics, which need a clean check).
pub fn complete(
    text: &str,
    offset: usize,
    compilation: Option<&Compilation>,
    program: Option<&Program>,
) -> Vec<CompletionItem> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let word_len = line.chars().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').count();
    let head = &line[..line.len() - word_len];

    // A definition keyword only makes sense flush left: chunks start in column 0.
    if head.is_empty() {
        return KEYWORDS.iter().map(|k| item(k, CompletionItemKind::KEYWORD, "definition")).collect();
    }
    let block = enclosing_definition(before);
    let mut items = Vec::new();
    if block == Some("gate") && (head.trim().is_empty() || head.trim_end().ends_with('.')) {
        metrics(program, &mut items);
        return items;
    }
    let key = head.trim_end().strip_suffix('=').map(|h| h.split_whitespace().last().unwrap_or(""));
    // Flush left it is `KIND name = …`; indented, a setting `key = …` inside a block.
    let expected = match key {
        Some(_) if !line.starts_with([' ', '\t']) => block.and_then(kind_for_definition),
        Some(key) => kind_for_key(key),
        None => None,
    };
    match expected {
        Some(kind) => builtins(kind, &mut items),
        None if matches!(block, Some("feature") | Some("monitor") | Some("dataset")) => {
            columns(program, &mut items);
            builtins("function", &mut items);
        }
        None => {}
    }
    names(compilation, &mut items);
    items
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.to_string()),
        ..Default::default()
    }
}

/// The keyword of the definition the cursor is in: the last line starting in column 0 with one.
fn enclosing_definition(before: &str) -> Option<&str> {
    before.lines().rev().find_map(|line| {
        let word = line.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').next()?;
        KEYWORDS.contains(&word).then_some(word)
    })
}

/// Which kind of built-in a setting expects, by the setting's name.
fn kind_for_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "optimizer" => "optimizer",
        "split" => "split",
        "normalize" => "normalizer",
        "early_stop" => "stopping",
        "loss" => "loss",
        "activation" => "activation",
        "strategy" => "strategy",
        "init" => "init",
        "missing" => "missing",
        "device" => "device",
        "precision" => "precision",
        "augment" => "augmentation",
        "encoding" | "encode" => "encoding",
        "tokenizer" | "tokenize" => "tokenizer",
        "window" => "windowing",
        "sampling" => "sampling",
        _ => return None,
    })
}

/// What `KIND name = …` expects on the right of `=`.
fn kind_for_definition(keyword: &str) -> Option<&'static str> {
    Some(match DefKind::from_keyword(keyword)? {
        DefKind::Source => "format",
        DefKind::Metric => "metric",
        DefKind::Baseline => "baseline",
        DefKind::Model => "model",
        DefKind::Deploy => "target",
        _ => return None,
    })
}

/// `adam(lr: ${1:3e-4})`: parameters with defaults as placeholders, required ones by name.
pub fn snippet(builtin: &Builtin) -> String {
    if builtin.params.is_empty() {
        return builtin.name.clone();
    }
    let params: Vec<String> = builtin
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}: ${{{}:{}}}", p.name, i + 1, p.default_text.as_deref().unwrap_or(&p.name)))
        .collect();
    format!("{}({})", builtin.name, params.join(", "))
}

fn builtins(kind: &str, items: &mut Vec<CompletionItem>) {
    for builtin in Stdlib::get().of_kind(kind) {
        items.push(CompletionItem {
            label: builtin.name.clone(),
            kind: Some(CompletionItemKind::FUNCTION),
            detail: Some(builtin.signature()),
            insert_text: Some(snippet(builtin)),
            insert_text_format: Some(InsertTextFormat::SNIPPET),
            ..Default::default()
        });
    }
}

fn columns(program: Option<&Program>, items: &mut Vec<CompletionItem>) {
    let Some(program) = program else { return };
    for dataset in &program.datasets {
        for column in &dataset.schema.columns {
            if !items.iter().any(|i| i.label == column.name) {
                items.push(item(&column.name, CompletionItemKind::FIELD, &column.ty.to_string()));
            }
        }
    }
}

fn metrics(program: Option<&Program>, items: &mut Vec<CompletionItem>) {
    if let Some(program) = program {
        for metric in &program.metrics {
            items.push(item(&metric.name, CompletionItemKind::FUNCTION, "metric"));
        }
    }
    for builtin in Stdlib::get().of_kind("metric") {
        if !items.iter().any(|i| i.label == builtin.name) {
            items.push(item(&builtin.name, CompletionItemKind::FUNCTION, "metric"));
        }
    }
}

fn names(compilation: Option<&Compilation>, items: &mut Vec<CompletionItem>) {
    let Some(compilation) = compilation else { return };
    for ast in &compilation.asts {
        for it in &ast.items {
            if let Item::Definition(def) = it
                && !items.iter().any(|i| i.label == def.name.name)
            {
                items.push(item(&def.name.name, CompletionItemKind::REFERENCE, def.kind.keyword()));
            }
        }
    }
}
