//! JSON lines: one object per line, keys are columns. A key absent from an object, or `null`, is
//! a missing cell; numbers and bools fill numeric and bool columns, strings are parsed like CSV
//! cells, and text columns take any value as its JSON text (as the checker's inference does).

use crate::columns::{Cell, CellProblem, ColumnData, Kind, float_cell, parse_cell};
use crate::diag::{self, Wanted};
use crate::error::RunResult;
use crate::load::Part;
use serde_json::Value;
use std::path::Path;

pub(crate) fn read(path: &Path, wanted: &[Wanted]) -> RunResult<Part> {
    let bytes = std::fs::read(path).map_err(|e| diag::unreadable(path, &e))?;
    parse(path, &bytes, wanted)
}

pub(crate) fn parse(path: &Path, bytes: &[u8], wanted: &[Wanted]) -> RunResult<Part> {
    let mut columns: Vec<ColumnData> = wanted.iter().map(|w| ColumnData::new(w.kind)).collect();
    let mut seen = vec![false; wanted.len()];
    let mut lines = Vec::new();
    let mut start = 0;
    let mut number = 0u64;
    let skip = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    while start < bytes.len() {
        number += 1;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let first = if start == 0 { skip } else { start };
        let raw = &bytes[first..end];
        let line_start = first;
        start = end + 1;
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(e) => return Err(diag::not_utf8_at(path, number, line_start + e.valid_up_to())),
        };
        if text.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                return Err(diag::malformed(path, number, line_start, None, "the line is not a JSON object"));
            }
            Err(e) => {
                let at = line_start + e.column().saturating_sub(1);
                return Err(diag::malformed(path, number, at, None, &format!("invalid JSON: {e}")));
            }
        };
        for (w, column) in wanted.iter().enumerate() {
            let value = object.get(&column.name);
            seen[w] |= value.is_some();
            let cell = cell(column.kind, value)
                .map_err(|(problem, shown)| diag::bad_cell(path, number, line_start, column, problem, &shown))?;
            match cell {
                Owned::Cell(c) => columns[w].push(c),
                Owned::Text(t) => columns[w].push(Cell::Str(&t)),
            }
        }
        lines.push(number);
    }
    if lines.is_empty() {
        return Err(diag::empty(path));
    }
    if let Some(w) = seen.iter().position(|s| !s) {
        return Err(diag::missing_wanted(path, 1, &wanted[w]));
    }
    Ok(Part { columns, lines })
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
