//! Rendering diagnostics for people (miette, colours only on a terminal) and for tools (JSON with
//! byte offsets and 1-based lines and columns, the contract in DESIGN.md).

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
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(diagnostic.primary_label.clone()).filter(|l| !l.is_empty()),
        (diagnostic.span.start, diagnostic.span.len()),
    )];
    let mut notes = Vec::new();
    for label in &diagnostic.labels {
        if label.file == diagnostic.file {
            labels.push(LabeledSpan::new_with_span(Some(label.message.clone()), (label.span.start, label.span.len())));
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
    let report = Report::new(report).with_source_code(NamedSource::new(display_path(&file.path), file.text.clone()));
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
