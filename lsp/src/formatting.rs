//! `textDocument/formatting`: exactly `mlpc fmt`'s output as one whole-document edit; nothing when
//! the text is already formatted, and `None` (refused) when it has syntax errors, as `fmt` refuses.

use crate::position::LineMap;
use lsp_types::{Range, TextEdit};

/// `Some(edits)` (empty when already canonical) or `None` when the text does not parse.
pub fn format(text: &str) -> Option<Vec<TextEdit>> {
    let formatted = mlp_compiler::format::format(text).ok()?;
    if formatted == text {
        return Some(Vec::new());
    }
    let map = LineMap::new(text);
    let range = Range::new(map.position(text, 0), map.position(text, text.len()));
    Some(vec![TextEdit::new(range, formatted)])
}
