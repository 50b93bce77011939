//! The fitted preprocessing of a dataset ([`Preprocessing`]: fills, scalers, encoders, per-channel
//! image and per-feature sequence scalers, vocabularies, the target scaler) and the one function
//! that applies it to rows, [`transform_rows`]. `mlpc run` fits it on the training split and
//! transforms every split through this function; a bundle transforms new rows through it, so
//! serving computes the matrix evaluation computed.

use crate::error::{RunError, RunResult};
use arrow_array::Array;
use mlp_compiler::codes::Code;
use mlp_data::Table;
use mlp_data::column_view::{ColumnView, view};
use mlp_stdlib::Matrix;
use mlp_stdlib::transform::{Encoder, Scaler};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fitted preprocessing, saved with every model so predictions can be reproduced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Preprocessing {
    pub dataset: String,
    pub missing: String,
    pub columns: Vec<ColumnTransform>,
    /// Standardization of a regression target (fitted on train), inverted on prediction.
    pub target: Option<Scaler>,
    pub classes: Vec<String>,
    /// The vocabulary fitted on the training split for each tokenized text column.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vocabularies: BTreeMap<String, mlp_stdlib::tokenize::Vocabulary>,
}

impl Preprocessing {
    /// Columns of the matrix it gives: one per number, ordinal category or token, a level per
    /// one-hot category, an image's or sequence's numbers.
    pub fn width(&self) -> usize {
        self.columns.iter().map(ColumnTransform::width).sum()
    }

    /// One typed view per input column of `table`, in the order of [`Preprocessing::columns`].
    pub fn views<'t>(&self, table: &'t Table) -> RunResult<Vec<ColumnView<'t>>> {
        self.columns.iter().map(|c| view(table, &c.column)).collect()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ColumnTransform {
    pub column: String,
    /// Value used for a missing number (a code for a category's fill level).
    pub fill: Option<f64>,
    pub fill_level: Option<String>,
    pub scaler: Option<Scaler>,
    pub encoder: Option<Encoder>,
    /// An image or sequence column: its shape and one scaler per channel (image) or per feature
    /// (sequence), fitted on the training split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tensor: Option<TensorTransform>,
}

impl ColumnTransform {
    pub fn width(&self) -> usize {
        match (&self.encoder, &self.tensor) {
            (Some(encoder), _) => encoder.width(),
            (None, Some(tensor)) => tensor.shape.iter().product(),
            (None, None) => 1,
        }
    }
}

/// Which elements of an image or sequence row one scaler normalizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// An image's channel: its numbers are contiguous.
    Channel,
    /// A sequence's feature: a step's features are contiguous, so element `i` belongs to feature
    /// `i % features`.
    Feature,
}

/// The per-channel normalization of an image column (per feature for a sequence).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorTransform {
    /// `[channels, height, width]` or `[length, features]`.
    pub shape: Vec<usize>,
    pub per: Per,
    pub scalers: Vec<Scaler>,
}

impl TensorTransform {
    /// The channel or feature of element `i` of a row.
    pub fn group(&self, i: usize) -> usize {
        match self.per {
            Per::Feature => i % self.shape.last().copied().unwrap_or(1).max(1),
            Per::Channel => i / self.shape.iter().skip(1).product::<usize>().max(1),
        }
    }

    /// Normalizes one row into `out`.
    pub fn apply(&self, row: &[f32], out: &mut [f64]) {
        for (i, (&v, o)) in row.iter().zip(out.iter_mut()).enumerate() {
            let v = f64::from(v);
            *o = self.scalers.get(self.group(i)).map_or(v, |s| s.apply(v));
        }
    }
}

/// `error` located at row `row` of `table`, column `column` (its file, line and the line's text).
pub fn origin_error(table: &Table, row: usize, column: &str, error: RunError) -> RunError {
    match table.locate(row, Some(column)) {
        Some(location) => error.at(location),
        None => error,
    }
}

/// Applies the fitted preprocessing to `rows` of `table` (whose input columns `views` reads, in
/// the order of `state.columns`), giving one matrix row per table row. `part` names the rows in
/// errors (`the test split`, `the input`). Fails on the first row it cannot transform: a missing
/// value the policy does not fill (E0713), a category level training never saw (E0711).
pub fn transform_rows(
    state: &Preprocessing,
    views: &[ColumnView],
    table: &Table,
    rows: &[usize],
    part: &str,
) -> RunResult<Matrix> {
    let mut x = Matrix::zeros(rows.len(), state.width());
    for (i, &r) in rows.iter().enumerate() {
        let out = x.row_mut(i);
        let mut at = 0;
        for (transform, column) in state.columns.iter().zip(views) {
            match (column, &transform.encoder) {
                (ColumnView::Text(array), Some(encoder)) => {
                    let level =
                        if array.is_null(r) { transform.fill_level.clone() } else { Some(array.value(r).to_string()) };
                    let width = encoder.width();
                    let Some(level) = level else {
                        return Err(missing_error(table, r, &transform.column, &state.missing, &state.dataset));
                    };
                    let Some(code) = encoder.code(&level) else {
                        return Err(origin_error(
                            table,
                            r,
                            &transform.column,
                            unseen_level(&transform.column, &level, encoder, part).for_definition(&state.dataset),
                        ));
                    };
                    encoder.encode_into(code, &mut out[at..at + width]);
                    if let Some(scaler) = &transform.scaler {
                        out[at] = scaler.apply(out[at]);
                    }
                    at += width;
                }
                (ColumnView::Numbers(values), _) => {
                    let Some(value) = values[r].or(transform.fill) else {
                        return Err(missing_error(table, r, &transform.column, &state.missing, &state.dataset));
                    };
                    out[at] = transform.scaler.map_or(value, |s| s.apply(value));
                    at += 1;
                }
                (ColumnView::Text(_), None) => at += 1,
                (ColumnView::Tensor(values), _) => {
                    let width = values.width;
                    match &transform.tensor {
                        Some(fitted) => fitted.apply(values.row(r), &mut out[at..at + width]),
                        None => {
                            for (o, &v) in out[at..at + width].iter_mut().zip(values.row(r)) {
                                *o = f64::from(v);
                            }
                        }
                    }
                    at += width;
                }
            }
        }
    }
    Ok(x)
}

/// E0711: a category level the encoder was not fitted on.
pub fn unseen_level(column: &str, level: &str, encoder: &Encoder, part: &str) -> RunError {
    RunError::new(
        Code::E0711,
        format!("level `{level}` of column `{column}` appears in {part} but never in training"),
    )
    .with_help(format!(
        "the model cannot encode a level it never saw; add `{level}` rows to the data, merge it into a known level ({}), or use a stratified split",
        encoder.levels.iter().take(4).map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
    ))
}

/// E0713: a missing value the dataset's policy does not fill.
pub fn missing_value(column: &str, policy: &str) -> RunError {
    RunError::new(Code::E0713, format!("column `{column}` has a missing value that the `{policy}` policy cannot fill"))
        .with_help("set a policy that fills it, e.g. `missing = fill_median`, or `missing = drop` to drop such rows")
}

fn missing_error(table: &Table, row: usize, column: &str, policy: &str, dataset: &str) -> RunError {
    origin_error(table, row, column, missing_value(column, policy).for_definition(dataset))
}
