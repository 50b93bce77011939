//! The line of a data file that a run error points at, ready to show under the message. The data
//! layer cuts it out because only it knows how the file's rows are cut into cells (the source's
//! delimiter, quotes, JSON keys): the CLI shows the line without opening the file or guessing.
//!
//! A line is shown safely: invalid UTF-8 as `�`, tabs, carriage returns and other control
//! characters as their visible symbols (`␉`, `␍`), and at most [`MAX_CHARS`] characters (a longer
//! line is cut around the cell, each cut marked `…`).

use crate::error::RunError;
use mlp_compiler::program::Format;
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::Path;

/// The most characters of a line shown, the `…` marks included.
pub const MAX_CHARS: usize = 200;

/// Characters shown before the cell when a long line is cut.
const CONTEXT_CHARS: usize = 40;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How a table's files hold their rows as text, which decides what a row's line is cut into.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// CSV with this delimiter: a row's cells are its fields.
    Delimited { delimiter: u8 },
    /// JSON lines: a row's cells are the values of its keys.
    JsonLines,
    /// Parquet, IDX, image folders: a row is not a line of text, and nothing is shown.
    #[default]
    Binary,
}

impl Layout {
    pub fn of(format: &Format) -> Layout {
        match format {
            Format::Csv { delimiter, .. } => Layout::Delimited { delimiter: delimiter.byte() },
            Format::Jsonl { .. } => Layout::JsonLines,
            Format::Parquet { .. } | Format::Idx { .. } | Format::Images { .. } => Layout::Binary,
        }
    }
}

/// A data file's line as a run error shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineText {
    /// The line, safe to print (see the module's documentation), without its line ending.
    pub text: String,
    /// The bytes of `text` to underline: the cell at fault, or the whole line. Never empty, and
    /// on character boundaries.
    pub cell: Range<usize>,
    /// The 1-based byte column of the cell's start in the file's line (after a byte-order mark):
    /// `text` may begin further on and shows some bytes as several.
    pub column: u64,
}

/// Gives `error` the text of the line its location names when that line belongs to a text data
/// file of `layout`, read from `bytes` (the whole file, when it is in memory) or from the file.
pub(crate) fn attach(mut error: RunError, layout: Layout, bytes: Option<&[u8]>) -> RunError {
    if let Some(location) = &mut error.location {
        if let (None, Some(line)) = (&location.text, location.line) {
            location.text = line_text(layout, &location.path, line, location.byte, location.column.as_deref(), bytes);
        }
    }
    error
}

/// Line `line` (1-based) of a data file, with the cell at byte `byte` of the file marked, or else
/// the cell of column `column`, or else the whole line. `None` for a binary layout, a line the
/// file does not have, or an empty one.
pub(crate) fn line_text(
    layout: Layout,
    path: &Path,
    line: u64,
    byte: Option<u64>,
    column: Option<&str>,
    bytes: Option<&[u8]>,
) -> Option<LineText> {
    if layout == Layout::Binary {
        return None;
    }
    let (mut raw, mut start) = match bytes {
        Some(bytes) => line_in(bytes, line).map(|(raw, start)| (raw.to_vec(), start as u64))?,
        None => read_line(path, line)?,
    };
    if line == 1 && raw.starts_with(BOM) {
        raw.drain(..BOM.len());
        start += BOM.len() as u64;
    }
    if raw.is_empty() {
        return None;
    }
    let at = byte.and_then(|b| b.checked_sub(start)).map(|at| at as usize).filter(|&at| at < raw.len());
    let cell = match layout {
        Layout::Delimited { delimiter } => match at {
            Some(at) => field_at(&raw, at, delimiter),
            None => column.and_then(|column| {
                let header = match bytes {
                    Some(bytes) => crate::csv::header_names(bytes, delimiter),
                    None => read_header(path, delimiter),
                }?;
                let index = header.iter().position(|name| name == column)?;
                nth_field(&raw, index, delimiter)
            }),
        },
        // A named key's value; else the byte a parser stopped at; at the line's start (the
        // whole record is at fault, or a key is absent) the whole line.
        Layout::JsonLines => {
            column.and_then(|column| json_value(&raw, column)).or_else(|| at.filter(|&at| at > 0).map(|at| at..at + 1))
        }
        Layout::Binary => None,
    };
    Some(LineText::new(&raw, cell))
}

/// Line `line` of `bytes` without its line ending, and the byte it starts at.
fn line_in(bytes: &[u8], line: u64) -> Option<(&[u8], usize)> {
    let start = match line {
        0 => return None,
        1 => 0,
        n => memchr::memchr_iter(b'\n', bytes).nth(usize::try_from(n - 2).ok()?)? + 1,
    };
    let rest = &bytes[start..];
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let raw = &rest[..end];
    Some((raw.strip_suffix(b"\r").unwrap_or(raw), start))
}

