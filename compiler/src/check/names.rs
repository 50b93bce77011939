//! Looking names up: definitions by kind and columns, with "did you mean" suggestions for near
//! misses.

use super::context::Def;
use super::pass::Pass;
use crate::ast::DefKind;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::Value;
use crate::span::Span;
use crate::types::Schema;

/// Edit distance between two short names (Levenshtein, by characters).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = if ca == cb { previous } else { previous + 1 };
            previous = row[j + 1];
            row[j + 1] = cost.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The closest candidate within a third of the name's length (at least one edit), if any.
pub fn did_you_mean<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            let d = if c.eq_ignore_ascii_case(name) { 0 } else { distance(&name.to_lowercase(), &c.to_lowercase()) };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// "`a`, `b` or `c`" for help lines (at most eight, then "…").
pub fn list_names<'c>(names: impl IntoIterator<Item = &'c str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.len() {
        0 => "none".to_string(),
        1 => names[0].clone(),
        n if n > 8 => format!("{}, …", names[..8].join(", ")),
        _ => format!("{} and {}", names[..names.len() - 1].join(", "), names[names.len() - 1]),
    }
}

fn kinds_phrase(kinds: &[DefKind]) -> String {
    let words: Vec<&str> = kinds.iter().map(|k| k.keyword()).collect();
    match words.as_slice() {
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
        [] => "definition".to_string(),
    }
}

impl<'a> Pass<'a> {
    /// Names of the definitions of the given kinds, for suggestions.
    fn names_of(&self, kinds: &[DefKind]) -> Vec<&'a str> {
        self.cx
            .symbols
            .defs
            .values()
            .filter(|d| kinds.contains(&d.def.kind))
            .map(|d| d.def.name.name.as_str())
            .collect()
    }

    /// Resolves a reference to a definition of one of `kinds`, reporting unknown names (E0102)
    /// and definitions of the wrong kind (E0104). Marks the definition as used.
    pub fn resolve(&mut self, file: FileId, name: &str, span: Span, kinds: &[DefKind]) -> Option<Def<'a>> {
        match self.cx.symbols.get(name) {
            Some(found) if kinds.contains(&found.def.kind) => {
                self.refer(name);
                Some(found)
            }
            Some(found) => {
                let wanted = kinds_phrase(kinds);
                let candidates = self.names_of(kinds);
                let help = if candidates.is_empty() {
                    format!("define a {wanted} and name it here")
                } else {
                    format!("name a {wanted} here: {}", list_names(candidates))
                };
                self.report(
                    Diagnostic::error(
                        Code::E0104,
                        file,
                        span,
                        format!("`{name}` is a {}, not a {wanted}", found.def.kind.keyword()),
                    )
                    .with_primary(format!("expected a {wanted}"))
                    .with_label_in(
                        found.file,
                        found.def.name.span,
                        format!("`{name}` is defined as a {} here", found.def.kind.keyword()),
                    )
                    .with_help(help),
                );
                None
            }
            None if self.cx.symbols.broken.contains(name) => None,
            None => {
                let wanted = kinds_phrase(kinds);
                let candidates = self.names_of(kinds);
                let help = match did_you_mean(name, candidates.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if candidates.is_empty() => format!("define it: `{} {name} = ...`", kinds[0].keyword()),
                    None => format!("defined here: {}", list_names(candidates)),
                };
                self.report(
                    Diagnostic::error(Code::E0102, file, span, format!("unknown {wanted} `{name}`"))
                        .with_primary(format!("no {wanted} named `{name}`"))
                        .with_help(help),
                );
                None
            }
        }
    }

    /// E0301 for a name that is not one of `columns`; `context` says where they are ("the data").
    pub fn unknown_column<'n>(
        &mut self,
        file: FileId,
        span: Span,
        name: &str,
        columns: impl Iterator<Item = &'n str>,
        context: &str,
    ) {
        let columns: Vec<&str> = columns.collect();
        let help = match did_you_mean(name, columns.iter().copied().filter(|c| plausible_column(c))) {
            Some(close) => format!("did you mean `{close}`?"),
            None if columns.iter().all(|c| plausible_column(c)) => format!("the columns are {}", list_names(columns)),
            // The header of a file that is not a table (`csv("/etc/passwd")`) is never quoted.
            None => "the first line of the data does not look like column names: check the path and the delimiter"
                .to_string(),
        };
        self.report(
            Diagnostic::error(Code::E0301, file, span, format!("unknown column `{name}`"))
                .with_primary(format!("no column `{name}` in {context}"))
                .with_help(help),
        );
    }

    /// Reports names in a list value that are not columns of the schema.
    pub fn check_columns_exist(&mut self, file: FileId, schema: &Schema, names: &Value, span: Span, what: &str) {
        let Value::List(items) = names else { return };
        for item in items {
            let Some(name) = item.as_str() else { continue };
            if schema.get(name).is_none() {
                self.unknown_column(file, span, name, schema.names(), what);
            }
        }
    }
}

/// Whether a header name looks like a column name, and may be quoted in a message: at most 64
/// characters of letters, digits, spaces and `_-.()%#$&+[]`. The first line of a file that is
/// not a table (a password file, a script) is not, and is never echoed.
pub fn plausible_column(name: &str) -> bool {
    (1..=64).contains(&name.chars().count()) && name.chars().all(|c| c.is_alphanumeric() || " _-.()%#$&+[]".contains(c))
}
