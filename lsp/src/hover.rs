//! `textDocument/hover`: a built-in's signature and doc comment from the stdlib, or a defined
//! name's kind and doc comment. The word under the cursor is found in the text; the meaning comes
//! from the parsed files of the last compilation (so definitions in imported files are found too).

use mlp_compiler::Compilation;
use mlp_compiler::ast::Item;
use mlp_compiler::program::Program;
use mlp_compiler::stdlib::Stdlib;
use mlp_compiler::types::ColumnType;

/// The identifier touching byte `offset`, with its byte range.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let offset = text.floor_char_boundary_compat(offset);
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text[..offset].char_indices().rev().take_while(|&(_, c)| is_word(c)).last().map_or(offset, |(i, _)| i);
    let end = text[start..].char_indices().find(|&(_, c)| !is_word(c)).map_or(text.len(), |(i, _)| start + i);
    (end > start && !text[start..].starts_with(|c: char| c.is_ascii_digit())).then_some((start, end))
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut index: usize) -> usize {
        index = index.min(self.len());
        while !self.is_char_boundary(index) {
            index -= 1;
        }
        index
    }
}

/// Markdown for the name at `offset` in `text`, or `None` when it names nothing known.
pub fn hover(
    text: &str,
    offset: usize,
    compilation: Option<&Compilation>,
    program: Option<&Program>,
) -> Option<String> {
    let (start, end) = word_at(text, offset)?;
    let word = &text[start..end];
    // A defined name wins over a built-in of the same name, as it does for the checker.
    if let Some(compilation) = compilation {
        for ast in &compilation.asts {
            for item in &ast.items {
                if let Item::Definition(def) = item
                    && def.name.name == word
                {
                    let mut markdown = format!("```mlp\n{} {}\n```", def.kind.keyword(), def.name.name);
                    // A feature's type is known once a check has succeeded.
                    if let Some(feature) = program.and_then(|p| p.features.iter().find(|f| f.name == word)) {
                        markdown.push_str(&format!("\n\ntype: `{}`", feature.ty));
                    }
                    if let Some(doc) = &def.doc {
                        markdown.push_str("\n\n");
                        markdown.push_str(doc.trim());
                    }
                    return Some(markdown);
                }
            }
        }
    }
    column_hover(word, program).or_else(|| builtin_hover(word))
}

/// A column of a dataset: its inferred type, with every level of a category.
fn column_hover(name: &str, program: Option<&Program>) -> Option<String> {
    let program = program?;
    program.datasets.iter().find_map(|dataset| {
        let column = dataset.schema.get(name)?;
        let mut markdown = format!("```mlp\ncolumn {name}: {}\n```\n\nin dataset `{}`", column.ty, dataset.name);
        if let ColumnType::Category { levels } = &column.ty {
            markdown.push_str(&format!(
                "\n\nlevels: {}",
                levels.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        Some(markdown)
    })
}

/// The signature and doc of every built-in called `name` (a name may be, say, a metric and a loss).
pub fn builtin_hover(name: &str) -> Option<String> {
    let parts: Vec<String> = Stdlib::get()
        .all()
        .iter()
        .filter(|b| b.name == name && b.kind != "settings")
        .map(|b| {
            let doc = b.doc.trim();
            let mut markdown = format!("```mlp\n{} {}\n```", b.kind, b.signature());
            if !doc.is_empty() {
                markdown.push_str("\n\n");
                markdown.push_str(doc);
            }
            markdown
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n---\n\n"))
}
