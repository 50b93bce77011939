//! The `window = sliding(length, step, horizon)` setting at run time: before the split, the rows of
//! a dataset become windows (see [`mlp_stdlib::window`]).
//!
//! Rows with a missing windowed value are dropped (`missing = drop`), the rows are put in time
//! order (by the `by_time` split's column with `mlp_data::time_order`, whose rule for a row
//! without a time the split shares; else kept in file order), missing values left take the last
//! value seen before them (any fill policy: nothing from the future leaks backwards; leading
//! missing rows are dropped), and the windowed columns are cut into windows. The result is a table
//! with one row per window: the tensor column `window` (`length × inputs` numbers, time step by
//! time step) and every other column (the label, the time column, excluded columns, derived
//! features) taken at the window's target row, which is also where its diagnostics point. The
//! split then assigns each window by its target row: with `by_time`, every training window's
//! target comes before the first validation target.

use crate::error::{RunError, RunResult};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use mlp_compiler::codes::Code;
use mlp_compiler::plan::SplitStep;
use mlp_compiler::program::{Missing, Split, Windowing};
use mlp_data::column_view::{ColumnView, tensor, view};
use mlp_data::{FileRows, Table, tensor_array, time_order};
use std::sync::Arc;

/// The column the windows go to, as the checker names it.
pub use mlp_compiler::check::WINDOW_COLUMN;

/// `table` with its rows turned into windows when `dataset` sets `window`; the table itself
/// otherwise.
pub fn apply(dataset: &SplitStep, table: Arc<Table>) -> RunResult<Arc<Table>> {
    let Some(Windowing::Sliding { length, step, horizon }) = dataset.window else { return Ok(table) };
    let fail = |message: String| RunError::new(Code::E0714, message).for_definition(&dataset.dataset);

    // The windowed columns: what the checker replaced by `window`, in table order.
    let windowed: Vec<usize> = (0..table.names.len())
        .filter(|&i| {
            let name = &table.names[i];
            *name != dataset.label && !dataset.exclude.contains(name) && !dataset.inputs.contains(name)
        })
        .collect();
    let mut values: Vec<Vec<Option<f64>>> = Vec::with_capacity(windowed.len());
    for &i in &windowed {
        match view(&table, &table.names[i])? {
            ColumnView::Numbers(v) => values.push(v),
            _ => {
                return Err(RunError::new(
                    Code::E0706,
                    format!("column `{}` is not numeric, so it cannot be windowed", table.names[i]),
                )
                .with_help("exclude it: `exclude = [...]`")
                .for_definition(&dataset.dataset));
            }
        }
    }

    // Rows with a missing windowed value are dropped first under `missing = drop` (as the split
    // drops rows with missing inputs before its time order: such a row needs no time), then put
    // in time order.
    let drop = dataset.missing == Missing::Drop;
    let candidates: Vec<usize> = if drop {
        (0..table.rows).filter(|&r| values.iter().all(|v| v[r].is_some())).collect()
    } else {
        (0..table.rows).collect()
    };
    let order: Vec<usize> = match &dataset.split {
        Split::ByTime { column, .. } => time_order(&table, column, &candidates)
            .map_err(|e| e.for_definition(&dataset.dataset))?
            .into_iter()
            .map(|i| candidates[i])
            .collect(),
        _ => candidates,
    };

    // Missing values left (any fill policy) take the last value seen before them.
    let mut kept: Vec<usize> = Vec::with_capacity(order.len());
    let mut columns: Vec<Vec<f64>> = vec![Vec::with_capacity(order.len()); values.len()];
    let mut last: Vec<Option<f64>> = vec![None; values.len()];
    for &r in &order {
        let cells: Vec<Option<f64>> = values.iter().zip(&last).map(|(v, l)| v[r].or(*l)).collect();
        for (l, v) in last.iter_mut().zip(&values) {
            if v[r].is_some() {
                *l = v[r];
            }
        }
        if cells.iter().all(Option::is_some) {
            kept.push(r);
            for (column, cell) in columns.iter_mut().zip(cells) {
                column.push(cell.unwrap_or_default());
            }
        }
    }

    let slices: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let (numbers, targets) = if slices.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        mlp_stdlib::window::windows(&slices, length, step, horizon)
    };
    if targets.is_empty() {
        return Err(fail(format!(
            "dataset `{}` has {} usable rows, too few for one window of {length} rows with horizon {horizon}",
            dataset.dataset,
            kept.len()
        ))
        .with_help(format!("a window needs {} rows: use a shorter window, or more data", length + horizon)));
    }
    let rows: Vec<usize> = targets.iter().map(|&t| kept[t]).collect();

    // The windowed table: `window` where the first windowed column was, the rest at target rows.
    let width = length * windowed.len();
    let window = tensor_array(width, numbers).map_err(|e| fail(format!("windows cannot be stored: {e}")))?;
    let mut names = Vec::new();
    let mut arrays = Vec::new();
    for (i, name) in table.names.iter().enumerate() {
        if windowed.first() == Some(&i) {
            names.push(WINDOW_COLUMN.to_string());
            arrays.push(window.clone());
        }
        if windowed.contains(&i) || name == WINDOW_COLUMN {
            continue;
        }
        names.push(name.clone());
        arrays.push(take(&table.columns[i], &rows).map_err(|e| fail(format!("column `{name}`: {e}")))?);
    }
    let files = origins(&table, &rows);
    Ok(Arc::new(Table { names, columns: arrays, rows: rows.len(), files, layout: table.layout }))
}

/// The rows `rows` of an Arrow column, in that order.
pub fn take(array: &ArrayRef, rows: &[usize]) -> Result<ArrayRef, String> {
    let any = array.as_any();
    let valid = |r: usize| array.is_valid(r);
    Ok(if let Some(a) = any.downcast_ref::<Float64Array>() {
        Arc::new(rows.iter().map(|&r| valid(r).then(|| a.value(r))).collect::<Float64Array>())
    } else if let Some(a) = any.downcast_ref::<Int64Array>() {
        Arc::new(rows.iter().map(|&r| valid(r).then(|| a.value(r))).collect::<Int64Array>())
    } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
        Arc::new(rows.iter().map(|&r| valid(r).then(|| a.value(r))).collect::<BooleanArray>())
    } else if let Some(a) = any.downcast_ref::<StringArray>() {
        Arc::new(rows.iter().map(|&r| valid(r).then(|| a.value(r))).collect::<StringArray>())
    } else if let Some(t) = tensor(array) {
        let mut values = Vec::with_capacity(rows.len() * t.width);
        for &r in rows {
            values.extend_from_slice(t.row(r));
        }
        tensor_array(t.width, values)?
    } else {
        return Err(format!("cannot select rows of a {} column", array.data_type()));
    })
}

/// Where each selected row came from: one `FileRows` per run of rows from the same file.
fn origins(table: &Table, rows: &[usize]) -> Vec<FileRows> {
    let mut files: Vec<FileRows> = Vec::new();
    for (new_row, &r) in rows.iter().enumerate() {
        let Some(origin) = table.origin(r) else { continue };
        match files.last_mut() {
            Some(last) if last.path == origin.path && last.first_row + last.lines.len() == new_row => {
                last.lines.push(origin.line)
            }
            _ => files.push(FileRows { path: origin.path, first_row: new_row, lines: vec![origin.line] }),
        }
    }
    files
}
