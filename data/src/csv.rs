//! The CSV reader: header checks, then the data cut into byte ranges at record boundaries
//! ([`records::chunks`]) and parsed on every core straight into the final column buffers.
//!
//! Typed number parsing is where CSV time goes, so the common cell takes one step: parse a number
//! from the bytes where the cell starts (`fast_float2::parse_partial`) and check that a delimiter
//! or newline follows. Everything else (quotes, spaces, missing markers, errors) takes the general
//! path through [`records::field`] and [`columns::parse_cell`]. Each range knows its row count
//! before parsing, so numbers are written into disjoint slices of one buffer per column: no copy
//! afterwards, and memory holds the file plus the columns. The first error in file order wins.

use crate::columns::{self, Cell, CellProblem, ColumnData, Kind, Values, float_cell, parse_cell, trim};
use crate::diag::{self, Wanted};
use crate::error::{RunError, RunResult};
use crate::load::Part;
use crate::missing::is_missing;
use crate::records::{self, End, Unterminated, blank_line, field, terminator};
use mlp_compiler::world::{Sample, SampleError};
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A file's header names (trimmed) and its rows in the wanted columns.
pub(crate) struct CsvFile {
    pub header: Vec<String>,
    pub part: Part,
}

pub(crate) fn read(path: &Path, delimiter: u8, wanted: &[Wanted]) -> RunResult<CsvFile> {
    let file = std::fs::File::open(path).map_err(|e| diag::unreadable(path, &e))?;
    // Map the file rather than copy it: no second copy in memory, and the pages are read in
    // parallel by the chunk parsers. An empty file cannot be mapped on every platform.
    let length = file.metadata().map_err(|e| diag::unreadable(path, &e))?.len();
    if length == 0 {
        return Err(diag::empty(path));
    }
    // SAFETY: the map is read-only and lives only during this call; a file truncated by another
    // process while it is read can fault, as with every memory-mapped reader (polars, ripgrep).
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.map_err(|e| diag::unreadable(path, &e))?;
    parse(path, &map, delimiter, wanted)
}

