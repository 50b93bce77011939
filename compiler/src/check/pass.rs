//! What every pass has in common: [`Pass`], the read-only [`Context`] plus the pass's own
//! [`Report`] (its diagnostics and the definitions it referred to), and the checks all passes use
//! (typed values, a definition's value, blocks that take only settings). Value checking against
//! the declarations (`values.rs`) and name lookup (`names.rs`) are methods on `Pass` too.

use super::context::{Context, Def};
use crate::ast::{BlockItem, Expr};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::span::Span;
use std::collections::HashSet;

/// What a pass found besides its result.
#[derive(Default)]
pub(crate) struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Definitions referred to, for the unused-definition warnings.
    pub referenced: HashSet<String>,
}

impl Report {
    /// Adds a pass's report to this one and hands back the pass's result.
    pub fn take<T>(&mut self, checked: Checked<T>) -> T {
        self.diagnostics.extend(checked.report.diagnostics);
        self.referenced.extend(checked.report.referenced);
        checked.value
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A pass's typed result and its report.
pub(crate) struct Checked<T> {
    pub value: T,
    pub report: Report,
}

/// One pass at work: the context it reads and the report it fills.
pub(crate) struct Pass<'a> {
    pub cx: &'a Context<'a>,
    found: Report,
}

impl<'a> Pass<'a> {
    pub fn new(cx: &'a Context<'a>) -> Self {
        Pass { cx, found: Report::default() }
    }

    /// Reports a diagnostic (an error or a warning).
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.found.diagnostics.push(diagnostic);
    }

    /// Notes that a definition is used.
    pub fn refer(&mut self, name: &str) {
        self.found.referenced.insert(name.to_string());
    }

    /// Ends the pass with its result.
    pub fn finish<T>(self, value: T) -> Checked<T> {
        Checked { value, report: self.found }
    }

    /// The typed form of checked values (see [`crate::value`]). The values were checked against
    /// the declarations, so a mismatch is a value the declared type admits but the program's
    /// type does not (a delimiter of two characters, say); it is reported on `span`.
    pub fn typed<T: serde::de::DeserializeOwned>(
        &mut self,
        file: FileId,
        span: Span,
        what: &str,
        value: &crate::value::Value,
    ) -> Option<T> {
        match value.to_typed() {
            Ok(typed) => Some(typed),
            Err(error) => {
                self.report(
                    Diagnostic::error(Code::E0202, file, span, format!("{what} is not valid: {error}"))
                        .with_primary("not a valid value here")
                        .with_help(format!("see `mlpc explain E0202` and the declaration of {what} in docs/stdlib.md")),
                );
                None
            }
        }
    }

    /// A block's settings as its typed struct (see [`Pass::typed`]).
    pub fn typed_settings<T: serde::de::DeserializeOwned>(
        &mut self,
        file: FileId,
        span: Span,
        kind: &str,
        values: &crate::value::Config,
    ) -> Option<T> {
        let value = crate::value::Value::Call { call: kind.to_string(), args: values.clone() };
        self.typed(file, span, &format!("the settings of this {kind}"), &value)
    }

    /// The value of a definition, or an E0203 saying what it needs.
    pub fn required_value(&mut self, def: Def<'a>, example: &str) -> Option<&'a Expr> {
        if def.def.value.is_none() {
            self.report(
                Diagnostic::error(
                    Code::E0203,
                    def.file,
                    def.def.name.span,
                    format!("{} `{}` has no value", def.def.kind.keyword(), def.def.name.name),
                )
                .with_primary("expected `= ...` after the name")
                .with_help(format!("write it as `{example}`")),
            );
        }
        def.def.value.as_ref()
    }

    /// Reports `kind name = value` where the kind takes no value.
    pub fn expect_no_value(&mut self, def: Def<'a>, help: &str) {
        if let Some(value) = &def.def.value {
            self.report(
                Diagnostic::error(
                    Code::E0207,
                    def.file,
                    value.span,
                    format!("a `{}` definition takes no `= value`", def.def.kind.keyword()),
                )
                .with_primary("unexpected value")
                .with_help(help.to_string()),
            );
        }
    }

    /// Reports nested blocks and statements in a block that only takes settings.
    pub fn no_statements(&mut self, file: FileId, items: &[&BlockItem], kind: &str) {
        for item in items {
            let what = match item {
                BlockItem::Nested { name, .. } => format!("a `{}` block", name.name),
                BlockItem::Column { .. } => "a column declaration".to_string(),
                _ => "a statement".to_string(),
            };
            self.report(
                Diagnostic::error(Code::E0207, file, item.span(), format!("{what} is not allowed in a {kind}"))
                    .with_primary("not allowed here")
                    .with_help(format!("a {kind} block holds `key = value` settings, one per line")),
            );
        }
    }

    /// Reports a block on a definition written on one line (a metric).
    pub fn no_block(&mut self, def: Def<'a>) {
        let span = def.def.body.as_ref().map_or(def.def.span, |b| b.span);
        self.report(
            Diagnostic::error(Code::E0207, def.file, span, format!("a {} takes no block", def.def.kind.keyword()))
                .with_primary("unexpected block")
                .with_help(format!("write the whole {} on one line", def.def.kind.keyword())),
        );
    }
}
