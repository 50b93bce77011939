//! Loading a source into a [`Table`]: CSV, Parquet and JSON lines (one file or a glob), typed by
//! the source's schema and validated on the way in, so every later stage can trust its columns;
//! `idx` and `images` sources go to their own readers.
//!
//! Column types map to Arrow as: float → Float64, int → Int64, bool → Boolean, category and
//! text → Utf8. A missing cell (empty, or a marker: see `missing.rs`, which the checker's sample
//! shares) is an Arrow null.
//!
//! An image or sequence column (`pixels: image(1, 8, 8)`) is a `FixedSizeList<Float32>` of
//! c·h·w (or length·features) numbers per row, channel-first and row-major. Table formats hold it
//! as that many numeric columns `pixels_0` … `pixels_63`, read like float columns and then fused;
//! `idx` (MNIST-style files) and `images` (a folder per class) read it directly.

use crate::columns::{self, ColumnData, Kind};
use crate::diag::{self, Wanted};
use crate::error::{RunError, RunResult};
use crate::excerpt::{self, Layout};
use crate::paths::{self, GLOB_LIMITS, GlobError};
use crate::table::{self, Table};
use crate::{csv, folder, idx, jsonl};
use mlp_compiler::codes::Code;
use mlp_compiler::plan::LoadStep;
use mlp_compiler::program::Format;
use mlp_compiler::types::{ColumnType, Schema};
use std::path::{Path, PathBuf};

/// The rows of one file in the wanted columns, with each row's 1-based line.
pub(crate) struct Part {
    pub columns: Vec<ColumnData>,
    pub lines: Vec<u64>,
}

/// Reads a source's file, or every file its glob matches in sorted order, into a [`Table`] typed
/// by the source's schema. Fails with the first problem in file order (E07xx, see `diag`).
pub fn load(step: &LoadStep) -> RunResult<Table> {
    let layout = Layout::of(&step.format);
    load_inner(step, layout).map_err(|e| excerpt::attach(e, layout, None).for_definition(&step.source))
}

fn load_inner(source: &LoadStep, layout: Layout) -> RunResult<Table> {
    match &source.format {
        Format::Idx { .. } => return idx::load(source),
        Format::Images { channels, height, width, .. } => {
            return folder::load(source, *channels, *height, *width);
        }
        _ => {}
    }
    let wanted = wanted(&source.schema, &source.path)?;
    let files = data_files(&source.path)?;
    let mut header: Option<(PathBuf, Vec<String>)> = None;
    let mut parts = Vec::with_capacity(files.len());
    for file in files {
        let (names, part) = match &source.format {
            Format::Csv { delimiter, .. } => {
                let read = csv::read(&file, delimiter.byte(), &wanted)?;
                (Some(read.header), read.part)
            }
            Format::Jsonl { .. } => (None, jsonl::read(&file, &wanted)?),
            Format::Parquet { .. } => (None, read_parquet(&file, &wanted)?),
            Format::Idx { .. } | Format::Images { .. } => unreachable!("read above"),
        };
        if let Some(names) = names {
            match &header {
                Some((first, expected)) if *expected != names => return Err(diag::header_differs(&file, first)),
                Some(_) => {}
                None => header = Some((file.clone(), names)),
            }
        }
        let part = fuse(&file, &wanted, part)?;
        parts.push((file, part));
    }
    assemble(&source.schema, parts, layout)
}

/// Parses CSV bytes already in memory (a request body, a test) as [`load`] parses a file;
/// `path` only names the data in errors.
pub fn parse_csv(bytes: &[u8], delimiter: u8, schema: &Schema, path: &Path) -> RunResult<Table> {
    // The lines shown under errors come from `bytes`: `path` may name no file.
    parse_csv_inner(bytes, delimiter, schema, path)
        .map_err(|e| excerpt::attach(e, Layout::Delimited { delimiter }, Some(bytes)))
}

fn parse_csv_inner(bytes: &[u8], delimiter: u8, schema: &Schema, path: &Path) -> RunResult<Table> {
    let wanted = wanted(schema, path)?;
    let read = csv::parse(path, bytes, delimiter, &wanted)?;
    let part = fuse(path, &wanted, read.part)?;
    assemble(schema, vec![(path.to_path_buf(), part)], Layout::Delimited { delimiter })
}

/// The numbers in one row of an image or sequence column (the checker bounds them).
pub(crate) fn tensor_width(ty: &ColumnType) -> Option<usize> {
    ty.tensor_width()
}

/// The schema's columns as the readers need them: an image or sequence column `pixels` of
/// width n becomes the float columns `pixels_0` … `pixels_{n-1}`, fused again by [`fuse`].
fn wanted(schema: &Schema, path: &Path) -> RunResult<Vec<Wanted>> {
    let mut wanted = Vec::with_capacity(schema.columns.len());
    for column in &schema.columns {
        if let Some(width) = tensor_width(&column.ty) {
            for i in 0..width {
                wanted.push(Wanted {
                    name: format!("{}_{i}", column.name),
                    kind: Kind::Float,
                    ty: column.ty.clone(),
                    element: Some((column.name.clone(), i)),
                });
            }
            continue;
        }
        let mut w = Wanted { name: column.name.clone(), kind: Kind::Str, ty: column.ty.clone(), element: None };
        match Kind::of(&column.ty) {
            Some(kind) => w.kind = kind,
            None => return Err(diag::unsupported_type(path, &w)),
        }
        wanted.push(w);
    }
    Ok(wanted)
}

