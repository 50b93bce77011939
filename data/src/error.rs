//! Run-time failures as data: a stable code (E07xx for data, E08xx for training and execution), a
//! message, where it happened (a data file, its line and column, or a definition of the spec), and
//! one `help:` line. The CLI renders them (exit status 4); nothing here prints.

use crate::excerpt::LineText;
use mlp_compiler::codes::Code;
use serde::Serialize;
use std::path::PathBuf;

/// Where a run-time failure happened.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Location {
    /// The data file (or the spec) concerned.
    pub path: PathBuf,
    /// 1-based line in that file, when known.
    pub line: Option<u64>,
    /// The column by name, when one cell or column is at fault.
    pub column: Option<String>,
    /// Byte offset of the offending cell or record in the file, when known.
    pub byte: Option<u64>,
    /// The text of `line` with the cell at fault marked, when the file is a text data file: set
    /// by the data layer, so whoever shows the error needs to read no file.
    pub text: Option<LineText>,
}

/// A run-time failure: bad data, divergence, an unwritable run directory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunError {
    /// Stable code registered in `mlp_compiler::codes` with a long explanation in docs/errors/.
    pub code: Code,
    /// Lowercase, no trailing period, identifiers in backticks.
    pub message: String,
    pub location: Option<Location>,
    pub help: Option<String>,
    /// The definition of the spec the failure belongs to (a source, dataset or model name).
    pub definition: Option<String>,
}

impl RunError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        RunError { code, message: message.into(), location: None, help: None, definition: None }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// A failure in a data file at a 1-based line, optionally in a named column.
    pub fn in_file(mut self, path: impl Into<PathBuf>, line: Option<u64>, column: Option<&str>) -> Self {
        let column = column.map(str::to_string);
        self.location = Some(Location { path: path.into(), line, column, byte: None, text: None });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn for_definition(mut self, name: impl Into<String>) -> Self {
        self.definition = Some(name.into());
        self
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)?;
        if let Some(location) = &self.location {
            write!(f, " ({}", location.path.display())?;
            if let Some(line) = location.line {
                write!(f, ":{line}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl std::error::Error for RunError {}

pub type RunResult<T> = Result<T, RunError>;
