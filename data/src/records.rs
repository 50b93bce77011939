//! Cutting CSV bytes into fields and records (RFC 4180 with the usual leniency), and cutting a
//! whole file into byte ranges that start at record boundaries so that ranges can be parsed in
//! parallel.
//!
//! Rules, shared by the boundary finder and the parser so that both always agree:
//! - a record ends at `\n` or `\r\n` outside quotes; a line that is empty (or just `\r`) is skipped;
//! - a field that starts with `"` is quoted: it runs to the next lone `"`, `""` stands for one
//!   quote, and it may hold delimiters and newlines; bytes between its closing quote and the next
//!   delimiter are kept as they are (as the `csv` crate does);
//! - a `"` anywhere else is an ordinary byte.

use memchr::{memchr, memchr2, memmem};
use std::borrow::Cow;

/// What ended a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// A delimiter: another field of the same record follows.
    Field,
    /// A newline: the record is complete.
    Record,
    /// The end of the input.
    Eof,
}

/// A field as it was cut.
pub(crate) struct Field<'a> {
    /// The field's content, quotes removed and `""` unescaped (borrowed unless unescaped).
    pub text: Cow<'a, [u8]>,
    pub end: End,
    /// Where the next field or record starts.
    pub next: usize,
    /// Newlines inside the field (a quoted field may span lines), not counting the terminator.
    pub newlines: u64,
}

/// A quoted field that never closes; holds the byte of its opening quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unterminated(pub usize);

/// If the record starting at `pos` is an empty line, where the next line starts.
#[inline]
pub(crate) fn blank_line(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos..)? {
        [b'\n', ..] => Some(pos + 1),
        [b'\r', b'\n', ..] => Some(pos + 2),
        [b'\r'] => Some(pos + 1),
        _ => None,
    }
}

/// What follows a value that ends at `i`, if it ends a field: the end and where the next starts.
#[inline]
pub(crate) fn terminator(bytes: &[u8], i: usize, delimiter: u8) -> Option<(End, usize)> {
    match bytes.get(i) {
        None => Some((End::Eof, i)),
        Some(&b) if b == delimiter => Some((End::Field, i + 1)),
        Some(b'\n') => Some((End::Record, i + 1)),
        Some(b'\r') => match bytes.get(i + 1) {
            None => Some((End::Eof, i + 1)),
            Some(b'\n') => Some((End::Record, i + 2)),
            Some(_) => None,
        },
        Some(_) => None,
    }
}

/// Cuts the field that starts at `pos` (which is inside `bytes`).
pub(crate) fn field(bytes: &[u8], pos: usize, delimiter: u8) -> Result<Field<'_>, Unterminated> {
    if bytes.get(pos) == Some(&b'"') {
        return quoted(bytes, pos, delimiter);
    }
    let (stop, end, next) = unquoted_end(bytes, pos, delimiter);
    Ok(Field { text: Cow::Borrowed(strip_cr(&bytes[pos..stop])), end, next, newlines: 0 })
}

/// Where an unquoted run starting at `pos` stops: its end, what ended it and where the next starts.
#[inline]
fn unquoted_end(bytes: &[u8], pos: usize, delimiter: u8) -> (usize, End, usize) {
    let rest = bytes.get(pos..).unwrap_or_default();
    match memchr2(delimiter, b'\n', rest) {
        Some(i) if rest[i] == b'\n' => (pos + i, End::Record, pos + i + 1),
        Some(i) => (pos + i, End::Field, pos + i + 1),
        None => (bytes.len(), End::Eof, bytes.len()),
    }
}

/// Drops the `\r` of a CRLF line ending from the last field of a record.
#[inline]
fn strip_cr(text: &[u8]) -> &[u8] {
    text.strip_suffix(b"\r").unwrap_or(text)
}

fn quoted(bytes: &[u8], open: usize, delimiter: u8) -> Result<Field<'_>, Unterminated> {
    let mut i = open + 1;
    let mut escaped = false;
    let close = loop {
        let Some(q) = bytes.get(i..).and_then(|rest| memchr(b'"', rest)).map(|q| i + q) else {
            return Err(Unterminated(open));
        };
        if bytes.get(q + 1) == Some(&b'"') {
            escaped = true;
            i = q + 2;
        } else {
            break q;
        }
    };
    let inside = &bytes[open + 1..close];
    let newlines = memchr::memchr_iter(b'\n', inside).count() as u64;
    let (stop, end, next) = unquoted_end(bytes, close + 1, delimiter);
    let tail = strip_cr(bytes.get(close + 1..stop).unwrap_or_default());
    let text = if !escaped && tail.is_empty() {
        Cow::Borrowed(inside)
    } else {
        let mut owned = Vec::with_capacity(inside.len() + tail.len());
        // Inside a closed quoted field every quote is one of a doubled pair: keep one of each.
        let mut k = 0;
        while let Some(&b) = inside.get(k) {
            owned.push(b);
            k += if b == b'"' { 2 } else { 1 };
        }
        owned.extend_from_slice(tail);
        Cow::Owned(owned)
    };
    Ok(Field { text, end, next, newlines })
}

