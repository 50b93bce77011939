//! Byte offsets ↔ LSP positions. LSP counts columns in UTF-16 code units, the compiler in bytes;
//! every conversion clamps, so a position past the end of a line or file never panics.

use lsp_types::{Position, Range};
use mlp_compiler::Span;

/// Line starts of one text, for converting in both directions.
pub struct LineMap {
    starts: Vec<usize>,
}

impl LineMap {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineMap { starts }
    }

    /// The LSP position of a byte offset (clamped to the text, and back to a char boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character = text[start..offset].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(self.position(text, span.start), self.position(text, span.end.max(span.start)))
    }

    /// The byte offset of an LSP position; a column past the line's end means the line's end, a
    /// line past the last means the end of the text.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let end = self.starts.get(position.line as usize + 1).map_or(text.len(), |&s| s - 1);
        let line = &text[start..end.max(start)];
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_round_trip() {
        let text = "a = \"é𝄞\" b\nxyz";
        let map = LineMap::new(text);
        let b = text.find('b').unwrap();
        let position = map.position(text, b);
        // `a = "` is 5 units, é is 1, 𝄞 is 2, `" ` is 2.
        assert_eq!(position, Position::new(0, 10));
        assert_eq!(map.offset(text, position), b);
        assert_eq!(map.offset(text, Position::new(0, 999)), text.find('\n').unwrap());
        assert_eq!(map.offset(text, Position::new(9, 0)), text.len());
        assert_eq!(map.position(text, 9999), Position::new(1, 3));
    }
}
