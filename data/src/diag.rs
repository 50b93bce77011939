//! The data errors (E07xx) every reader raises, worded in one place so that CSV, JSON lines and
//! Parquet describe the same problem the same way; and the wanted columns they check against.

use crate::columns::{CellProblem, Kind};
use crate::error::{Location, RunError};
use mlp_compiler::codes::Code;
use mlp_compiler::types::ColumnType;
use std::path::Path;

/// A column of the source's schema, as the readers need it.
#[derive(Clone, Debug)]
pub(crate) struct Wanted {
    pub name: String,
    pub kind: Kind,
    pub ty: ColumnType,
    /// For one number of an image or sequence column (`pixels_17`): that column and the
    /// number's index in a row.
    pub element: Option<(String, usize)>,
}

fn at(path: &Path, line: Option<u64>, column: Option<&str>, byte: Option<usize>) -> Location {
    let (column, byte) = (column.map(str::to_string), byte.map(|b| b as u64));
    // The line's text is added where the file's bytes or its layout are known (`excerpt::attach`).
    Location { path: path.to_path_buf(), line, column, byte, text: None }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// A cell's text for a message: lossy UTF-8, at most 40 characters.
pub(crate) fn shown(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let mut shown: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        shown.push('…');
    }
    shown
}

/// 1-based line of byte `at`.
pub(crate) fn line_of(bytes: &[u8], at: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..at.min(bytes.len())]).count() as u64
}

pub(crate) fn unreadable(path: &Path, error: &std::io::Error) -> RunError {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    };
    RunError::new(Code::E0701, format!("cannot read `{}`: {reason}", file_name(path)))
        .at(at(path, None, None, None))
        .with_help("paths are relative to the spec's directory; check that the file exists and is readable")
}

/// A data path that names a directory, a FIFO or a device: it is never opened.
pub(crate) fn not_regular(path: &Path, kind: &str) -> RunError {
    RunError::new(Code::E0725, format!("`{}` is {kind}, not a regular file", file_name(path)))
        .at(at(path, None, None, None))
        .with_help(
            "point the source at a regular data file; to read every file of a folder use a glob, e.g. `data/*.csv`",
        )
}

/// A glob whose walk went over its budget of entries or time.
pub(crate) fn glob_too_broad(pattern: &Path, bound: &mlp_compiler::world::GlobBound) -> RunError {
    let what = if bound.timed_out {
        format!("ran out of time after visiting {} entries", bound.visited)
    } else {
        format!("visited more than {} entries without finishing", bound.visited.saturating_sub(1))
    };
    RunError::new(Code::E0725, format!("the glob `{}` {what}", file_name(pattern)))
        .at(at(pattern, None, None, None))
        .with_help("narrow the pattern: start it at the folder that holds the data (e.g. `data/*.csv`) and keep `**` away from large folders")
}

pub(crate) fn no_match(pattern: &Path) -> RunError {
    // The message names the glob's last part only: the location line gives the whole path, and a long
    // absolute path in the message would wrap differently on every machine.
    RunError::new(Code::E0701, format!("no data file matches `{}`", file_name(pattern)))
        .at(at(pattern, None, None, None))
        .with_help("paths are relative to the spec's directory; a glob must match at least one file")
}

pub(crate) fn empty(path: &Path) -> RunError {
    RunError::new(Code::E0702, format!("`{}` is empty", file_name(path)))
        .at(at(path, Some(1), None, Some(0)))
        .with_help("a data file needs a header row and at least one data row")
}

pub(crate) fn header_only(path: &Path, line: u64, byte: usize) -> RunError {
    RunError::new(Code::E0703, format!("`{}` has a header but no data rows", file_name(path)))
        .at(at(path, Some(line), None, Some(byte)))
        .with_help("add data rows below the header, or point the source at the file that holds them")
}

pub(crate) fn duplicate(path: &Path, line: u64, name: &str, byte: usize) -> RunError {
    RunError::new(Code::E0704, format!("column `{name}` appears twice in the header"))
        .at(at(path, Some(line), Some(name), Some(byte)))
        .with_help("rename one of the two columns in the file")
}

pub(crate) fn ragged(path: &Path, line: u64, byte: usize, expected: usize, found: usize) -> RunError {
    RunError::new(Code::E0705, format!("row has {found} fields but the header has {expected}"))
        .at(at(path, Some(line), None, Some(byte)))
        .with_help("every row needs one field per header column; quote a field that contains the delimiter")
}

pub(crate) fn bad_cell(
    path: &Path,
    line: u64,
    byte: usize,
    column: &Wanted,
    problem: CellProblem,
    value: &str,
) -> RunError {
    let name = &column.name;
    let location = at(path, Some(line), Some(name), Some(byte));
    if let Some((tensor, index)) = &column.element {
        return bad_element(location, name, tensor, *index, Some(value));
    }
    match problem {
        CellProblem::Infinite => RunError::new(Code::E0712, format!("infinite value `{value}` in column `{name}`"))
            .at(location)
            .with_help("models need finite numbers: replace the value, or leave the cell empty to mark it missing"),
        CellProblem::Type => RunError::new(
            Code::E0706,
            format!("`{value}` in column `{name}` is not a {}", column.ty.keyword()),
        )
        .at(location)
        .with_help(format!(
            "fix the cell, or declare `{name}: category(...)` or `{name}: text` in the source's `schema {{ }}` block"
        )),
    }
}

pub(crate) fn not_utf8(path: &Path, bytes: &[u8], byte: usize) -> RunError {
    not_utf8_at(path, line_of(bytes, byte), byte)
}

