//! Typed views of a [`Table`]'s Arrow columns: numbers as `Option<f64>`, categories as
//! `Option<&str>`, whatever the Arrow type the loader chose for them; image and sequence columns
//! as one block of `f32`s, `width` per row.

use crate::error::{RunError, RunResult};
use crate::table::Table;
use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, ArrayRef, BooleanArray, FixedSizeListArray, Float64Array, Int64Array, StringArray};
use mlp_compiler::codes::Code;

/// One column, read as numbers (`bool` as 0/1) or as text, with nulls as `None`.
pub enum ColumnView<'a> {
    Numbers(Vec<Option<f64>>),
    Text(&'a StringArray),
    /// An image or sequence column: row `r` is `values[r * width..(r + 1) * width]` (an image
    /// channel-first, row-major). Tensor rows are never missing.
    Tensor(Tensor<'a>),
}

/// The numbers of a tensor column, borrowed from its Arrow array.
#[derive(Clone, Copy, Debug)]
pub struct Tensor<'a> {
    pub width: usize,
    pub values: &'a [f32],
}

impl<'a> Tensor<'a> {
    /// The numbers of row `row`.
    pub fn row(&self, row: usize) -> &'a [f32] {
        &self.values[row * self.width..(row + 1) * self.width]
    }

    pub fn rows(&self) -> usize {
        self.values.len() / self.width.max(1)
    }
}

impl ColumnView<'_> {
    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            ColumnView::Numbers(values) => values[row].is_none(),
            ColumnView::Text(array) => array.is_null(row),
            ColumnView::Tensor(_) => false,
        }
    }
}

/// The numbers of a tensor column (see [`crate::tensor_array`]), or `None` when `array` is
/// not one.
pub fn tensor(array: &ArrayRef) -> Option<Tensor<'_>> {
    let list = array.as_any().downcast_ref::<FixedSizeListArray>()?;
    let width = usize::try_from(list.value_length()).ok()?;
    let child = list.values().as_primitive_opt::<Float32Type>()?;
    // A sliced list starts at an offset into its child.
    let start = list.offset() * width;
    let values = child.values().get(start..start + list.len() * width)?;
    Some(Tensor { width, values })
}

/// The Arrow column `name` of `table`, or E0809 when the table lacks it.
pub fn array<'a>(table: &'a Table, name: &str) -> RunResult<&'a ArrayRef> {
    table.column(name).ok_or_else(|| {
        RunError::new(Code::E0809, format!("column `{name}` is not in the loaded data"))
            .with_help("the data changed since the spec was checked: run `mlpc check` again")
    })
}

/// The column `name` of `table` as a typed view, or E0809 when the table lacks it.
pub fn view<'a>(table: &'a Table, name: &str) -> RunResult<ColumnView<'a>> {
    Ok(view_array(array(table, name)?))
}

pub fn view_array(array: &ArrayRef) -> ColumnView<'_> {
    let any = array.as_any();
    if let Some(t) = tensor(array) {
        ColumnView::Tensor(t)
    } else if let Some(a) = any.downcast_ref::<Float64Array>() {
        ColumnView::Numbers(a.iter().map(|v| v.filter(|x| !x.is_nan())).collect())
    } else if let Some(a) = any.downcast_ref::<Int64Array>() {
        ColumnView::Numbers(a.iter().map(|v| v.map(|x| x as f64)).collect())
    } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
        ColumnView::Numbers(a.iter().map(|v| v.map(|b| if b { 1.0 } else { 0.0 })).collect())
    } else if let Some(a) = any.downcast_ref::<StringArray>() {
        ColumnView::Text(a)
    } else {
        ColumnView::Numbers(vec![None; array.len()])
    }
}

/// A label or category cell as text: bools as `true`/`false`, numbers as written.
pub fn cell_text(view: &ColumnView<'_>, row: usize) -> Option<String> {
    match view {
        ColumnView::Text(array) => (!array.is_null(row)).then(|| array.value(row).to_string()),
        ColumnView::Numbers(values) => {
            values[row].map(|v| if v.fract() == 0.0 { format!("{v:.0}") } else { v.to_string() })
        }
        ColumnView::Tensor(_) => None,
    }
}
