//! `textDocument/codeAction`: quick fixes from the checker's suggestions. A diagnostic whose help
//! reads "did you mean `x`?" offers to replace its primary span with `x`.

use crate::position::LineMap;
use lsp_types::{CodeAction, CodeActionKind, Range, TextEdit, Url, WorkspaceEdit};
use mlp_compiler::Compilation;
use std::collections::HashMap;

/// The suggested replacement in a help line, if it is a did-you-mean.
pub fn suggestion(help: &str) -> Option<&str> {
    let rest = &help[help.find("did you mean `")? + "did you mean `".len()..];
    Some(&rest[..rest.find('`')?])
}

/// Quick fixes for the root file's diagnostics whose range touches `range`.
pub fn quick_fixes(compilation: &Compilation, uri: &Url, range: Range) -> Vec<CodeAction> {
    let Some(file) = compilation.files.first() else { return Vec::new() };
    let map = LineMap::new(&file.text);
    let lsp_diagnostics = crate::diagnostics::for_file(compilation, &file.path);
    let ours = compilation.diagnostics.iter().filter(|d| d.file == file.id);
    let mut actions = Vec::new();
    for (diagnostic, lsp_diagnostic) in ours.zip(lsp_diagnostics) {
        let Some(replacement) = diagnostic.help.as_deref().and_then(suggestion) else { continue };
        let at = map.range(&file.text, diagnostic.span);
        if at.end < range.start || range.end < at.start {
            continue;
        }
        let edit = TextEdit::new(at, replacement.to_string());
        actions.push(CodeAction {
            title: format!("replace with `{replacement}`"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![lsp_diagnostic]),
            edit: Some(WorkspaceEdit::new(HashMap::from([(uri.clone(), vec![edit])]))),
            is_preferred: Some(true),
            ..CodeAction::default()
        });
    }
    actions
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_suggestion() {
        assert_eq!(super::suggestion("did you mean `tanh`?"), Some("tanh"));
        assert_eq!(super::suggestion("use a number"), None);
        assert_eq!(super::suggestion("did you mean `"), None);
    }
}