/// Line `line` of the file at `path` without its line ending, and the byte it starts at; read
/// line by line, never the whole file at once.
fn read_line(path: &Path, line: u64) -> Option<(Vec<u8>, u64)> {
    let mut reader = BufReader::new(std::fs::File::open(path).ok()?);
    let mut start = 0u64;
    let mut buffer = Vec::new();
    for _ in 1..line {
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer).ok()? {
            0 => return None,
            n => start += n as u64,
        }
    }
    buffer.clear();
    reader.read_until(b'\n', &mut buffer).ok()?;
    let end = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
    let end = end.strip_suffix(b"\r").unwrap_or(end).len();
    buffer.truncate(end);
    Some((buffer, start))
}

/// The header names of the CSV file at `path`, read as the loader reads them.
fn read_header(path: &Path, delimiter: u8) -> Option<Vec<String>> {
    let mut reader = BufReader::new(std::fs::File::open(path).ok()?);
    let mut bytes = Vec::new();
    // Blank lines before the header are skipped, as the loader skips them.
    while bytes.iter().all(|b| matches!(b, b'\n' | b'\r') || BOM.contains(b)) {
        if reader.read_until(b'\n', &mut bytes).ok()? == 0 {
            return None;
        }
    }
    crate::csv::header_names(&bytes, delimiter)
}

/// The field that starts at or contains byte `at` of a CSV line: from `at` to the field's end.
fn field_at(raw: &[u8], at: usize, delimiter: u8) -> Option<Range<usize>> {
    let end = match crate::records::field(raw, at, delimiter) {
        Ok(field) if field.end == crate::records::End::Field => field.next - 1,
        Ok(field) => field.next,
        // A quote that never closes runs to the end of the line.
        Err(_) => raw.len(),
    };
    Some(nonempty(raw, at, end))
}

/// Field `index` (0-based) of a CSV line.
fn nth_field(raw: &[u8], index: usize, delimiter: u8) -> Option<Range<usize>> {
    let mut pos = 0;
    for _ in 0..index {
        let field = crate::records::field(raw, pos, delimiter).ok()?;
        if field.end != crate::records::End::Field {
            return None;
        }
        pos = field.next;
    }
    field_at(raw, pos, delimiter)
}

/// `start..end`, or for an empty cell the delimiter before it (after it, for a line's first
/// cell): an empty cell has no width to underline.
fn nonempty(raw: &[u8], start: usize, end: usize) -> Range<usize> {
    match (start < end, start) {
        (true, _) => start..end,
        (false, 0) => 0..1.min(raw.len()),
        (false, start) => start - 1..start,
    }
}

