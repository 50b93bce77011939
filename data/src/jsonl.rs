//! JSON lines: one object per line, keys are columns. A key absent from an object, or `null`, is
//! a missing cell; numbers and bools fill numeric and bool columns, strings are parsed like CSV
//! cells, and text columns take any value as its JSON text (as the checker's inference does).
//! The checker's sample reads the same lines with the same parser ([`sample`]).

use crate::columns::{Cell, CellProblem, ColumnData, Kind, float_cell, parse_cell};
use crate::diag::{self, Wanted};
use crate::error::{RunError, RunResult};
use crate::load::Part;
use crate::missing::is_missing;
use mlp_compiler::world::{Sample, SampleError};
use serde_json::{Map, Value};
use std::path::Path;

pub(crate) fn read(path: &Path, wanted: &[Wanted]) -> RunResult<Part> {
    let bytes = std::fs::read(path).map_err(|e| diag::unreadable(path, &e))?;
    parse(path, &bytes, wanted)
}

pub(crate) fn parse(path: &Path, bytes: &[u8], wanted: &[Wanted]) -> RunResult<Part> {
    let mut columns: Vec<ColumnData> = wanted.iter().map(|w| ColumnData::new(w.kind)).collect();
    let mut seen = vec![false; wanted.len()];
    let mut lines = Vec::new();
    for line in Lines::new(bytes) {
        let object = match object(line.text) {
            Ok(Some(object)) => object,
            Ok(None) => continue,
            Err(problem) => return Err(line_error(path, &line, problem)),
        };
        for (w, column) in wanted.iter().enumerate() {
            let value = object.get(&column.name);
            seen[w] |= value.is_some();
            let cell = cell(column.kind, value)
                .map_err(|(problem, shown)| diag::bad_cell(path, line.number, line.start, column, problem, &shown))?;
            match cell {
                Owned::Cell(c) => columns[w].push(c),
                Owned::Text(t) => columns[w].push(Cell::Str(&t)),
            }
        }
        lines.push(line.number);
    }
    if lines.is_empty() {
        return Err(diag::empty(path));
    }
    if let Some(w) = seen.iter().position(|s| !s) {
        return Err(diag::missing_wanted(path, 1, &wanted[w]));
    }
    Ok(Part { columns, lines })
}

/// One line of a JSON-lines file.
struct Line<'a> {
    /// 1-based.
    number: u64,
    /// The byte the line starts at (after a byte-order mark).
    start: usize,
    /// The line without its `\n`.
    text: &'a [u8],
    /// Whether a `\n` ended it (the last line of a file, or of bytes read so far, may lack one).
    ended: bool,
}

/// The lines of JSON-lines bytes, a UTF-8 byte-order mark dropped.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    number: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let pos = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        Lines { bytes, pos, number: 0 }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let start = self.pos;
        let end = memchr::memchr(b'\n', &self.bytes[start..]).map(|i| start + i);
        self.pos = end.map_or(self.bytes.len(), |e| e + 1);
        self.number += 1;
        let text = &self.bytes[start..end.unwrap_or(self.bytes.len())];
        Some(Line { number: self.number, start, text, ended: end.is_some() })
    }
}

/// Why a line is not a JSON object.
enum LineProblem {
    /// The offset in the line of the first byte that is not UTF-8.
    NotUtf8(usize),
    NotObject,
    Invalid(serde_json::Error),
}

