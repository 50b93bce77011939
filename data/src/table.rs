//! [`Table`]: the rows of one source as typed Arrow columns, with where each row came from.

use crate::error::Location;
use crate::excerpt::{self, Layout};
use arrow_array::ArrayRef;
use std::path::PathBuf;

/// Where a row came from: the file and its 1-based line (the first line of a record that spans
/// lines), for diagnostics raised after loading (a missing label, an unseen category).
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub path: PathBuf,
    pub line: u64,
}

/// Rows of one source: column names and types follow the source's schema, in file order.
#[derive(Clone, Debug)]
pub struct Table {
    pub names: Vec<String>,
    pub columns: Vec<ArrayRef>,
    pub rows: usize,
    /// The files read, in order, with the row index each starts at and each row's line.
    pub files: Vec<FileRows>,
    /// How those files hold rows as text, to show a row's line under an error.
    pub layout: Layout,
}

/// Rows read from one file.
#[derive(Clone, Debug)]
pub struct FileRows {
    pub path: PathBuf,
    /// Index of this file's first row in the table.
    pub first_row: usize,
    /// 1-based line of each of this file's rows.
    pub lines: Vec<u64>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&ArrayRef> {
        self.names.iter().position(|n| n == name).map(|i| &self.columns[i])
    }

    /// Where row `row` was read from.
    pub fn origin(&self, row: usize) -> Option<Origin> {
        let file = self.files.iter().rev().find(|f| f.first_row <= row)?;
        let line = *file.lines.get(row - file.first_row)?;
        Some(Origin { path: file.path.clone(), line })
    }

    /// Row `row` as a run error's location: its file and line, the column at fault, and the
    /// line's text with that column's cell marked (read from the file again: failures found after
    /// loading are rare, and keeping every row's text would double the memory; a table parsed from
    /// bytes whose path names no file has no line to show).
    pub fn locate(&self, row: usize, column: Option<&str>) -> Option<Location> {
        let Origin { path, line } = self.origin(row)?;
        let text = excerpt::line_text(self.layout, &path, line, None, column, None);
        Some(Location { path, line: Some(line), column: column.map(str::to_string), byte: None, text })
    }
}
