//! Diagnostics are data: a code, a severity, a message, a primary span, secondary labels and one
//! `help:` line. Rendering them (miette in the CLI, JSON for tools, LSP for editors) happens elsewhere.

use crate::codes::Code;
use crate::span::Span;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Identifies a source file among those a compilation read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub struct FileId(pub u32);

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code such as `E0102`; see `crate::codes` and `docs/errors/`.
    pub code: Code,
    pub message: String,
    pub file: FileId,
    pub span: Span,
    /// Message under the primary span (may be empty).
    pub primary_label: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        debug_assert_eq!(code.severity(), Severity::Error, "error codes start with E: {code}");
        Self::new(Severity::Error, code, file, span, message)
    }

    pub fn warning(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        debug_assert_eq!(code.severity(), Severity::Warning, "warning codes start with W: {code}");
        Self::new(Severity::Warning, code, file, span, message)
    }

    fn new(severity: Severity, code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file,
            span,
            primary_label: String::new(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// The text under the primary span.
    pub fn with_primary(mut self, message: impl Into<String>) -> Self {
        self.primary_label = message.into();
        self
    }

    /// A secondary label, in the same file as the primary span.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { file: self.file, span, message: message.into() });
        self
    }

    /// A secondary label in another file (for example the first definition of a duplicate).
    pub fn with_label_in(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { file, span, message: message.into() });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A source file the compilation read, with its text, for rendering diagnostics.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub id: FileId,
    pub path: PathBuf,
    pub text: String,
}
