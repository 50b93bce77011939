//! A lexical pre-pass over a whole file: it cuts the text into top-level chunks (one definition
//! each, starting at a definition keyword in column 0), collects comments into the side table, and
//! measures nesting so that pathological input is refused before the recursive parser sees it.

use crate::ast::{Comment, DefKind};
use crate::span::{Span, bom_len};

/// Keywords that start a top-level definition when they begin a line.
pub const TOP_LEVEL_KEYWORDS: [&str; 3] = ["import", "objective", "extern"];

/// Deepest bracket nesting, and most `if`s, accepted in one definition. Far beyond any real spec,
/// and low enough that the recursive parser and tree walkers stay well inside a thread's stack.
pub const MAX_NESTING: usize = 64;

/// Most `if`s in one definition. `if`s are counted, not their depth (which only a parser can
/// see), so the limit is generous enough for many flat `if` settings in one block.
pub const MAX_IFS: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// From the definition keyword to the start of the next chunk (or the end of the file).
    pub span: Span,
    /// Where nesting first went past [`MAX_NESTING`], if it did.
    pub too_deep: Option<Span>,
}

#[derive(Clone, Debug, Default)]
pub struct Chunks {
    /// Non-blank, non-comment text before the first definition keyword.
    pub preamble: Option<Span>,
    pub chunks: Vec<Chunk>,
    pub comments: Vec<Comment>,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when a top-level definition starts at `at` (the start of a line).
fn starts_definition(bytes: &[u8], at: usize) -> bool {
    let word_end = bytes[at..].iter().position(|&b| !is_ident_byte(b)).map_or(bytes.len(), |n| at + n);
    let Ok(word) = std::str::from_utf8(&bytes[at..word_end]) else { return false };
    if word.is_empty() {
        return false;
    }
    let is_keyword = TOP_LEVEL_KEYWORDS.contains(&word) || DefKind::from_keyword(word).is_some();
    // `model = x` written flush left inside a block is a setting, not a definition: a definition
    // keyword is followed by blanks and then a name, a string or a direction.
    let mut next = word_end;
    while next < bytes.len() && (bytes[next] == b' ' || bytes[next] == b'\t') {
        next += 1;
    }
    is_keyword && next > word_end && next < bytes.len() && (is_ident_byte(bytes[next]) || bytes[next] == b'"')
}

pub fn split(text: &str) -> Chunks {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut comments = Vec::new();
    let mut i = bom_len(text);
    let mut line_start = i;
    let mut line_has_code = false;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                // Strings do not span lines: a missing quote ends at the line break.
                b'\n' => {
                    in_string = false;
                    line_start = i + 1;
                    line_has_code = false;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        if i == line_start && starts_definition(bytes, i) {
            starts.push(i);
        }
        match b {
            b'\n' => {
                line_start = i + 1;
                line_has_code = false;
            }
            b'"' => {
                in_string = true;
                line_has_code = true;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = bytes[i..].iter().position(|&c| c == b'\n').map_or(bytes.len(), |n| i + n);
                let text_end = if end > i && bytes[end - 1] == b'\r' { end - 1 } else { end };
                comments.push(Comment {
                    span: Span::new(i, text_end),
                    text: text[i..text_end].to_string(),
                    trailing: line_has_code,
                });
                i = end;
                continue;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => line_has_code = true,
        }
        i += 1;
    }

    let preamble = {
        let end = starts.first().copied().unwrap_or(text.len());
        let mut code = Span::new(end, end);
        let mut found = false;
        let mut pos = bom_len(text);
        let mut comment_iter = comments.iter().peekable();
        while pos < end {
            if let Some(c) = comment_iter.peek() {
                if c.span.start == pos {
                    pos = c.span.end;
                    comment_iter.next();
                    continue;
                }
            }
            if !bytes[pos].is_ascii_whitespace() {
                if !found {
                    code.start = pos;
                    found = true;
                }
                code.end = pos + 1;
            }
            pos += 1;
        }
        found.then_some(code)
    };

    let chunks = starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = starts.get(n + 1).copied().unwrap_or(text.len());
            Chunk { span: Span::new(start, end), too_deep: nesting_overflow(text, Span::new(start, end)) }
        })
        .collect();
    Chunks { preamble, chunks, comments }
}

/// The first place where brackets nest, or `if`s accumulate, beyond [`MAX_NESTING`].
fn nesting_overflow(text: &str, span: Span) -> Option<Span> {
    let bytes = &text.as_bytes()[span.start..span.end];
    let (mut depth, mut ifs, mut i, mut in_string) = (0usize, 0usize, 0usize, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(Span::new(span.start + i, span.start + i + 1));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'i' if bytes.get(i + 1) == Some(&b'f')
                && (i == 0 || !is_ident_byte(bytes[i - 1]))
                && bytes.get(i + 2).is_none_or(|&c| !is_ident_byte(c)) =>
            {
                ifs += 1;
                if ifs > MAX_IFS {
                    return Some(Span::new(span.start + i, span.start + i + 2));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
