//! Compiler diagnostics as LSP diagnostics: the same codes and messages as `mlpc check`, ranges in
//! UTF-16, secondary labels as related information and the `help:` line appended to the message.

use crate::position::LineMap;
use lsp_types::{Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Url};
use mlp_compiler::{Compilation, Severity};
use std::path::Path;

/// The diagnostics of `compilation` that belong to the file at `path` (the root file is `FileId(0)`).
pub fn for_file(compilation: &Compilation, path: &Path) -> Vec<Diagnostic> {
    let Some(file) = compilation.files.iter().find(|f| f.path == path).or_else(|| compilation.files.first()) else {
        return Vec::new();
    };
    let map = LineMap::new(&file.text);
    compilation
        .diagnostics
        .iter()
        .filter(|d| d.file == file.id)
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let related: Vec<_> = d
                .labels
                .iter()
                .filter_map(|label| {
                    let source = compilation.file(label.file)?;
                    let uri = Url::from_file_path(&source.path).ok()?;
                    let range = LineMap::new(&source.text).range(&source.text, label.span);
                    Some(DiagnosticRelatedInformation {
                        location: Location::new(uri, range),
                        message: label.message.clone(),
                    })
                })
                .collect();
            Diagnostic {
                range: map.range(&file.text, d.span),
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.code.to_string())),
                source: Some("mlpc".to_string()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Diagnostic::default()
            }
        })
        .collect()
}