pub(crate) fn not_utf8_at(path: &Path, line: u64, byte: usize) -> RunError {
    RunError::new(Code::E0707, format!("`{}` is not valid UTF-8 at byte {byte}", file_name(path)))
        .at(at(path, Some(line), None, Some(byte)))
        .with_help("save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 in.csv > out.csv`)")
}

fn bad_element(location: Location, name: &str, tensor: &str, index: usize, value: Option<&str>) -> RunError {
    let what = match value {
        Some(value) => format!("`{value}` in column `{name}` is not a number"),
        None => format!("column `{name}` has a missing value"),
    };
    RunError::new(Code::E0717, format!("{what}: it is number {index} of `{tensor}`"))
        .at(location)
        .with_help(
            "every number of an image or sequence column must be present and finite: fix the cell, or drop the row from the file",
        )
}

/// A missing cell in one number of an image or sequence column.
pub(crate) fn missing_element(path: &Path, line: u64, column: &Wanted) -> RunError {
    let (tensor, index) = column.element.clone().unwrap_or_default();
    bad_element(at(path, Some(line), Some(&column.name), None), &column.name, &tensor, index, None)
}

/// A row of a list column holding an image or sequence that is missing, of the wrong length, or
/// holds a missing or infinite value.
pub(crate) fn bad_tensor_row(path: &Path, line: u64, column: &Wanted, problem: &str) -> RunError {
    let tensor = column.element.as_ref().map_or(column.name.as_str(), |(t, _)| t.as_str());
    RunError::new(Code::E0717, problem.to_string()).at(at(path, Some(line), Some(tensor), None)).with_help(format!(
        "every row of `{tensor}: {}` needs all its values, present and finite: fix the row, or drop it from the file",
        column.ty
    ))
}

/// A wanted column the file lacks: E0716 for a number of an image or sequence column.
pub(crate) fn missing_wanted(path: &Path, line: u64, column: &Wanted) -> RunError {
    let Some((tensor, _)) = &column.element else { return missing_column(path, line, &column.name) };
    let name = &column.name;
    let width = column.ty.tensor_width().unwrap_or(0);
    RunError::new(Code::E0716, format!("column `{name}` of `{tensor}: {}` is missing from `{}`", column.ty, file_name(path)))
        .at(at(path, Some(line), Some(name), Some(0)))
        .with_help(format!(
            "`{tensor}` is read from the {width} columns `{tensor}_0` … `{tensor}_{}` (channel-first, row-major): add `{name}` to the file, or fix the declared shape",
            width.saturating_sub(1)
        ))
}

pub(crate) fn missing_column(path: &Path, line: u64, name: &str) -> RunError {
    RunError::new(Code::E0708, format!("column `{name}` is missing from `{}`", file_name(path)))
        .at(at(path, Some(line), Some(name), Some(0)))
        .with_help(format!("the schema needs `{name}`: add it to the file, or remove it from the `schema {{ }}` block"))
}

pub(crate) fn header_differs(path: &Path, first: &Path) -> RunError {
    RunError::new(
        Code::E0708,
        format!("the columns of `{}` differ from those of `{}`", file_name(path), file_name(first)),
    )
    .at(at(path, Some(1), None, Some(0)))
    .with_help("every file a glob matches must have the same columns in the same order")
}

pub(crate) fn unterminated(path: &Path, line: u64, byte: usize) -> RunError {
    RunError::new(Code::E0715, "a quoted field is never closed")
        .at(at(path, Some(line), None, Some(byte)))
        .with_help("close the field with `\"` and double every quote inside it (`\"\"`)")
}

pub(crate) fn malformed(path: &Path, line: u64, byte: usize, column: Option<&str>, what: &str) -> RunError {
    RunError::new(Code::E0715, format!("malformed record: {what}"))
        .at(at(path, Some(line), column, Some(byte)))
        .with_help("fix the record, or remove it from the file")
}

/// A row without a time, when rows are put in time order (`time_order.rs`).
pub(crate) fn missing_time(location: Option<Location>, column: &str) -> RunError {
    let error = RunError::new(
        Code::E0714,
        format!("a row has no time in column `{column}`, so rows cannot be put in time order"),
    )
    .with_help(
        "give every row a time, or remove the rows without one (numbers and ISO 8601 dates and times sort correctly)",
    );
    match location {
        Some(location) => error.at(location),
        None => error,
    }
}

/// A time column that holds images or sequences.
pub(crate) fn not_a_time(column: &str) -> RunError {
    RunError::new(Code::E0714, format!("the time column `{column}` is not a time"))
        .with_help("order rows by a column of numbers or of ISO 8601 dates and times")
}

pub(crate) fn unsupported_type(path: &Path, column: &Wanted) -> RunError {
    RunError::new(
        Code::E0706,
        format!("column `{}` is declared `{}`, which a table cell cannot hold", column.name, column.ty),
    )
    .at(at(path, None, Some(&column.name), None))
    .with_help("declare the column as `float`, `int`, `bool`, `category(...)` or `text`")
}

/// For each field of a file's header, the wanted column it fills; E0708 for a wanted column the
/// header lacks.
pub(crate) fn targets(
    path: &Path,
    line: u64,
    header: &[String],
    wanted: &[Wanted],
) -> Result<Vec<Option<usize>>, RunError> {
    let mut targets = vec![None; header.len()];
    for (w, column) in wanted.iter().enumerate() {
        match header.iter().position(|h| *h == column.name) {
            Some(f) => targets[f] = Some(w),
            None => return Err(missing_wanted(path, line, column)),
        }
    }
    Ok(targets)
}
