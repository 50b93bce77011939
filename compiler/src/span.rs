//! Byte ranges into a source file, and the mapping from byte offsets to 1-based lines and columns.

use serde::Serialize;

/// A half-open byte range `start..end` into one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// Line starts of a text, for turning byte offsets into 1-based line and column numbers.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

/// Bytes of the UTF-8 byte order mark that some editors write at the start of a file. The file is
/// read as if it were not there and its first column starts after it; spans still count it, so
/// they stay byte offsets into the file.
pub fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![bom_len(text)];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.line_starts[line];
        let column = text.get(start..offset).map_or(offset.saturating_sub(start), |s| s.chars().count());
        (line + 1, column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let text = "\u{feff}model m\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 3), (1, 1));
        assert_eq!(index.line_column(text, 9), (1, 7));
        assert_eq!(index.line_column(text, 0), (1, 1));
        assert_eq!(index.line_column(text, 11), (2, 1));
    }
}
