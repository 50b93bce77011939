//! Rendering diagnostics for people (miette, colours only on a terminal) and for tools (JSON with
//! byte offsets and 1-based lines and columns, the contract in docs/diagnostics.md).

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report};
use mlp_compiler::Severity;
use mlp_compiler::diagnostic::{Diagnostic, SourceFile};
use mlp_compiler::span::LineIndex;
use serde_json::{Value, json};
use std::path::Path;

/// How paths appear in output: relative to the working directory when possible.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()).unwrap_or(path);
    shown.display().to_string()
}

/// One diagnostic as miette renders it, without a trailing blank line.
pub fn human(diagnostic: &Diagnostic, files: &[SourceFile], color: bool) -> String {
    let file = &files[diagnostic.file.0 as usize];
    // miette counts a leading byte order mark as columns; the spec's columns start after it.
    let bom = mlp_compiler::span::bom_len(&file.text);
    let at = |start: usize| start.saturating_sub(bom);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(diagnostic.primary_label.clone()).filter(|l| !l.is_empty()),
        (at(diagnostic.span.start), diagnostic.span.len()),
    )];
    let mut notes = Vec::new();
    for label in &diagnostic.labels {
        if label.file == diagnostic.file {
            labels.push(LabeledSpan::new_with_span(
                Some(label.message.clone()),
                (at(label.span.start), label.span.len()),
            ));
        } else {
            let other = &files[label.file.0 as usize];
            let (line, column) = LineIndex::new(&other.text).line_column(&other.text, label.span.start);
            notes.push(format!("note: {}:{line}:{column}: {}", display_path(&other.path), label.message));
        }
    }
    let mut help = diagnostic.help.clone().unwrap_or_default();
    for note in notes {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str(&note);
    }
    let mut report = MietteDiagnostic::new(diagnostic.message.clone())
        .with_code(diagnostic.code)
        .with_severity(match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
        .with_labels(labels);
    if !help.is_empty() {
        report = report.with_help(help);
    }
    let report =
        Report::new(report).with_source_code(NamedSource::new(display_path(&file.path), file.text[bom..].to_string()));
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{}[{}]: {}", severity_word(diagnostic.severity), diagnostic.code, diagnostic.message);
    }
    out.trim_end().to_string()
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn span_json(file: &SourceFile, start: usize, end: usize) -> Value {
    let (line, column) = LineIndex::new(&file.text).line_column(&file.text, start);
    json!({"start": start, "end": end, "line": line, "column": column})
}

/// One diagnostic in the JSON contract of `mlpc check --format json`.
pub fn json(diagnostic: &Diagnostic, files: &[SourceFile]) -> Value {
    let file = &files[diagnostic.file.0 as usize];
    let labels: Vec<Value> = std::iter::once(json!({
        "message": diagnostic.primary_label,
        "file": display_path(&file.path),
        "span": span_json(file, diagnostic.span.start, diagnostic.span.end),
        "primary": true,
    }))
    .chain(diagnostic.labels.iter().map(|label| {
        let f = &files[label.file.0 as usize];
        json!({
            "message": label.message,
            "file": display_path(&f.path),
            "span": span_json(f, label.span.start, label.span.end),
            "primary": false,
        })
    }))
    .collect();
    json!({
        "severity": severity_word(diagnostic.severity),
        "code": diagnostic.code,
        "message": diagnostic.message,
        "file": display_path(&file.path),
        "span": span_json(file, diagnostic.span.start, diagnostic.span.end),
        "labels": labels,
        "help": diagnostic.help,
    })
}

/// One line of a data file, shown under a run-time error with its real line number and the
/// column of the cell in the file's line (the data layer may show a long line in part, and some
/// bytes as visible symbols, so the column is not always the offset in the shown text).
struct DataLine {
    text: String,
    line: usize,
    /// Added to the columns miette counts in `text`.
    column_shift: isize,
}

impl miette::SourceCode for DataLine {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        // Column 0 is the start of the line, where miette lays the line out: left as it is.
        let column = match inner.column() {
            0 => 0,
            column => column.saturating_add_signed(self.column_shift),
        };
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            *inner.span(),
            inner.line() + self.line - 1,
            column,
            inner.line_count(),
        )))
    }
}

/// A run-time failure as miette renders it: the message, the data file's offending line (which
/// the error carries) with the cell underlined, and the help line.
pub fn run_error(error: &mlp_runtime::RunError, color: bool) -> String {
    let mut report = MietteDiagnostic::new(error.message.clone()).with_code(error.code);
    let mut help = error.help.clone().unwrap_or_default();
    if let Some(definition) = &error.definition {
        let note = format!("in the run of `{definition}`");
        help = if help.is_empty() { note } else { format!("{help}\nnote: {note}") };
    }
    let mut source = None;
    if let Some(location) = &error.location {
        let shown = display_path(&location.path);
        match (&location.text, location.line) {
            (Some(text), Some(line)) => {
                let label = location.column.as_ref().map(|c| format!("column `{c}`"));
                let cell = (text.cell.start, text.cell.len().max(1));
                report = report.with_labels(vec![LabeledSpan::new_primary_with_span(label, cell)]);
                let column_shift = text.column as isize - 1 - text.cell.start as isize;
                let line = DataLine { text: text.text.clone(), line: line as usize, column_shift };
                source = Some(NamedSource::new(shown, line));
            }
            _ => {
                let at = match (location.line, &location.column) {
                    (Some(line), Some(column)) => format!("{shown}:{line}, column `{column}`"),
                    (Some(line), None) => format!("{shown}:{line}"),
                    (None, Some(column)) => format!("{shown}, column `{column}`"),
                    (None, None) => shown,
                };
                help = if help.is_empty() { format!("in {at}") } else { format!("in {at}\n{help}") };
            }
        }
    }
    if !help.is_empty() {
        report = report.with_help(help);
    }
    let report = match source {
        Some(source) => Report::new(report).with_source_code(source),
        None => Report::new(report),
    };
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("error[{}]: {}", error.code, error.message);
    }
    out.trim_end().to_string()
}

/// A run-time failure for `mlpc run --json`.
pub fn run_error_json(error: &mlp_runtime::RunError) -> Value {
    json!({
        "code": error.code,
        "message": error.message,
        "file": error.location.as_ref().map(|l| display_path(&l.path)),
        "line": error.location.as_ref().and_then(|l| l.line),
        "column": error.location.as_ref().and_then(|l| l.column.clone()),
        "byte": error.location.as_ref().and_then(|l| l.byte),
        "definition": error.definition,
        "help": error.help,
    })
}