/// Joins the element columns of each image or sequence column of a part into one tensor column,
/// so the part's columns follow the schema again. A missing element is an error (E0717): an
/// image with a hole has no sensible fill. A reader that already gives the whole tensor (a
/// Parquet list column) gives one column for all of its elements.
fn fuse(path: &Path, wanted: &[Wanted], part: Part) -> RunResult<Part> {
    if wanted.iter().all(|w| w.element.is_none()) {
        return Ok(part);
    }
    let rows = part.lines.len();
    let mut columns = Vec::new();
    let mut read = part.columns.into_iter();
    let mut at = 0;
    while let (Some(column), Some(w)) = (read.next(), wanted.get(at)) {
        let Some(width) = w.element.as_ref().and_then(|_| tensor_width(&w.ty)) else {
            columns.push(column);
            at += 1;
            continue;
        };
        at += width;
        if matches!(column.values, columns::Values::Tensor { .. }) {
            columns.push(column);
            continue;
        }
        let mut values = vec![0f32; rows * width];
        let mut next = Some(column);
        for (i, w) in wanted[at - width..at].iter().enumerate() {
            let Some(column) = next.take().or_else(|| read.next()) else { break };
            if let Some(&row) = column.nulls.first() {
                return Err(diag::missing_element(path, part.lines.get(row).copied().unwrap_or(0), w));
            }
            if let columns::Values::Float(numbers) = &column.values {
                for (r, &v) in numbers.iter().enumerate().take(rows) {
                    values[r * width + i] = v as f32;
                }
            }
        }
        columns.push(ColumnData::tensor(width, values));
    }
    Ok(Part { columns, lines: part.lines })
}

#[cfg(feature = "parquet")]
fn read_parquet(path: &Path, wanted: &[Wanted]) -> RunResult<Part> {
    crate::parquet::read(path, wanted)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet(path: &Path, _wanted: &[Wanted]) -> RunResult<Part> {
    Err(RunError::new(Code::E0701, "this mlpc was built without parquet support")
        .in_file(path, None, None)
        .with_help("rebuild with the `parquet` feature (on by default), or convert the data to CSV"))
}

/// The path itself, or every file a glob matches, sorted: regular files only (E0725 for a path
/// that names a directory, a FIFO or a device, which is never opened), and a glob walks no more
/// than [`GLOB_LIMITS`] (E0725 past it).
/// The files a data path names: itself (a regular file), or every file its glob matches, sorted
/// (within the glob budget); E0701 when a glob matches nothing.
pub fn data_files(path: &Path) -> RunResult<Vec<PathBuf>> {
    let text = path.to_string_lossy();
    if !paths::is_glob(&text) {
        regular(path)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let matches = paths::glob_files(path, GLOB_LIMITS).map_err(|e| match e {
        GlobError::Invalid(why) => RunError::new(Code::E0701, format!("invalid glob `{text}`: {why}"))
            .in_file(path, None, None)
            .with_help("`*` matches any characters in a name, `?` one character, `[abc]` one of a set"),
        GlobError::TooBroad(bound) => diag::glob_too_broad(path, &bound),
    })?;
    if matches.is_empty() {
        return Err(diag::no_match(path));
    }
    Ok(matches)
}

/// `Ok` for a regular file, or a path that does not exist (its reader says so, E0701); E0725 for
/// anything else, from its metadata alone.
pub(crate) fn regular(path: &Path) -> RunResult<()> {
    match paths::irregular(path) {
        Ok(Some(kind)) => Err(diag::not_regular(path, &kind)),
        Ok(None) | Err(_) => Ok(()),
    }
}

/// Joins the files' parts (in order) into Arrow columns, one per schema column.
pub(crate) fn assemble(schema: &Schema, parts: Vec<(PathBuf, Part)>, layout: Layout) -> RunResult<Table> {
    let mut files = Vec::with_capacity(parts.len());
    let mut columns: Option<Vec<ColumnData>> = None;
    let mut rows = 0;
    for (path, part) in parts {
        files.push(table::FileRows { path, first_row: rows, lines: part.lines });
        rows += files.last().map_or(0, |f| f.lines.len());
        match &mut columns {
            None => columns = Some(part.columns),
            Some(columns) => {
                for (column, more) in columns.iter_mut().zip(part.columns) {
                    column.append(more);
                }
            }
        }
    }
    let mut arrays = Vec::with_capacity(schema.columns.len());
    for (column, w) in columns.unwrap_or_default().into_iter().zip(&schema.columns) {
        let array = column.finish().map_err(|why| {
            RunError::new(Code::E0701, format!("column `{}` cannot be held: {why}", w.name))
                .with_help("split the data into smaller files")
        })?;
        arrays.push(array);
    }
    Ok(Table { names: schema.names().map(str::to_string).collect(), columns: arrays, rows, files, layout })
}
