//! Parquet through the `parquet` crate's Arrow reader, converted column by column into the
//! source's types (any integer or float width into float, integers into int, strings into
//! category and text). Parquet has no lines: a row's "line" is its 1-based row number.

use super::Part;
use super::columns::{Cell, CellProblem, ColumnData, Kind, float_cell};
use super::diag::{self, Wanted};
use crate::error::{RunError, RunResult};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;

fn text(v: &str) -> Result<Cell<'_>, CellProblem> {
    Ok(Cell::Str(v))
}

fn unreadable(path: &Path, why: impl std::fmt::Display) -> RunError {
    RunError::new("E0701", format!("cannot read the parquet file: {why}"))
        .in_file(path, None, None)
        .with_help("check that the file is a complete Parquet file")
}

pub(crate) fn read(path: &Path, wanted: &[Wanted]) -> RunResult<Part> {
    let file = std::fs::File::open(path).map_err(|e| diag::unreadable(path, &e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(path, e))?;
    let fields: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let mut roots = Vec::with_capacity(wanted.len());
    for column in wanted {
        match fields.iter().position(|f| *f == column.name) {
            Some(i) => roots.push(i),
            None => return Err(diag::missing_wanted(path, 1, column)),
        }
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder.with_projection(mask).build().map_err(|e| unreadable(path, e))?;
    let mut columns: Vec<ColumnData> = wanted.iter().map(|w| ColumnData::new(w.kind)).collect();
    let mut rows = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(path, e))?;
        for (column, w) in columns.iter_mut().zip(wanted) {
            let Some(array) = batch.column_by_name(&w.name) else {
                return Err(diag::missing_wanted(path, 1, w));
            };
            append(path, rows, column, w, array)?;
        }
        rows += batch.num_rows();
    }
    if rows == 0 {
        return Err(diag::header_only(path, 1, 0));
    }
    Ok(Part { columns, lines: (1..=rows as u64).collect() })
}

/// Appends one batch's array to a column, converting its type.
fn append(path: &Path, first_row: usize, column: &mut ColumnData, w: &Wanted, array: &ArrayRef) -> RunResult<()> {
    let wrong = || {
        RunError::new(
            "E0706",
            format!("column `{}` holds {} values, not {}", w.name, array.data_type(), w.ty.keyword()),
        )
        .in_file(path, None, Some(&w.name))
        .with_help(format!("declare `{}` with the type the file holds in the source's `schema {{ }}` block", w.name))
    };
    macro_rules! each {
        ($values:expr, $convert:expr) => {{
            let values = $values;
            for i in 0..values.len() {
                if values.is_null(i) {
                    column.push(Cell::Missing);
                    continue;
                }
                match $convert(values.value(i)) {
                    Ok(cell) => column.push(cell),
                    Err(problem) => {
                        let shown = format!("{:?}", values.value(i));
                        let row = first_row + i + 1;
                        return Err(diag::bad_cell(path, row as u64, 0, w, problem, &shown));
                    }
                }
            }
        }};
    }
    let float = |v: f64| float_cell(v);
    let int = |v: i64| Ok::<_, CellProblem>(Cell::Int(v));
    match (w.kind, array.data_type()) {
        (Kind::Float, DataType::Float64) => each!(array.as_primitive::<Float64Type>(), float),
        (Kind::Float, DataType::Float32) => each!(array.as_primitive::<Float32Type>(), |v: f32| float(f64::from(v))),
        (Kind::Float, DataType::Int64) => each!(array.as_primitive::<Int64Type>(), |v: i64| float(v as f64)),
        (Kind::Float, DataType::Int32) => each!(array.as_primitive::<Int32Type>(), |v: i32| float(f64::from(v))),
        (Kind::Float, DataType::Int16) => each!(array.as_primitive::<Int16Type>(), |v: i16| float(f64::from(v))),
        (Kind::Float, DataType::Int8) => each!(array.as_primitive::<Int8Type>(), |v: i8| float(f64::from(v))),
        (Kind::Float, DataType::UInt64) => each!(array.as_primitive::<UInt64Type>(), |v: u64| float(v as f64)),
        (Kind::Float, DataType::UInt32) => each!(array.as_primitive::<UInt32Type>(), |v: u32| float(f64::from(v))),
        (Kind::Int, DataType::Int64) => each!(array.as_primitive::<Int64Type>(), int),
        (Kind::Int, DataType::Int32) => each!(array.as_primitive::<Int32Type>(), |v: i32| int(i64::from(v))),
        (Kind::Int, DataType::Int16) => each!(array.as_primitive::<Int16Type>(), |v: i16| int(i64::from(v))),
        (Kind::Int, DataType::Int8) => each!(array.as_primitive::<Int8Type>(), |v: i8| int(i64::from(v))),
        (Kind::Int, DataType::UInt32) => each!(array.as_primitive::<UInt32Type>(), |v: u32| int(i64::from(v))),
        (Kind::Int, DataType::UInt16) => each!(array.as_primitive::<UInt16Type>(), |v: u16| int(i64::from(v))),
        (Kind::Int, DataType::UInt8) => each!(array.as_primitive::<UInt8Type>(), |v: u8| int(i64::from(v))),
        (Kind::Int, DataType::UInt64) => each!(array.as_primitive::<UInt64Type>(), |v: u64| i64::try_from(v)
            .map(Cell::Int)
            .map_err(|_| CellProblem::Type)),
        (Kind::Bool, DataType::Boolean) => each!(array.as_boolean(), |v: bool| Ok::<_, CellProblem>(Cell::Bool(v))),
        (Kind::Str, DataType::Utf8) => each!(array.as_string::<i32>(), text),
        (Kind::Str, DataType::LargeUtf8) => {
            each!(array.as_string::<i64>(), text)
        }
        (Kind::Str, DataType::Utf8View) => {
            each!(array.as_string_view(), text)
        }
        _ => return Err(wrong()),
    }
    Ok(())
}