/// Skips the record at `pos` (not a blank line): where the next starts and the newlines it spans.
pub(crate) fn skip_record(bytes: &[u8], mut pos: usize, delimiter: u8) -> Result<(usize, u64), Unterminated> {
    let mut newlines = 0;
    loop {
        let f = field(bytes, pos, delimiter)?;
        newlines += f.newlines;
        pos = f.next;
        match f.end {
            End::Field => continue,
            End::Record => return Ok((pos, newlines + 1)),
            End::Eof => return Ok((pos, newlines)),
        }
    }
}

/// A byte range of the data to parse on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub start: usize,
    pub end: usize,
    /// Records in the range (blank lines not counted).
    pub rows: usize,
    /// 1-based line of the range's first byte.
    pub first_line: u64,
}

/// Cuts `bytes[start..]` (data after the header, which begins on line `first_line`) into ranges
/// of about `target` bytes at record boundaries, counting the records of each.
pub(crate) fn chunks(
    bytes: &[u8],
    start: usize,
    first_line: u64,
    delimiter: u8,
    target: usize,
) -> Result<Vec<Chunk>, Unterminated> {
    let target = target.max(1);
    match chunks_unquoted(bytes, start, first_line, target) {
        Some(chunks) => Ok(chunks),
        None => chunks_quoted(bytes, start, first_line, delimiter, target),
    }
}

/// Without any quote a record is a line, so ranges can be cut at any newline and counted in
/// parallel; the search for a quote is part of the same parallel pass. `None` if there is a quote.
fn chunks_unquoted(bytes: &[u8], start: usize, first_line: u64, target: usize) -> Option<Vec<Chunk>> {
    use rayon::prelude::*;
    let mut cuts = vec![start];
    let mut at = start;
    while at < bytes.len() {
        let want = at.saturating_add(target);
        if want >= bytes.len() {
            break;
        }
        match memchr(b'\n', &bytes[want..]) {
            Some(i) if want + i + 1 < bytes.len() => {
                at = want + i + 1;
                cuts.push(at);
            }
            _ => break,
        }
    }
    cuts.push(bytes.len());
    let blank = memmem::Finder::new(b"\n\n");
    let blank_crlf = memmem::Finder::new(b"\n\r\n");
    let counts: Option<Vec<(usize, u64)>> =
        cuts.par_windows(2).map(|w| count_unquoted(&bytes[w[0]..w[1]], &blank, &blank_crlf)).collect();
    let mut line = first_line;
    let chunks = cuts
        .windows(2)
        .zip(counts?)
        .map(|(w, (rows, newlines))| {
            let chunk = Chunk { start: w[0], end: w[1], rows, first_line: line };
            line += newlines;
            chunk
        })
        .collect();
    Some(chunks)
}

/// The records and newlines of a range that starts a line, or `None` if it holds a quote. Works
/// block by block so that the quote search, the newline count and the blank-line search read each
/// block from cache; the common range (no blank line) needs no per-line work.
fn count_unquoted(range: &[u8], blank: &memmem::Finder<'_>, blank_crlf: &memmem::Finder<'_>) -> Option<(usize, u64)> {
    const BLOCK: usize = 64 << 10;
    let mut newlines = 0u64;
    let mut has_blank = matches!(range, [] | [b'\n', ..] | [b'\r', b'\n', ..] | [b'\r']);
    let mut block_start = 0;
    while block_start < range.len() {
        let block_end = (block_start + BLOCK).min(range.len());
        let block = &range[block_start..block_end];
        if memchr(b'"', block).is_some() {
            return None;
        }
        newlines += memchr::memchr_iter(b'\n', block).count() as u64;
        if !has_blank {
            // A blank line that starts in this block ends at most two bytes after it.
            let window = &range[block_start..(block_end + 2).min(range.len())];
            has_blank = blank.find(window).is_some() || blank_crlf.find(window).is_some();
        }
        block_start = block_end;
    }
    if !has_blank {
        // Every line but the last is a record; the last is one unless it is empty (or just `\r`).
        let last_blank = range.ends_with(b"\n") || range.ends_with(b"\n\r");
        return Some(((newlines + 1) as usize - usize::from(last_blank), newlines));
    }
    let mut rows = 0;
    let mut line_start = 0;
    for nl in memchr::memchr_iter(b'\n', range) {
        if !matches!(&range[line_start..nl], b"" | b"\r") {
            rows += 1;
        }
        line_start = nl + 1;
    }
    if !matches!(&range[line_start..], b"" | b"\r") {
        rows += 1;
    }
    Some((rows, newlines))
}

