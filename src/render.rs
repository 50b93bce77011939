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

/// One line of a data file, shown under a run-time error with its real line number.
struct DataLine {
    text: String,
    line: usize,
}

impl miette::SourceCode for DataLine {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            *inner.span(),
            inner.line() + self.line - 1,
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// The `line`-th line (1-based) of a data file and the byte offset where it starts, read without
/// loading the whole file.
fn read_line(path: &Path, line: u64) -> Option<(String, u64)> {
    use std::io::{BufRead, BufReader};
    let mut reader = BufReader::new(std::fs::File::open(path).ok()?);
    let mut offset = 0u64;
    let mut buffer = Vec::new();
    for _ in 1..line {
        buffer.clear();
        let n = reader.read_until(b'\n', &mut buffer).ok()?;
        if n == 0 {
            return None;
        }
        offset += n as u64;
    }
    buffer.clear();
    reader.read_until(b'\n', &mut buffer).ok()?;
    let text = String::from_utf8_lossy(&buffer).trim_end_matches(['\n', '\r']).to_string();
    // Very long lines (wide rows) are shown in part: the caret still lands on the cell.
    Some((text, offset))
}

/// Where the cell of `column` lies in `line` of a delimited file, found by the column's position
/// in the header: for failures found after loading, which know the row and column but not the
/// byte. Quoted delimiters are not considered; the caret then falls back to the whole line.
fn cell_by_header(path: &Path, column: &str, line: &str) -> Option<(usize, usize)> {
    let (header, _) = read_line(path, 1)?;
    let delimiter = [',', '\t', ';'].into_iter().max_by_key(|d| header.matches(*d).count())?;
    let header = header.trim_start_matches('\u{feff}');
    let index = header.split(delimiter).position(|h| h.trim().trim_matches('"') == column)?;
    if line.contains('"') {
        return None;
    }
    let mut start = 0;
    for (i, cell) in line.split(delimiter).enumerate() {
        if i == index {
            // An empty cell has no width: point at the delimiter before it.
            return Some(if cell.is_empty() && start > 0 { (start - 1, 1) } else { (start, cell.len().max(1)) });
        }
        start += cell.len() + 1;
    }
    None
}

/// A run-time failure as miette renders it: the message, the data file's offending line with the
/// cell underlined when its position is known, and the help line.
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
        let line_data =
            location.line.and_then(|line| read_line(&location.path, line).map(|(text, start)| (line, text, start)));
        match line_data {
            Some((line, text, start)) if !text.is_empty() => {
                let (from, len) = match location.byte.map(|b| b.saturating_sub(start) as usize) {
                    // The line is shown with invalid UTF-8 replaced, which can move later bytes: only
                    // a caret that still lands on a character boundary is used.
                    Some(at) if at < text.len() && text.is_char_boundary(at) => {
                        let end = text[at..].find([',', '\t', ';']).map_or(text.len(), |e| at + e);
                        (at, (end - at).max(1))
                    }
                    _ => location
                        .column
                        .as_deref()
                        .and_then(|column| cell_by_header(&location.path, column, &text))
                        .unwrap_or((0, text.len())),
                };
                let label = location.column.as_ref().map(|c| format!("column `{c}`"));
                report = report.with_labels(vec![LabeledSpan::new_primary_with_span(label, (from, len))]);
                source = Some(NamedSource::new(shown, DataLine { text, line: line as usize }));
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
