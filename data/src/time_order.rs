//! Rows in time order: the one ordering that the window step (a time series cut into windows)
//! and the `by_time` split share, and its one rule for a row without a time. Such a row is an
//! error (E0714) pointing at its line, never sorted first or last: which window or which split it
//! belongs to cannot be known, and putting it at an end would silently make it the newest (or
//! oldest) row, the one a forecast is tested on.

use crate::column_view::{ColumnView, view};
use crate::diag;
use crate::error::RunResult;
use crate::table::Table;

/// The positions in `rows` (row indices of `table`) in time order by `column`: numbers (ints,
/// floats, bools) ascending, text in byte order (ISO 8601 dates and times sort correctly), equal
/// times in their order in `rows`. E0714 names the first row of `rows` without a time (an empty
/// cell, a missing marker, NaN), or a column that holds no times.
pub fn time_order(table: &Table, column: &str, rows: &[usize]) -> RunResult<Vec<usize>> {
    let times = view(table, column)?;
    if matches!(times, ColumnView::Tensor(_)) {
        return Err(diag::not_a_time(column));
    }
    if let Some(&row) = rows.iter().find(|&&r| times.is_missing(r)) {
        return Err(diag::missing_time(table.locate(row, Some(column)), column));
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    match &times {
        // Stable sorts: equal times keep their order.
        ColumnView::Numbers(keys) => {
            let key = |i: usize| keys[rows[i]].unwrap_or_default();
            order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
        }
        ColumnView::Text(texts) => order.sort_by(|&a, &b| texts.value(rows[a]).cmp(texts.value(rows[b]))),
        ColumnView::Tensor(_) => {}
    }
    Ok(order)
}