/// Parses a whole CSV file held in memory (`path` names it in errors).
pub(crate) fn parse(path: &Path, bytes: &[u8], delimiter: u8, wanted: &[Wanted]) -> RunResult<CsvFile> {
    let header = match header(bytes, delimiter) {
        Ok(header) => header,
        Err(HeaderProblem::Empty) => return Err(diag::empty(path)),
        Err(HeaderProblem::Unterminated(u)) => return Err(unterminated(path, bytes, u)),
        Err(HeaderProblem::NotUtf8(at)) => return Err(diag::not_utf8(path, bytes, at)),
    };
    let (header_line, pos, line) = (header.line, header.data, header.data_line);
    for (i, (name, at)) in header.names.iter().enumerate() {
        if header.names[..i].iter().any(|(n, _)| n == name) {
            return Err(diag::duplicate(path, header_line, name, *at));
        }
    }
    let names: Vec<String> = header.names.into_iter().map(|(n, _)| n).collect();
    let targets = diag::targets(path, header_line, &names, wanted)?;

    let threads = rayon::current_num_threads().max(1);
    let target = ((bytes.len() - pos) / (threads * 16)).clamp(64 << 10, 16 << 20);
    let chunks = records::chunks(bytes, pos, line, delimiter, target).map_err(|u| unterminated(path, bytes, u))?;
    let total: usize = chunks.iter().map(|c| c.rows).sum();
    if total == 0 {
        return Err(diag::header_only(path, line, pos));
    }

    // One buffer per numeric column, cut into one slice per chunk.
    let mut buffers: Vec<Buffer> = wanted
        .iter()
        .map(|w| match w.kind {
            Kind::Float => Buffer::Float(vec![0.0; total]),
            Kind::Int => Buffer::Int(vec![0; total]),
            Kind::Bool => Buffer::Bool(vec![false; total]),
            Kind::Str => Buffer::Str,
        })
        .collect();
    let mut lines = vec![0u64; total];
    let mut jobs = Vec::with_capacity(chunks.len());
    {
        let mut rests: Vec<Rest<'_>> = buffers.iter_mut().map(Buffer::rest).collect();
        let mut lines_rest: &mut [u64] = &mut lines;
        for chunk in &chunks {
            let (mine, rest) = std::mem::take(&mut lines_rest).split_at_mut(chunk.rows);
            lines_rest = rest;
            let sinks = rests.iter_mut().map(|r| r.take(chunk.rows)).collect();
            jobs.push(Job { chunk: chunk.clone(), lines: mine, sinks });
        }
    }
    let failed = AtomicUsize::new(usize::MAX);
    let check_utf8 = targets.iter().any(|t| t.is_none_or(|w| wanted[w].kind == Kind::Str));
    let all_float = targets.iter().enumerate().all(|(f, t)| *t == Some(f) && wanted[f].kind == Kind::Float);
    let context = Context { bytes, delimiter, targets: &targets, failed: &failed, all_float, check_utf8 };
    let outcomes: Vec<Result<ChunkOut, Fault>> =
        jobs.into_par_iter().enumerate().map(|(index, job)| parse_chunk(&context, index, job)).collect();

    let mut chunk_outs = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome {
            Ok(out) => chunk_outs.push(out),
            Err(fault) => return Err(fault.into_error(path, &names, &targets, wanted)),
        }
    }
    let mut columns: Vec<ColumnData> = buffers
        .into_iter()
        .map(|b| ColumnData {
            values: match b {
                Buffer::Float(v) => Values::Float(v),
                Buffer::Int(v) => Values::Int(v),
                Buffer::Bool(v) => Values::Bool(v),
                Buffer::Str => Values::Str { bytes: Vec::new(), ends: Vec::with_capacity(total) },
            },
            nulls: Vec::new(),
        })
        .collect();
    let mut offset = 0;
    for (chunk, out) in chunks.iter().zip(chunk_outs) {
        for ((column, nulls), strings) in columns.iter_mut().zip(out.nulls).zip(out.strings) {
            column.nulls.extend(nulls.into_iter().map(|r| r + offset));
            if let (Values::Str { bytes, ends }, Some(part)) = (&mut column.values, strings) {
                let base = bytes.len();
                bytes.extend_from_slice(&part.bytes);
                ends.extend(part.ends.into_iter().map(|e| e + base));
            }
        }
        offset += chunk.rows;
    }
    Ok(CsvFile { header: names, part: Part { columns, lines } })
}

fn unterminated(path: &Path, bytes: &[u8], Unterminated(at): Unterminated) -> RunError {
    diag::unterminated(path, diag::line_of(bytes, at), at)
}

/// A file's header row.
struct Header {
    /// The names, trimmed, each with the byte it starts at.
    names: Vec<(String, usize)>,
    /// The header's 1-based line (blank lines before it are skipped).
    line: u64,
    /// Where the data starts, and its line.
    data: usize,
    data_line: u64,
    /// Whether the header ran to the end of `bytes` (no data follows, or the bytes were cut).
    at_end: bool,
}

enum HeaderProblem {
    /// Nothing but a byte-order mark and blank lines.
    Empty,
    Unterminated(Unterminated),
    /// The byte of the first invalid UTF-8 in a name.
    NotUtf8(usize),
}

/// Reads the header: a UTF-8 byte-order mark is dropped, leading blank lines are skipped, names
/// are trimmed.
fn header(bytes: &[u8], delimiter: u8) -> Result<Header, HeaderProblem> {
    let mut pos = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let mut line = 1;
    while let Some(next) = blank_line(bytes, pos) {
        pos = next;
        line += 1;
    }
    if pos >= bytes.len() {
        return Err(HeaderProblem::Empty);
    }
    let header_line = line;
    let mut names = Vec::new();
    let at_end = loop {
        let f = field(bytes, pos, delimiter).map_err(HeaderProblem::Unterminated)?;
        let name = std::str::from_utf8(trim(&f.text))
            .map_err(|_| HeaderProblem::NotUtf8(pos + f.text.iter().position(|b| !b.is_ascii()).unwrap_or(0)))?;
        names.push((name.to_string(), pos));
        line += f.newlines;
        pos = f.next;
        match f.end {
            End::Field => {}
            End::Record => {
                line += 1;
                break false;
            }
            End::Eof => break true,
        }
    };
    Ok(Header { names, line: header_line, data: pos, data_line: line, at_end })
}