/// The value of key `key` in a JSON line: the first `"key"` followed by `:`.
fn json_value(raw: &[u8], key: &str) -> Option<Range<usize>> {
    let quoted = serde_json::to_string(key).ok()?;
    for found in memchr::memmem::find_iter(raw, quoted.as_bytes()) {
        let after = found + quoted.len();
        let colon = after + raw[after..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        if raw.get(colon) != Some(&b':') {
            continue;
        }
        let start = colon + 1 + raw[colon + 1..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        let mut values = serde_json::Deserializer::from_slice(&raw[start..]).into_iter::<serde::de::IgnoredAny>();
        return match values.next() {
            Some(Ok(_)) => Some(start..start + values.byte_offset()),
            _ => None,
        };
    }
    None
}

/// A character of the shown line and the bytes of the file's line it stands for.
struct Shown {
    char: char,
    raw: Range<usize>,
}

impl LineText {
    /// The line `raw` (without its ending) made safe to show, with `cell` (bytes of `raw`; the
    /// whole line when `None`) to underline.
    pub(crate) fn new(raw: &[u8], cell: Option<Range<usize>>) -> LineText {
        let mut shown: Vec<Shown> = Vec::with_capacity(raw.len());
        let mut at = 0;
        for chunk in raw.utf8_chunks() {
            for char in chunk.valid().chars() {
                let len = char.len_utf8();
                shown.push(Shown { char: visible(char), raw: at..at + len });
                at += len;
            }
            if !chunk.invalid().is_empty() {
                let len = chunk.invalid().len();
                shown.push(Shown { char: char::REPLACEMENT_CHARACTER, raw: at..at + len });
                at += len;
            }
        }
        let cell = cell.filter(|c| c.start < c.end && c.end <= raw.len()).unwrap_or(0..raw.len());
        // The characters that hold the cell's first and last bytes.
        let first = shown.iter().position(|s| s.raw.contains(&cell.start)).unwrap_or(0);
        let last = shown.iter().rposition(|s| s.raw.contains(&(cell.end - 1))).unwrap_or(first).max(first);
        // The characters shown, `from..to`, leaving room for a `…` at each end that is cut.
        let n = shown.len();
        let (from, to) = match first.saturating_sub(CONTEXT_CHARS) {
            _ if n <= MAX_CHARS => (0, n),
            0 => (0, MAX_CHARS - 1),
            from if from + MAX_CHARS > n => (n - (MAX_CHARS - 1), n),
            from => (from, from + MAX_CHARS - 2),
        };
        let mut text = String::with_capacity(to - from + 8);
        if from > 0 {
            text.push('…');
        }
        let mut underline = 0..0;
        for (i, s) in shown.iter().enumerate().take(to).skip(from) {
            if i == first {
                underline.start = text.len();
            }
            text.push(s.char);
            if i <= last {
                underline.end = text.len();
            }
        }
        if to < shown.len() {
            text.push('…');
        }
        let column = shown.get(first).map_or(1, |s| s.raw.start as u64 + 1);
        LineText { text, cell: underline, column }
    }
}

/// A character as it is safe to print: control characters as their Unicode control pictures.
fn visible(char: char) -> char {
    match char {
        '\0'..='\x1f' => char::from_u32(0x2400 + char as u32).unwrap_or(char::REPLACEMENT_CHARACTER),
        '\x7f' => '\u{2421}',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(raw: &[u8], cell: Option<Range<usize>>) -> (String, String, u64) {
        let line = LineText::new(raw, cell);
        let underlined = line.text[line.cell.clone()].to_string();
        (line.text, underlined, line.column)
    }

    #[test]
    fn control_characters_and_bad_bytes_are_shown_safely() {
        let (text, cell, column) = shown(b"a\tb\r\x01,caf\xe9", Some(9..10));
        assert_eq!(text, "a␉b␍␁,caf\u{fffd}");
        assert_eq!(cell, "\u{fffd}");
        assert_eq!(column, 10);
    }

    #[test]
    fn a_long_line_is_cut_around_its_cell() {
        let raw: Vec<u8> = (0..1000).map(|i| b'a' + (i % 26) as u8).collect();
        let (text, cell, column) = shown(&raw, Some(500..503));
        assert_eq!(text.chars().count(), MAX_CHARS);
        assert!(text.starts_with('…') && text.ends_with('…'));
        assert_eq!(cell.as_bytes(), &raw[500..503]);
        assert_eq!(column, 501);
        // Near the start nothing is cut before the cell.
        let (text, cell, _) = shown(&raw, Some(3..4));
        assert!(!text.starts_with('…') && text.ends_with('…') && text.chars().count() <= MAX_CHARS);
        assert_eq!(cell, "d");
        // A cell longer than what is shown is underlined as far as shown.
        let (text, cell, _) = shown(&raw, Some(10..900));
        assert_eq!(text.chars().count(), MAX_CHARS);
        assert_eq!(cell.len(), MAX_CHARS - 1 - 10);
        // Near the end nothing is cut after the cell.
        let (text, cell, column) = shown(&raw, Some(990..1000));
        assert!(text.starts_with('…') && !text.ends_with('…') && text.chars().count() == MAX_CHARS);
        assert_eq!((cell.as_bytes(), column), (&raw[990..], 991));
    }

    #[test]
    fn csv_cells_are_found_by_byte_or_by_header_position() {
        let raw = b"1.5,\"a,b\",,x";
        assert_eq!(field_at(raw, 0, b','), Some(0..3));
        assert_eq!(field_at(raw, 4, b','), Some(4..9));
        assert_eq!(nth_field(raw, 1, b','), Some(4..9));
        // An empty cell points at the delimiter before it; the first, at the one after it.
        assert_eq!(nth_field(raw, 2, b','), Some(9..10));
        assert_eq!(nth_field(b",2", 0, b','), Some(0..1));
        assert_eq!(nth_field(raw, 3, b','), Some(11..12));
        assert_eq!(nth_field(raw, 4, b','), None);
        assert_eq!(field_at(b"1,\"open", 2, b','), Some(2..7));
    }

    #[test]
    fn json_values_are_found_by_key() {
        let raw = br#"{"label": "a", "y": null, "note": "say \"y\": 1", "n": [1, 2]}"#;
        let value = |key: &str| json_value(raw, key).map(|r| String::from_utf8_lossy(&raw[r]).into_owned());
        assert_eq!(value("y").as_deref(), Some("null"));
        assert_eq!(value("n").as_deref(), Some("[1, 2]"));
        assert_eq!(value("label").as_deref(), Some("\"a\""));
        assert_eq!(value("absent"), None);
    }

    #[test]
    fn lines_are_read_from_memory_and_files_alike() {
        let bytes = b"\xEF\xBB\xBFh1,h2\r\n\r\n1,2\r\n3,\r\n";
        let dir = std::env::temp_dir().join(format!("mlp-excerpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let path = dir.join("lines.csv");
        std::fs::write(&path, bytes).expect("written");
        let layout = Layout::Delimited { delimiter: b',' };
        for memory in [Some(&bytes[..]), None] {
            let line = |n, byte, column| line_text(layout, &path, n, byte, column, memory);
            let header = line(1, Some(6), None).expect("line 1");
            assert_eq!((header.text.as_str(), &header.text[header.cell.clone()], header.column), ("h1,h2", "h2", 4));
            assert_eq!(line(2, None, None), None, "a blank line shows nothing");
            let missing = line(4, None, Some("h2")).expect("line 4");
            assert_eq!((missing.text.as_str(), missing.cell.clone()), ("3,", 1..2));
            assert_eq!(line(9, None, None), None);
        }
        assert_eq!(line_text(Layout::Binary, &path, 3, None, None, Some(bytes)), None);
    }
}
