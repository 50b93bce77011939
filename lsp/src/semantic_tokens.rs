//! `textDocument/semanticTokens/full`: a lexical pass over the text (comments, strings, numbers,
//! words) whose words are classified with the last compilation: keywords, defined names (the
//! defining one marked `declaration`), built-ins, and dataset columns. Unknown words get no token.

use crate::completion::KEYWORDS;
use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend};
use mlp_compiler::Compilation;
use mlp_compiler::program::Program;
use mlp_compiler::stdlib::Stdlib;
use std::collections::HashSet;

/// Token types in legend order; a token's type is its index here.
pub const TYPES: [SemanticTokenType; 7] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::COMMENT,
];
const KEYWORD: u32 = 0;
const DEFINED: u32 = 1;
const BUILTIN: u32 = 2;
const COLUMN: u32 = 3;
const STRING: u32 = 4;
const NUMBER: u32 = 5;
const COMMENT: u32 = 6;
/// Bit 0 of the modifiers: `declaration`.
const DECLARATION: u32 = 1;

/// Words of the language other than definition keywords.
const OTHER_KEYWORDS: [&str; 16] = [
    "extern", "maximize", "minimize", "on", "beats", "by", "over", "drift", "if", "then", "else", "and", "or", "not",
    "in", "true",
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend { token_types: TYPES.to_vec(), token_modifiers: vec![SemanticTokenModifier::DECLARATION] }
}

/// The tokens of `text`, delta-encoded as the protocol wants (lines and UTF-16 columns).
pub fn tokens(text: &str, compilation: Option<&Compilation>, program: Option<&Program>) -> Vec<SemanticToken> {
    let occurrences = compilation.map(crate::navigation::occurrences).unwrap_or_default();
    let defined: HashSet<&str> = occurrences.iter().filter(|o| o.is_definition).map(|o| o.name.as_str()).collect();
    let declarations: HashSet<usize> =
        occurrences.iter().filter(|o| o.is_definition && o.file == 0).map(|o| o.span.start).collect();
    let columns: HashSet<&str> = program.iter().flat_map(|p| &p.datasets).flat_map(|d| d.schema.names()).collect();
    let stdlib = Stdlib::get();

    let mut raw: Vec<(usize, usize, u32, u32)> = Vec::new(); // (start, end, type, modifiers)
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            raw.push((start, i, COMMENT, 0));
        } else if c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
            raw.push((start, i, STRING, 0));
        } else if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'%' | b'_')) {
                // `3e-4`: a sign right after the exponent belongs to the number.
                i += 1;
                if i < bytes.len() && bytes[i] == b'-' && matches!(bytes[i - 1], b'e' | b'E') {
                    i += 1;
                }
            }
            raw.push((start, i, NUMBER, 0));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &text[start..i];
            let class = if KEYWORDS.contains(&word) || OTHER_KEYWORDS.contains(&word) || word == "false" {
                Some((KEYWORD, 0))
            } else if defined.contains(word) {
                Some((DEFINED, if declarations.contains(&start) { DECLARATION } else { 0 }))
            } else if columns.contains(word) {
                Some((COLUMN, 0))
            } else if stdlib.all().iter().any(|b| b.name == word) {
                Some((BUILTIN, 0))
            } else {
                None
            };
            if let Some((ty, modifiers)) = class {
                raw.push((start, i, ty, modifiers));
            }
        } else {
            // Step over one whole character, so multi-byte text never splits.
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    encode(text, &raw)
}

fn encode(text: &str, raw: &[(usize, usize, u32, u32)]) -> Vec<SemanticToken> {
    let map = crate::position::LineMap::new(text);
    let mut tokens = Vec::with_capacity(raw.len());
    let (mut last_line, mut last_start) = (0u32, 0u32);
    for &(start, end, ty, modifiers) in raw {
        let from = map.position(text, start);
        let to = map.position(text, end);
        // Tokens never span lines here (strings and comments end at the newline).
        let length = if to.line == from.line { to.character - from.character } else { continue };
        let delta_line = from.line - last_line;
        let delta_start = if delta_line == 0 { from.character - last_start } else { from.character };
        tokens.push(SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: ty,
            token_modifiers_bitset: modifiers,
        });
        (last_line, last_start) = (from.line, from.character);
    }
    tokens
}