/// The header names of CSV `bytes` as the loader reads them, `None` when it cannot (for the line
/// shown under a run error, which finds a cell by its column's position).
pub(crate) fn header_names(bytes: &[u8], delimiter: u8) -> Option<Vec<String>> {
    header(bytes, delimiter).ok().map(|header| header.names.into_iter().map(|(name, _)| name).collect())
}

/// Every record of a CSV text held whole (a request body) as text cells, read with the loader's
/// rules as [`sample`] reads them: the header names, and per record its cells (`None` missing).
pub fn cells(bytes: &[u8], delimiter: u8) -> Result<Sample, SampleError> {
    sample(Path::new("body"), bytes, true, delimiter, usize::MAX).unwrap_or(Err(SampleError::Empty))
}

/// The header and the first `max_rows` records of a CSV file for the checker, read with the
/// loader's rules (byte-order mark, blank lines, quotes, CRLF, the source's delimiter): names
/// and cells trimmed, a missing cell (see `missing.rs`) `None`. `bytes` is the start of the
/// file, all of it when `complete`; `None` asks for more bytes (a record may be cut).
pub(crate) fn sample(
    path: &Path,
    bytes: &[u8],
    complete: bool,
    delimiter: u8,
    max_rows: usize,
) -> Option<Result<Sample, SampleError>> {
    let unreadable = |what: &str, at: usize| {
        let line = diag::line_of(bytes, at);
        Some(Err(SampleError::Unreadable(format!("line {line}: {what}"))))
    };
    let header = match header(bytes, delimiter) {
        // The header may go on past the bytes read so far.
        Ok(Header { at_end: true, .. }) | Err(_) if !complete => return None,
        Ok(header) => header,
        Err(HeaderProblem::Empty) => return Some(Err(SampleError::Empty)),
        Err(HeaderProblem::Unterminated(Unterminated(at))) => return unreadable(UNCLOSED, at),
        Err(HeaderProblem::NotUtf8(at)) => return Some(Err(not_utf8(diag::line_of(bytes, at), at))),
    };
    if let [(only, _)] = header.names.as_slice() {
        if only.is_empty() {
            return Some(Err(SampleError::Empty));
        }
    }
    let columns = header.names.into_iter().map(|(name, _)| name).collect();
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut pos = header.data;
    let mut line = header.data_line;
    while rows.len() < max_rows {
        if let Some(next) = blank_line(bytes, pos) {
            pos = next;
            line += 1;
            continue;
        }
        if pos >= bytes.len() {
            break;
        }
        let mut row = Vec::new();
        let row_line = line;
        loop {
            let f = match field(bytes, pos, delimiter) {
                Ok(f) => f,
                Err(_) if !complete => return None,
                Err(Unterminated(at)) => return unreadable(UNCLOSED, at),
            };
            if f.end == End::Eof && !complete {
                return None;
            }
            let cell = trim(&f.text);
            if is_missing(cell) {
                row.push(None);
            } else {
                match std::str::from_utf8(cell) {
                    Ok(text) => row.push(Some(text.to_string())),
                    Err(e) => {
                        // The cell's place in `bytes` when it was not unquoted into a copy.
                        let start = (cell.as_ptr() as usize).checked_sub(bytes.as_ptr() as usize);
                        let at = start.filter(|&s| s < bytes.len()).unwrap_or(pos + 1) + e.valid_up_to();
                        return Some(Err(not_utf8(line, at)));
                    }
                }
            }
            line += f.newlines;
            pos = f.next;
            if f.end != End::Field {
                line += 1;
                break;
            }
        }
        rows.push(row);
        lines.push(row_line);
    }
    if rows.len() < max_rows && !complete {
        return None;
    }
    Some(Ok(Sample { path: path.to_path_buf(), columns, rows, lines }))
}

const UNCLOSED: &str = "a quoted field is never closed";

/// The checker reports this as E0323, with the line and byte.
fn not_utf8(line: u64, byte: usize) -> SampleError {
    SampleError::NotUtf8 { line, byte: byte as u64 }
}

