//! `idx(path, labels)` sources: MNIST-style IDX files, memory-mapped and converted in parallel
//! straight from their big-endian values (no text on the way). Items `[N, h, w]` or
//! `[N, h, w, c]` become the tensor column `image` (channel-first); `[N, F]` the float columns
//! `x_0` … `x_{F-1}`; the 1-D labels file the column `label`. An item's "line" is its 1-based
//! index, as a Parquet row's is.

use crate::columns::{ColumnData, Values};
use crate::error::{RunError, RunResult};
use crate::load::Part;
use crate::table::Table;
use memmap2::Mmap;
use mlp_compiler::codes::Code;
use mlp_compiler::idx::{self, IdxError, IdxHeader, IdxType};
use mlp_compiler::plan::LoadStep;
use mlp_compiler::types::{Column, ColumnType};
use rayon::prelude::*;
use std::path::Path;

/// Rows converted by one parallel job of a table file.
const BLOCK: usize = 4096;

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn map(path: &Path) -> RunResult<Option<Mmap>> {
    crate::load::regular(path)?;
    let file = std::fs::File::open(path).map_err(|e| crate::diag::unreadable(path, &e))?;
    let length = file.metadata().map_err(|e| crate::diag::unreadable(path, &e))?.len();
    if length == 0 {
        return Ok(None);
    }
    // SAFETY: read-only and only for this call, as in the CSV reader.
    let map =
        unsafe { memmap2::MmapOptions::new().populate().map(&file) }.map_err(|e| crate::diag::unreadable(path, &e))?;
    Ok(Some(map))
}

/// E0718 / E0719 for a header that cannot be read.
fn bad_header(path: &Path, error: IdxError) -> RunError {
    let code = if matches!(error, IdxError::Truncated { .. }) { Code::E0719 } else { Code::E0718 };
    RunError::new(code, format!("`{}` is not a complete IDX file: {error}", file_name(path)))
        .in_file(path, None, None)
        .with_help("IDX files start with two zero bytes, a type byte and the number of dimensions (MNIST's `train-images-idx3-ubyte`); check that the file was fully downloaded and decompressed")
}

/// The header and the values of a mapped file, checking that it holds every value it declares.
fn parse<'m>(path: &Path, map: Option<&'m Mmap>) -> RunResult<(IdxHeader, &'m [u8])> {
    let bytes: &[u8] = map.map_or(&[], |m| &m[..]);
    let header = idx::parse_header(bytes).map_err(|e| bad_header(path, e))?;
    let needed = header.file_len().ok_or_else(|| {
        RunError::new(
            Code::E0718,
            format!("`{}` declares sizes {:?}, more than memory can address", file_name(path), header.dims),
        )
        .in_file(path, None, None)
        .with_help("check the file's header")
    })?;
    if bytes.len() < needed {
        let size = header.ty.size();
        let whole = (bytes.len() - header.data_start) / size / header.item_width().max(1);
        return Err(RunError::new(
            Code::E0719,
            format!(
                "`{}` is truncated: its header declares {} items of {} {} values ({needed} bytes), the file has {} bytes, {whole} whole items",
                file_name(path),
                header.rows(),
                header.item_width(),
                header.ty.name(),
                bytes.len()
            ),
        )
        .in_file(path, None, None)
        .with_help("download or write the file again; an interrupted copy leaves it short"));
    }
    let start = header.data_start;
    Ok((header, &bytes[start..needed]))
}

