//! Turns pest's "expected one of these rules at this position" into a sentence a user can act on:
//! "expected `=` or `{` after the source name, found `:`". Rule names never reach a user.

use super::Rule;
use crate::ast::DefKind;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::span::Span;

/// What a grammar rule means to a reader, or `None` for rules that only add noise.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the definition",
        Rule::name => "a name",
        Rule::string => "a string",
        Rule::number => "a number",
        Rule::expr
        | Rule::operand
        | Rule::prefix_op
        | Rule::boolean
        | Rule::list
        | Rule::paren
        | Rule::if_expr
        | Rule::kw_if
        | Rule::kw_not => "an expression",
        Rule::infix_op | Rule::cmp_op | Rule::kw_and | Rule::kw_or | Rule::kw_in => "an operator",
        Rule::def_keyword | Rule::kw_import | Rule::kw_objective | Rule::kw_extern => "a definition",
        Rule::direction | Rule::kw_maximize | Rule::kw_minimize => "`maximize` or `minimize`",
        Rule::type_expr | Rule::named_type | Rule::list_type => "a type",
        Rule::params | Rule::lparen | Rule::call | Rule::args => "`(`",
        Rule::rparen => "`)`",
        Rule::block | Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::assign => "`=`",
        Rule::arrow | Rule::action => "`->`",
        Rule::colon => "`:`",
        Rule::comma => "`,`",
        Rule::dot | Rule::field => "`.`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_on | Rule::on_split => "`on`",
        Rule::kw_over | Rule::over_window => "`over`",
        Rule::kw_beats => "`beats`",
        Rule::kw_by => "`by`",
        Rule::setting
        | Rule::nested
        | Rule::column_decl
        | Rule::beats_item
        | Rule::drift_item
        | Rule::rule_item
        | Rule::kw_drift => "a setting",
        Rule::param => "a parameter",
        Rule::arg => "an argument",
        _ => return None,
    })
}

/// Lists alternatives the way people write them: "`=`", "`=` or `{`", "`=`, `{` or `(`".
fn join_alternatives(mut words: Vec<&'static str>) -> String {
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(*w));
    // "the end of the definition" reads best last.
    words.sort_by_key(|w| w.starts_with("the end"));
    match words.as_slice() {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A short description of the text at `at`: "`:`", "`foo`", "end of file".
pub(super) fn describe_found(text: &str, at: usize, limit: usize) -> String {
    let rest = &text[at.min(limit)..limit];
    let rest = rest.trim_start();
    if rest.is_empty() {
        return "the end of the file".to_string();
    }
    let first = rest.chars().next().unwrap_or(' ');
    let token: String = if first.is_alphanumeric() || first == '_' {
        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.').collect()
    } else if first == '"' {
        let mut s: String = rest.chars().take_while(|c| *c != '\n').take(24).collect();
        if s.chars().count() == 24 {
            s.push('…');
        }
        s
    } else {
        let two: String = rest.chars().take(2).collect();
        if ["->", "==", "!=", "<=", ">=", "//"].contains(&two.as_str()) { two } else { first.to_string() }
    };
    format!("`{token}`")
}

/// The last token before `at` in the chunk, and whether it is the definition's name.
fn context(text: &str, chunk: Span, at: usize) -> Option<String> {
    let before = &text[chunk.start..at.max(chunk.start)];
    let mut tokens: Vec<&str> = Vec::new();
    for line in before.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            let c = rest.chars().next()?;
            let len = if c.is_alphanumeric() || c == '_' {
                rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len())
            } else if c == '"' {
                rest[1..].find('"').map_or(rest.len(), |n| n + 2)
            } else if ["->", "==", "!=", "<=", ">="].iter().any(|op| rest.starts_with(op)) {
                2
            } else {
                c.len_utf8()
            };
            tokens.push(&rest[..len]);
            rest = &rest[len..];
        }
    }
    let last = *tokens.last()?;
    if tokens.len() == 2 {
        if let Some(kind) = DefKind::from_keyword(tokens[0]) {
            return Some(format!("after the {} name", kind.keyword()));
        }
    }
    let shown: String = last.chars().take(24).collect();
    Some(format!("after `{shown}`"))
}

pub(super) fn syntax_error(
    text: &str,
    file: FileId,
    chunk: Span,
    is_last_chunk: bool,
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    let local = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let at = chunk.start + local;
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            join_alternatives(positives.iter().filter_map(|r| describe(*r)).collect())
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    // Skip blanks and comments so the caret lands on the offending token.
    let chunk_text = &text[at..chunk.end];
    let mut skip = 0;
    let mut rest = chunk_text;
    loop {
        let trimmed = rest.trim_start();
        skip += rest.len() - trimmed.len();
        rest = trimmed;
        if rest.starts_with("//") {
            let n = rest.find('\n').unwrap_or(rest.len());
            skip += n;
            rest = &rest[n..];
        } else {
            break;
        }
    }
    let token_at = at + skip;
    let at_chunk_end = token_at >= chunk.end || text[token_at..chunk.end].trim().is_empty();
    let found = if at_chunk_end {
        if is_last_chunk { "the end of the file".to_string() } else { "the next definition".to_string() }
    } else {
        describe_found(text, token_at, chunk.end)
    };
    let context = context(text, chunk, at).map(|c| format!(" {c}")).unwrap_or_default();
    let span = if at_chunk_end {
        Span::new(chunk.end, chunk.end)
    } else {
        let len = found.trim_matches('`').len().max(1);
        Span::new(token_at, (token_at + len).min(chunk.end))
    };
    let message = format!("expected {expected}{context}, found {found}");
    let help = if at_chunk_end && expected.contains("`}`") {
        "close the block with `}` before the next definition".to_string()
    } else if expected.contains("`=`") && found == "`:`" {
        "definitions use `=`; `:` declares a column type or names an argument".to_string()
    } else if at_chunk_end {
        "the definition is incomplete; finish it or remove it".to_string()
    } else {
        format!("insert {expected} here, or remove {found}")
    };
    let mut diagnostic = Diagnostic::error(Code::E0001, file, span, message)
        .with_primary(format!("expected {expected}"))
        .with_help(help);
    if span.start != chunk.start {
        diagnostic = diagnostic
            .with_label(Span::new(chunk.start, chunk.start + first_word_len(text, chunk)), "in this definition");
    }
    diagnostic
}

fn first_word_len(text: &str, chunk: Span) -> usize {
    text[chunk.start..chunk.end].find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(chunk.len())
}