/// With quotes a newline may sit inside a field: walk the records once, in order, to find safe
/// boundaries.
fn chunks_quoted(
    bytes: &[u8],
    start: usize,
    first_line: u64,
    delimiter: u8,
    target: usize,
) -> Result<Vec<Chunk>, Unterminated> {
    let mut out = Vec::new();
    let mut chunk = Chunk { start, end: start, rows: 0, first_line };
    let mut pos = start;
    let mut line = first_line;
    while pos < bytes.len() {
        if pos - chunk.start >= target {
            chunk.end = pos;
            let next = Chunk { start: pos, end: pos, rows: 0, first_line: line };
            out.push(std::mem::replace(&mut chunk, next));
        }
        if let Some(next) = blank_line(bytes, pos) {
            pos = next;
            line += 1;
            continue;
        }
        let (next, newlines) = skip_record(bytes, pos, delimiter)?;
        chunk.rows += 1;
        pos = next;
        line += newlines;
    }
    chunk.end = bytes.len();
    out.push(chunk);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            let f = field(line, pos, b',').expect("terminated");
            out.push(f.text.into_owned());
            pos = f.next;
            if f.end != End::Field {
                return out;
            }
        }
    }

    #[test]
    fn fields_unquote_and_unescape() {
        assert_eq!(
            texts(b"a,\"b,c\",\"say \"\"hi\"\"\"\r\n"),
            vec![b"a".to_vec(), b"b,c".to_vec(), b"say \"hi\"".to_vec()]
        );
        assert_eq!(texts(b"\"\"\"\"\"\""), vec![b"\"\"".to_vec()]);
        assert_eq!(texts(b"x\"y,\"\""), vec![b"x\"y".to_vec(), b"".to_vec()]);
        assert_eq!(field(b"\"open", 0, b',').err(), Some(Unterminated(0)));
    }

    #[test]
    fn quoted_chunks_never_cut_inside_a_field() {
        let data = b"1,\"a\nb\"\n\n2,\"c\r\nd\"\n3,e\n";
        for target in 1..data.len() + 2 {
            let chunks = chunks(data, 0, 2, b',', target).expect("well formed");
            assert_eq!(chunks.iter().map(|c| c.rows).sum::<usize>(), 3, "target {target}");
            for c in &chunks {
                assert!(c.start == 0 || data[c.start - 1] == b'\n');
            }
        }
    }

    #[test]
    fn unquoted_chunks_count_rows_and_lines() {
        let data = b"1,2\n\r\n3,4\n5,6";
        let chunks = chunks(data, 0, 2, b',', 3).expect("no quotes");
        assert_eq!(chunks.iter().map(|c| c.rows).sum::<usize>(), 3);
        assert_eq!(chunks.last().map(|c| c.first_line), Some(5));
    }

    #[test]
    fn unquoted_counts_match_a_line_by_line_count() {
        let cases: [&[u8]; 8] = [
            b"1,2\n3,4\n",
            b"1,2\n3,4",
            b"1\r\n\r\n2\r\n",
            b"\n\n1\n",
            b"1\n\r",
            b"1\n\n\n2\n\r\n3",
            b"\r",
            b"1\r\n2\r\n\n",
        ];
        for data in cases {
            let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            let rows = lines.iter().filter(|l| !matches!(**l, b"" | b"\r")).count();
            for target in 1..data.len() + 2 {
                let chunks = chunks(data, 0, 1, b',', target).expect("no quotes");
                assert_eq!(chunks.iter().map(|c| c.rows).sum::<usize>(), rows, "{data:?} target {target}");
                for c in &chunks {
                    let before = data[..c.start].iter().filter(|&&b| b == b'\n').count() as u64;
                    assert_eq!(c.first_line, 1 + before, "{data:?} target {target}");
                }
            }
        }
    }
}