pub(crate) fn load(source: &LoadStep) -> RunResult<Table> {
    let path = source.path.as_path();
    let labels_path = source.labels.as_deref().unwrap_or(Path::new(""));
    let items_map = map(path)?;
    let labels_map = map(labels_path)?;
    let (items, values) = parse(path, items_map.as_ref())?;
    let (labels, label_values) = parse(labels_path, labels_map.as_ref())?;
    if labels.dims.len() != 1 {
        return Err(RunError::new(
            Code::E0721,
            format!(
                "`{}` is not a labels file: it has {} dimensions {:?}",
                file_name(labels_path),
                labels.dims.len(),
                labels.dims
            ),
        )
        .in_file(labels_path, None, None)
        .with_help(
            "`labels` names a one-dimensional IDX file (MNIST's `train-labels-idx1-ubyte`) with one label per item",
        ));
    }
    if labels.rows() != items.rows() {
        return Err(RunError::new(
            Code::E0720,
            format!(
                "`{}` holds {} items but `{}` holds {} labels",
                file_name(path),
                items.rows(),
                file_name(labels_path),
                labels.rows()
            ),
        )
        .in_file(labels_path, None, None)
        .with_help("pair the items file with its own labels file (`train-images` with `train-labels`)"));
    }
    let mut expected: Vec<Column> = idx::item_columns(&items).map_err(|why| {
        RunError::new(Code::E0718, format!("`{}` holds no images or table rows: {why}", file_name(path)))
            .in_file(path, None, None)
            .with_help("write images as [N, h, w] (grey) or [N, h, w, c], a table as [N, features]")
    })?;
    expected.push(Column { name: "label".into(), ty: label_type(labels.ty), nullable: false });
    let same = expected.len() == source.schema.columns.len()
        && expected.iter().zip(&source.schema.columns).all(|(a, b)| {
            a.name == b.name
                && std::mem::discriminant(&a.ty) == std::mem::discriminant(&b.ty)
                && (a.ty == b.ty || a.name == "label")
        });
    if !same {
        return Err(RunError::new(Code::E0718, format!("`{}` changed since the spec was checked", file_name(path)))
            .in_file(path, None, None)
            .with_help("run `mlpc check` again"));
    }

    let rows = items.rows();
    let mut columns = match items.dims.as_slice() {
        [_, _] => table_columns(&items, values),
        _ => vec![image_column(&items, values)],
    };
    if let Some(problem) = infinite(&items, &columns) {
        return Err(RunError::new(
            Code::E0712,
            format!("item {} of `{}` holds an infinite value", problem + 1, file_name(path)),
        )
        .in_file(path, Some(problem as u64 + 1), None)
        .with_help("models need finite numbers: fix the file"));
    }
    columns.push(label_column(labels.ty, label_values));
    let part = Part { columns, lines: (1..=rows as u64).collect() };
    crate::load::assemble(&source.schema, vec![(path.to_path_buf(), part)], crate::excerpt::Layout::Binary)
}

fn label_type(ty: IdxType) -> ColumnType {
    if ty.is_integer() { ColumnType::Category { levels: Vec::new() } } else { ColumnType::Float }
}

/// `[N, F]`: one float column per feature, converted in parallel blocks of rows.
fn table_columns(header: &IdxHeader, values: &[u8]) -> Vec<ColumnData> {
    let columns = match header.ty {
        IdxType::U8 => table::<1>(header, values, |b| f64::from(b[0])),
        IdxType::I8 => table::<1>(header, values, |b| f64::from(b[0] as i8)),
        IdxType::I16 => table::<2>(header, values, |b| f64::from(i16::from_be_bytes(b))),
        IdxType::I32 => table::<4>(header, values, |b| f64::from(i32::from_be_bytes(b))),
        IdxType::F32 => table::<4>(header, values, |b| f64::from(f32::from_be_bytes(b))),
        IdxType::F64 => table::<8>(header, values, f64::from_be_bytes),
    };
    columns.into_iter().map(|v| ColumnData { values: Values::Float(v), nulls: Vec::new() }).collect()
}

