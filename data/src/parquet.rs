//! Parquet through the `parquet` crate's Arrow reader, converted column by column into the
//! source's types (any integer or float width into float, integers into int, strings into
//! category and text). Parquet has no lines: a row's "line" is its 1-based row number.

use crate::columns::{Cell, CellProblem, ColumnData, Kind, Values, float_cell};
use crate::diag::{self, Wanted};
use crate::error::{RunError, RunResult};
use crate::load::Part;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use mlp_compiler::codes::Code;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;

fn text(v: &str) -> Result<Cell<'_>, CellProblem> {
    Ok(Cell::Str(v))
}

fn unreadable(path: &Path, why: impl std::fmt::Display) -> RunError {
    RunError::new(Code::E0701, format!("cannot read the parquet file: {why}"))
        .in_file(path, None, None)
        .with_help("check that the file is a complete Parquet file")
}

/// What one column of the file fills.
enum Target<'w> {
    /// One wanted column.
    Cell(&'w Wanted),
    /// A whole image or sequence column stored as a list column (`pixels` rather than
    /// `pixels_0` …); `first` is its first element's wanted column.
    List { first: &'w Wanted, name: String, width: usize },
}

pub(crate) fn read(path: &Path, wanted: &[Wanted]) -> RunResult<Part> {
    let file = std::fs::File::open(path).map_err(|e| diag::unreadable(path, &e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(path, e))?;
    let fields: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let mut targets = Vec::with_capacity(wanted.len());
    let mut roots = Vec::with_capacity(wanted.len());
    let mut at = 0;
    while let Some(column) = wanted.get(at) {
        // An image may be one list column named after it, when the file has no element columns.
        if let Some((tensor, 0)) = &column.element {
            let list = fields.iter().position(|f| f == tensor).filter(|_| !fields.contains(&column.name));
            if let Some(root) = list {
                let width = crate::load::tensor_width(&column.ty).unwrap_or(1);
                targets.push(Target::List { first: column, name: tensor.clone(), width });
                roots.push(root);
                at += width;
                continue;
            }
        }
        match fields.iter().position(|f| *f == column.name) {
            Some(i) => roots.push(i),
            None => return Err(diag::missing_wanted(path, 1, column)),
        }
        targets.push(Target::Cell(column));
        at += 1;
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder.with_projection(mask).build().map_err(|e| unreadable(path, e))?;
    let mut columns: Vec<ColumnData> = targets
        .iter()
        .map(|t| match t {
            Target::Cell(w) => ColumnData::new(w.kind),
            Target::List { width, .. } => ColumnData::tensor(*width, Vec::new()),
        })
        .collect();
    let mut rows = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(path, e))?;
        for (column, target) in columns.iter_mut().zip(&targets) {
            match target {
                Target::Cell(w) => {
                    let Some(array) = batch.column_by_name(&w.name) else {
                        return Err(diag::missing_wanted(path, 1, w));
                    };
                    append(path, rows, column, w, array)?;
                }
                Target::List { first, name, width } => {
                    let Some(array) = batch.column_by_name(name) else {
                        return Err(diag::missing_wanted(path, 1, first));
                    };
                    append_list(path, rows, column, first, name, *width, array)?;
                }
            }
        }
        rows += batch.num_rows();
    }
    if rows == 0 {
        return Err(diag::header_only(path, 1, 0));
    }
    Ok(Part { columns, lines: (1..=rows as u64).collect() })
}

/// Appends one batch's list column (fixed-size, or variable with `width` values in every row) of
/// numbers to a tensor column. A missing row or value, or a row of another length, is E0717.
fn append_list(
    path: &Path,
    first_row: usize,
    column: &mut ColumnData,
    first: &Wanted,
    name: &str,
    width: usize,
    array: &ArrayRef,
) -> RunResult<()> {
    let Values::Tensor { values, .. } = &mut column.values else { return Ok(()) };
    let wrong = || {
        RunError::new(
            Code::E0706,
            format!("column `{name}` holds {} values, not lists of {width} numbers", array.data_type()),
        )
        .in_file(path, None, Some(name))
        .with_help(format!("store `{name}` as a list of numbers per row, or as the columns `{name}_0` …"))
    };
    // Each row's start and length in the child array.
    let (child, spans): (ArrayRef, Vec<(usize, usize)>) = match array.data_type() {
        DataType::FixedSizeList(_, _) => {
            let list = array.as_fixed_size_list();
            let n = usize::try_from(list.value_length()).unwrap_or(0);
            (list.values().clone(), (0..list.len()).map(|r| (list.value_offset_at(r), n)).collect())
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let offsets = list.value_offsets();
            let spans =
                (0..list.len()).map(|r| (offsets[r] as usize, (offsets[r + 1] - offsets[r]) as usize)).collect();
            (list.values().clone(), spans)
        }
        DataType::LargeList(_) => {
            let list = array.as_list::<i64>();
            let offsets = list.value_offsets();
            let spans =
                (0..list.len()).map(|r| (offsets[r] as usize, (offsets[r + 1] - offsets[r]) as usize)).collect();
            (list.values().clone(), spans)
        }
        _ => return Err(wrong()),
    };
    let numbers = list_numbers(&child).ok_or_else(wrong)?;
    for (r, &(start, length)) in spans.iter().enumerate() {
        let line = (first_row + r + 1) as u64;
        let problem = if array.is_null(r) {
            Some(format!("row {line} has no value for `{name}`"))
        } else if length != width {
            Some(format!("row {line} of `{name}` holds {length} values, not {width}"))
        } else {
            numbers[start..start + length]
                .iter()
                .position(|v| !v.is_some_and(f32::is_finite))
                .map(|i| format!("value {i} of `{name}` in row {line} is missing or not finite"))
        };
        if let Some(problem) = problem {
            return Err(diag::bad_tensor_row(path, line, first, &problem));
        }
        values.extend(numbers[start..start + length].iter().map(|v| v.unwrap_or(0.0)));
    }
    Ok(())
}

/// The numbers of a list column's child array as `f32`, `None` where missing; `None` for a type
/// that holds no numbers.
fn list_numbers(child: &ArrayRef) -> Option<Vec<Option<f32>>> {
    macro_rules! numbers {
        ($ty:ty) => {
            child.as_primitive::<$ty>().iter().map(|v| v.map(|x| x as f32)).collect()
        };
    }
    Some(match child.data_type() {
        DataType::Float32 => numbers!(Float32Type),
        DataType::Float64 => numbers!(Float64Type),
        DataType::UInt8 => numbers!(UInt8Type),
        DataType::UInt16 => numbers!(UInt16Type),
        DataType::UInt32 => numbers!(UInt32Type),
        DataType::Int8 => numbers!(Int8Type),
        DataType::Int16 => numbers!(Int16Type),
        DataType::Int32 => numbers!(Int32Type),
        DataType::Int64 => numbers!(Int64Type),
        _ => return None,
    })
}

/// Appends one batch's array to a column, converting its type.
fn append(path: &Path, first_row: usize, column: &mut ColumnData, w: &Wanted, array: &ArrayRef) -> RunResult<()> {
    let wrong = || {
        RunError::new(
            Code::E0706,
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
        (Kind::Float, DataType::UInt16) => each!(array.as_primitive::<UInt16Type>(), |v: u16| float(f64::from(v))),
        (Kind::Float, DataType::UInt8) => each!(array.as_primitive::<UInt8Type>(), |v: u8| float(f64::from(v))),
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