/// The object on one line; `None` for a blank line.
fn object(line: &[u8]) -> Result<Option<Map<String, Value>>, LineProblem> {
    let text = std::str::from_utf8(line).map_err(|e| LineProblem::NotUtf8(e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(Some(object)),
        Ok(_) => Err(LineProblem::NotObject),
        Err(e) => Err(LineProblem::Invalid(e)),
    }
}

fn line_error(path: &Path, line: &Line<'_>, problem: LineProblem) -> RunError {
    match problem {
        LineProblem::NotUtf8(at) => diag::not_utf8_at(path, line.number, line.start + at),
        LineProblem::NotObject => diag::malformed(path, line.number, line.start, None, "the line is not a JSON object"),
        LineProblem::Invalid(e) => {
            let at = line.start + e.column().saturating_sub(1);
            diag::malformed(path, line.number, at, None, &format!("invalid JSON: {e}"))
        }
    }
}

/// The columns (keys in order of first appearance) and the first `max_rows` objects of a
/// JSON-lines file for the checker, read line by line as the loader reads them: `null`, an absent
/// key and a missing string (empty or a marker, see `missing.rs`) are `None`; strings trimmed,
/// other values as their JSON text. `bytes` is the start of the file, all of it when `complete`;
/// `None` asks for more bytes (the last line may be cut).
pub(crate) fn sample(
    path: &Path,
    bytes: &[u8],
    complete: bool,
    max_rows: usize,
) -> Option<Result<Sample, SampleError>> {
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    let mut lines = Vec::new();
    for line in Lines::new(bytes) {
        if objects.len() >= max_rows {
            break;
        }
        if !line.ended && !complete {
            return None;
        }
        let object = match object(line.text) {
            Ok(Some(object)) => object,
            Ok(None) => continue,
            Err(LineProblem::NotUtf8(at)) => {
                return Some(Err(SampleError::NotUtf8 { line: line.number, byte: (line.start + at) as u64 }));
            }
            Err(LineProblem::NotObject) => {
                return Some(Err(SampleError::Unreadable(format!("line {} is not a JSON object", line.number))));
            }
            Err(LineProblem::Invalid(e)) => {
                return Some(Err(SampleError::Unreadable(format!("line {}: {e}", line.number))));
            }
        };
        for key in object.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        objects.push(object);
        lines.push(line.number);
    }
    if objects.len() < max_rows && !complete {
        return None;
    }
    if objects.is_empty() {
        return Some(Err(SampleError::Empty));
    }
    let rows = objects.iter().map(|object| columns.iter().map(|c| sample_cell(object.get(c))).collect()).collect();
    Some(Ok(Sample { path: path.to_path_buf(), columns, rows, lines }))
}

/// A value as the sample's text: what the loader would read as missing is `None`.
fn sample_cell(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) => {
            let text = s.trim();
            (!is_missing(text.as_bytes())).then(|| text.to_string())
        }
        other => Some(other.to_string()),
    }
}

/// A parsed cell that may own its text.
enum Owned {
    Cell(Cell<'static>),
    Text(String),
}

fn cell(kind: Kind, value: Option<&Value>) -> Result<Owned, (CellProblem, String)> {
    let value = match value {
        None | Some(Value::Null) => return Ok(Owned::Cell(Cell::Missing)),
        Some(value) => value,
    };
    let problem = |p: CellProblem| (p, diag::shown(value.to_string().as_bytes()));
    match (kind, value) {
        (Kind::Str, Value::String(s)) => match parse_cell(Kind::Str, s.as_bytes()) {
            Ok(Cell::Str(t)) => Ok(Owned::Text(t.to_string())),
            _ => Ok(Owned::Cell(Cell::Missing)),
        },
        (Kind::Str, other) => Ok(Owned::Text(other.to_string())),
        (Kind::Float, Value::Number(n)) => match n.as_f64().map(float_cell) {
            Some(Ok(c)) => Ok(Owned::Cell(c)),
            Some(Err(p)) => Err(problem(p)),
            None => Err(problem(CellProblem::Type)),
        },
        (Kind::Int, Value::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Owned::Cell(Cell::Int(i))),
            None => Err(problem(CellProblem::Type)),
        },
        (Kind::Bool, Value::Bool(b)) => Ok(Owned::Cell(Cell::Bool(*b))),
        (kind, Value::String(s)) => match parse_cell(kind, s.as_bytes()) {
            Ok(Cell::Float(x)) => Ok(Owned::Cell(Cell::Float(x))),
            Ok(Cell::Int(x)) => Ok(Owned::Cell(Cell::Int(x))),
            Ok(Cell::Bool(x)) => Ok(Owned::Cell(Cell::Bool(x))),
            Ok(_) => Ok(Owned::Cell(Cell::Missing)),
            Err(p) => Err(problem(p)),
        },
        _ => Err(problem(CellProblem::Type)),
    }
}