/// A numeric column's whole buffer.
enum Buffer {
    Float(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    /// Strings are gathered per chunk (their size is unknown before parsing) and joined after.
    Str,
}

impl Buffer {
    fn rest(&mut self) -> Rest<'_> {
        match self {
            Buffer::Float(v) => Rest::Float(v),
            Buffer::Int(v) => Rest::Int(v),
            Buffer::Bool(v) => Rest::Bool(v),
            Buffer::Str => Rest::Str,
        }
    }
}

/// The not yet handed out part of a column's buffer.
enum Rest<'a> {
    Float(&'a mut [f64]),
    Int(&'a mut [i64]),
    Bool(&'a mut [bool]),
    Str,
}

impl<'a> Rest<'a> {
    fn take(&mut self, rows: usize) -> Sink<'a> {
        match self {
            Rest::Float(s) => {
                let (mine, rest) = std::mem::take(s).split_at_mut(rows);
                *s = rest;
                Sink::Float(mine)
            }
            Rest::Int(s) => {
                let (mine, rest) = std::mem::take(s).split_at_mut(rows);
                *s = rest;
                Sink::Int(mine)
            }
            Rest::Bool(s) => {
                let (mine, rest) = std::mem::take(s).split_at_mut(rows);
                *s = rest;
                Sink::Bool(mine)
            }
            Rest::Str => Sink::Str(Strings::default()),
        }
    }
}

/// Where one chunk writes one column.
enum Sink<'a> {
    Float(&'a mut [f64]),
    Int(&'a mut [i64]),
    Bool(&'a mut [bool]),
    Str(Strings),
}

#[derive(Default)]
struct Strings {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

struct Job<'a> {
    chunk: records::Chunk,
    lines: &'a mut [u64],
    sinks: Vec<Sink<'a>>,
}

struct Context<'a> {
    bytes: &'a [u8],
    delimiter: u8,
    /// For each field of the file, the wanted column it fills.
    targets: &'a [Option<usize>],
    /// The lowest index of a chunk that failed: later chunks need not finish.
    failed: &'a AtomicUsize,
    /// Whether every field of the file is a float column, in schema order (see [`float_record`]).
    all_float: bool,
    /// Whether any field is kept as text or skipped: only those need a UTF-8 check, since a
    /// number cell with a non-ASCII byte is an error anyway.
    check_utf8: bool,
}

/// What a chunk leaves besides the numbers already in place.
struct ChunkOut {
    nulls: Vec<Vec<usize>>,
    strings: Vec<Option<Strings>>,
}

/// The first problem in a chunk, in terms the caller turns into a [`RunError`].
#[derive(Debug)]
struct Fault {
    byte: usize,
    line: u64,
    /// The file's field index.
    field: Option<usize>,
    problem: Problem,
}

#[derive(Debug)]
enum Problem {
    Ragged {
        found: usize,
    },
    Cell {
        problem: CellProblem,
        value: String,
    },
    Unterminated,
    NotUtf8,
    /// The parser and the boundary finder disagree on the row count; a bug, reported, not a panic.
    Inconsistent,
}

impl Fault {
    fn into_error(self, path: &Path, names: &[String], targets: &[Option<usize>], wanted: &[Wanted]) -> RunError {
        let name = self.field.and_then(|f| names.get(f)).map(String::as_str);
        match self.problem {
            Problem::Ragged { found } => diag::ragged(path, self.line, self.byte, names.len(), found),
            Problem::Cell { problem, value } => {
                let column = self.field.and_then(|f| targets.get(f).copied().flatten()).and_then(|w| wanted.get(w));
                match column {
                    Some(column) => diag::bad_cell(path, self.line, self.byte, column, problem, &value),
                    None => diag::malformed(path, self.line, self.byte, name, "a cell could not be read"),
                }
            }
            Problem::Unterminated => diag::unterminated(path, self.line, self.byte),
            Problem::NotUtf8 => diag::not_utf8_at(path, self.line, self.byte),
            Problem::Inconsistent => {
                diag::malformed(path, self.line, self.byte, None, "the record could not be cut consistently")
            }
        }
    }
}

fn parse_chunk(context: &Context<'_>, index: usize, job: Job<'_>) -> Result<ChunkOut, Fault> {
    let Job { chunk, lines, mut sinks } = job;
    let columns = sinks.len();
    let mut out = ChunkOut { nulls: vec![Vec::new(); columns], strings: Vec::new() };
    if context.failed.load(Ordering::Relaxed) < index {
        // An earlier chunk failed: its error is the one reported.
        return Ok(out);
    }
    let parsed = parse_records(context, index, &chunk, lines, &mut sinks, &mut out.nulls);
    // Validate UTF-8 here, in parallel; report whichever problem comes first in the file.
    let range = &context.bytes[chunk.start..chunk.end];
    // Only text cells (and skipped fields) can hold non-ASCII bytes without failing to parse.
    let utf8 = if context.check_utf8 { std::str::from_utf8(range).err() } else { None };
    let utf8 = utf8.map(|e| {
        let byte = chunk.start + e.valid_up_to();
        let line = chunk.first_line + memchr::memchr_iter(b'\n', &range[..e.valid_up_to()]).count() as u64;
        Fault { byte, line, field: None, problem: Problem::NotUtf8 }
    });
    let fault = match (parsed, utf8) {
        (Err(parse), Some(utf8)) => Some(if utf8.line <= parse.line { utf8 } else { parse }),
        (Err(parse), None) => Some(parse),
        (Ok(()), utf8) => utf8,
    };
    if let Some(fault) = fault {
        context.failed.fetch_min(index, Ordering::Relaxed);
        return Err(fault);
    }
    out.strings = sinks
        .into_iter()
        .map(|s| match s {
            Sink::Str(strings) => Some(strings),
            _ => None,
        })
        .collect();
    Ok(out)
}

/// Parses the records of one chunk into its sinks.
fn parse_records(
    context: &Context<'_>,
    index: usize,
    chunk: &records::Chunk,
    lines: &mut [u64],
    sinks: &mut [Sink<'_>],
    nulls: &mut [Vec<usize>],
) -> Result<(), Fault> {
    let delimiter = context.delimiter;
    let targets = context.targets;
    let fields = targets.len();
    // Parsing stops at the chunk's end as if it were the end of the file.
    let bytes = &context.bytes[..chunk.end];
    let mut pos = chunk.start;
    let mut line = chunk.first_line;
    let mut row = 0;
    while pos < bytes.len() {
        if let Some(next) = blank_line(bytes, pos) {
            pos = next;
            line += 1;
            continue;
        }
        let record = pos;
        let record_line = line;
        let Some(slot) = lines.get_mut(row) else {
            return Err(Fault { byte: record, line, field: None, problem: Problem::Inconsistent });
        };
        *slot = record_line;
        if row % 8192 == 8191 && context.failed.load(Ordering::Relaxed) < index {
            return Ok(());
        }
        if context.all_float {
            if let Some(next) = float_record(bytes, pos, delimiter, sinks, row) {
                pos = next;
                line += 1;
                row += 1;
                continue;
            }
        }
        for (f, target) in targets.iter().enumerate() {
            let start = pos;
            let (end, next) = match target {
                Some(w) => cell(bytes, pos, delimiter, &mut sinks[*w], &mut nulls[*w], row, &mut line)
                    .map_err(|problem| Fault { byte: start, line, field: Some(f), problem })?,
                None => {
                    let skipped = field(bytes, pos, delimiter).map_err(|_| Fault {
                        byte: start,
                        line,
                        field: Some(f),
                        problem: Problem::Unterminated,
                    })?;
                    line += skipped.newlines;
                    (skipped.end, skipped.next)
                }
            };
            pos = next;
            let last = f + 1 == fields;
            if end != End::Field && !last {
                return Err(Fault {
                    byte: record,
                    line: record_line,
                    field: None,
                    problem: Problem::Ragged { found: f + 1 },
                });
            }
            if last && end == End::Field {
                let found = fields + count_rest(bytes, pos, delimiter);
                return Err(Fault { byte: record, line: record_line, field: None, problem: Problem::Ragged { found } });
            }
            if last && end == End::Record {
                line += 1;
            }
        }
        row += 1;
    }
    if row != lines.len() {
        return Err(Fault { byte: pos, line, field: None, problem: Problem::Inconsistent });
    }
    Ok(())
}

/// A record of plain decimals only, in a file whose fields are all float columns in schema order:
/// the loop that big numeric files spend their time in, without the general path's per-cell
/// dispatch. `None` at the first cell that is anything else (missing, quoted, spaced, an error):
/// the caller then parses the record again the general way, which overwrites this row.
#[inline]
fn float_record(bytes: &[u8], mut pos: usize, delimiter: u8, sinks: &mut [Sink<'_>], row: usize) -> Option<usize> {
    let last = sinks.len().checked_sub(1)?;
    for (i, sink) in sinks.iter_mut().enumerate() {
        let Sink::Float(values) = sink else { return None };
        let (value, used) = columns::parse_plain_decimal(bytes.get(pos..)?)?;
        *values.get_mut(row)? = value;
        pos += used;
        match bytes.get(pos) {
            Some(&b) if b == delimiter && i < last => pos += 1,
            Some(b'\n') if i == last => return Some(pos + 1),
            Some(b'\r') if i == last && bytes.get(pos + 1) == Some(&b'\n') => return Some(pos + 2),
            None if i == last => return Some(pos),
            _ => return None,
        }
    }
    None
}

/// Fields left in a record from `pos` (an extra field has begun there).
fn count_rest(bytes: &[u8], mut pos: usize, delimiter: u8) -> usize {
    let mut count = 0;
    loop {
        count += 1;
        match field(bytes, pos, delimiter) {
            Ok(f) if f.end == End::Field => pos = f.next,
            _ => return count,
        }
    }
}

/// Parses the cell at `pos` into `sink` at `row`: what ended it and where the next begins.
#[inline]
fn cell(
    bytes: &[u8],
    pos: usize,
    delimiter: u8,
    sink: &mut Sink<'_>,
    nulls: &mut Vec<usize>,
    row: usize,
    line: &mut u64,
) -> Result<(End, usize), Problem> {
    // The fast path: a bare number directly followed by a delimiter or a newline.
    match sink {
        Sink::Float(values) => {
            if let Some((v, used)) = crate::columns::parse_float_prefix(&bytes[pos..]) {
                if let Some(ended) = terminator(bytes, pos + used, delimiter) {
                    match float_cell(v) {
                        Ok(Cell::Float(x)) => values[row] = x,
                        Ok(_) => nulls.push(row),
                        Err(problem) => return Err(cell_problem(problem, &bytes[pos..pos + used])),
                    }
                    return Ok(ended);
                }
            }
        }
        Sink::Int(values) => {
            if let Some((v, used)) = crate::columns::parse_int_prefix(&bytes[pos..]) {
                if let Some(ended) = terminator(bytes, pos + used, delimiter) {
                    values[row] = v;
                    return Ok(ended);
                }
            }
        }
        _ => {}
    }
    let f = field(bytes, pos, delimiter).map_err(|_| Problem::Unterminated)?;
    *line += f.newlines;
    let ended = (f.end, f.next);
    match sink {
        Sink::Str(strings) => {
            let text = trim(&f.text);
            if is_missing(text) {
                nulls.push(row);
            } else {
                strings.bytes.extend_from_slice(text);
            }
            strings.ends.push(strings.bytes.len());
        }
        Sink::Float(values) => match parse_cell(Kind::Float, &f.text) {
            Ok(Cell::Float(x)) => values[row] = x,
            Ok(_) => nulls.push(row),
            Err(problem) => return Err(cell_problem(problem, &f.text)),
        },
        Sink::Int(values) => match parse_cell(Kind::Int, &f.text) {
            Ok(Cell::Int(x)) => values[row] = x,
            Ok(_) => nulls.push(row),
            Err(problem) => return Err(cell_problem(problem, &f.text)),
        },
        Sink::Bool(values) => match parse_cell(Kind::Bool, &f.text) {
            Ok(Cell::Bool(x)) => values[row] = x,
            Ok(_) => nulls.push(row),
            Err(problem) => return Err(cell_problem(problem, &f.text)),
        },
    }
    Ok(ended)
}

fn cell_problem(problem: CellProblem, text: &[u8]) -> Problem {
    Problem::Cell { problem, value: diag::shown(trim(text)) }
}