/// The conversion of [`table_columns`] for values of `N` bytes: one monomorphic loop per type, so
/// the compiler sees a fixed-size load and no per-cell type dispatch.
fn table<const N: usize>(header: &IdxHeader, values: &[u8], read: fn([u8; N]) -> f64) -> Vec<Vec<f64>> {
    let (rows, features) = (header.rows(), header.item_width());
    let mut columns: Vec<Vec<f64>> = (0..features).map(|_| vec![0.0; rows]).collect();
    let mut jobs: Vec<Vec<&mut [f64]>> = (0..rows.div_ceil(BLOCK)).map(|_| Vec::with_capacity(features)).collect();
    for column in &mut columns {
        for (job, slice) in jobs.iter_mut().zip(column.chunks_mut(BLOCK)) {
            job.push(slice);
        }
    }
    jobs.into_par_iter().enumerate().for_each(|(block, mut slices)| {
        let first = block * BLOCK;
        let count = slices.first().map_or(0, |s| s.len());
        let bytes = &values[first * features * N..(first + count) * features * N];
        for (i, item) in bytes.chunks_exact(features * N).enumerate() {
            for (slice, cell) in slices.iter_mut().zip(item.chunks_exact(N)) {
                slice[i] = read(cell.try_into().unwrap_or([0; N]));
            }
        }
    });
    columns
}

/// `[N, h, w]` or `[N, h, w, c]`: one tensor column, channel-first.
fn image_column(header: &IdxHeader, values: &[u8]) -> ColumnData {
    let (rows, width, ty) = (header.rows(), header.item_width(), header.ty);
    let size = ty.size();
    let mut out = vec![0f32; rows * width];
    let (h, w, c) = match header.dims.as_slice() {
        [_, h, w, c] => (*h, *w, *c),
        [_, h, w] => (*h, *w, 1),
        _ => (1, width, 1),
    };
    out.par_chunks_mut(width.max(1)).zip(values.par_chunks_exact((width * size).max(1))).for_each(|(dst, src)| {
        if c == 1 {
            for (d, cell) in dst.iter_mut().zip(src.chunks_exact(size)) {
                *d = ty.read(cell) as f32;
            }
        } else {
            // [h, w, c] → [c, h, w]
            for (i, cell) in src.chunks_exact(size).enumerate() {
                let (pixel, channel) = (i / c, i % c);
                dst[channel * h * w + pixel] = ty.read(cell) as f32;
            }
        }
    });
    ColumnData::tensor(width, out)
}

/// The first item holding an infinity or a NaN in an image, or an infinity in a table (a NaN
/// there is a missing value, as in a CSV file). Integer files hold neither.
fn infinite(header: &IdxHeader, columns: &[ColumnData]) -> Option<usize> {
    if header.ty.is_integer() {
        return None;
    }
    columns
        .iter()
        .filter_map(|column| match &column.values {
            Values::Float(v) => v.par_iter().position_first(|x| x.is_infinite()),
            Values::Tensor { width, values } => {
                values.par_iter().position_first(|x| !x.is_finite()).map(|i| i / (*width).max(1))
            }
            _ => None,
        })
        .min()
}

/// The labels: integers as category text (`0`, `1`, …), floats as numbers.
fn label_column(ty: IdxType, values: &[u8]) -> ColumnData {
    let size = ty.size();
    if !ty.is_integer() {
        let numbers = values.chunks_exact(size).map(|c| ty.read(c)).collect();
        return ColumnData { values: Values::Float(numbers), nulls: Vec::new() };
    }
    let mut bytes = Vec::with_capacity(values.len() / size * 2);
    let mut ends = Vec::with_capacity(values.len() / size);
    let mut buffer = itoa_buffer();
    for cell in values.chunks_exact(size) {
        let value = ty.read(cell) as i64;
        bytes.extend_from_slice(write_int(&mut buffer, value));
        ends.push(bytes.len());
    }
    ColumnData { values: Values::Str { bytes, ends }, nulls: Vec::new() }
}

fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// The decimal digits of `value` in `buffer`.
fn write_int(buffer: &mut [u8; 20], value: i64) -> &[u8] {
    let mut at = buffer.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        buffer[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        at -= 1;
        buffer[at] = b'-';
    }
    &buffer[at..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_written_as_decimals() {
        let mut buffer = itoa_buffer();
        for v in [0i64, 7, 10, -3, 255, i32::MIN as i64] {
            assert_eq!(write_int(&mut buffer, v), v.to_string().as_bytes());
        }
    }
}
