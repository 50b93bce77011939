//! The `fit_transform` step of a dataset: fills, normalization, encodings, vocabularies and target
//! scaling fitted on the training rows only, then applied to every split to give dense input
//! matrices and targets.

use super::split::{SPLIT_NAMES, SplitRows, origin_error};
use super::target::Target;
use crate::error::{RunError, RunResult};
use arrow_array::Array;
use mlp_compiler::codes::Code;
use mlp_compiler::plan::FitStep;
use mlp_compiler::program::{Encoding, Missing, Normalizer};
use mlp_compiler::types::{ColumnType, Task};
use mlp_data::Table;
use mlp_data::column_view::{ColumnView, Tensor, view};
use mlp_stdlib::Matrix;
use mlp_stdlib::transform::{Encoder, Scaler, fit_fill};
use serde::Serialize;
use std::sync::Arc;

/// One split after preprocessing.
#[derive(Clone, Debug)]
pub struct PreparedSplit {
    /// Indices into the dataset's table.
    pub rows: Vec<usize>,
    pub x: Matrix,
    pub y: Target,
}

/// Output of `fit_transform`.
#[derive(Debug)]
pub struct Prepared {
    pub dataset: String,
    pub task: Task,
    pub classes: Vec<String>,
    /// Names of the matrix columns (`column` or `column=level` for one-hot).
    pub features: Vec<String>,
    /// Train, validation and test, in that order.
    pub splits: [PreparedSplit; 3],
    pub state: Preprocessing,
    pub table: Arc<Table>,
    /// Where the dataset's first image or sequence column sits in `x`, for models (CNN, LSTM)
    /// that read it as a tensor rather than as flat features; `None` for tabular data.
    pub tensor: Option<TensorInput>,
}

/// An image or sequence column inside the flat prepared matrix: its numbers are columns
/// `offset..offset + width` of every split's `x`, already normalized, in the order of `shape`
/// (`[channels, height, width]` for an image, `[length, features]` for a sequence), so a row
/// reshapes to `shape` without copying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TensorInput {
    pub column: String,
    pub offset: usize,
    pub width: usize,
    pub shape: Vec<usize>,
}

/// The fitted preprocessing, saved with every model so predictions can be reproduced.
#[derive(Clone, Debug, Serialize)]
pub struct Preprocessing {
    pub dataset: String,
    pub missing: String,
    pub columns: Vec<ColumnTransform>,
    /// Standardization of a regression target (fitted on train), inverted on prediction.
    pub target: Option<Scaler>,
    pub classes: Vec<String>,
    /// The vocabulary fitted on the training split for each tokenized text column.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub vocabularies: std::collections::BTreeMap<String, mlp_stdlib::tokenize::Vocabulary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColumnTransform {
    pub column: String,
    /// Value used for a missing number (a code for a category's fill level).
    pub fill: Option<f64>,
    pub fill_level: Option<String>,
    pub scaler: Option<Scaler>,
    pub encoder: Option<Encoder>,
    /// An image or sequence column: its shape and one scaler per channel (image) or per feature
    /// (sequence), fitted on the training split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tensor: Option<TensorTransform>,
}

/// The per-channel normalization of an image column (per feature for a sequence).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TensorTransform {
    /// `[channels, height, width]` or `[length, features]`.
    pub shape: Vec<usize>,
    /// `channel` for an image (a channel's numbers are contiguous), `feature` for a sequence (a
    /// step's features are contiguous, so element `i` belongs to feature `i % features`).
    pub per: &'static str,
    pub scalers: Vec<Scaler>,
}

impl TensorTransform {
    /// Fits one scaler per channel (image) or feature (sequence) on the training rows.
    fn fit(ty: &ColumnType, normalize: Normalizer, tensor: &Tensor<'_>, train: &[usize]) -> TensorTransform {
        let (shape, per, groups) = match ty {
            ColumnType::Image { channels, height, width } => (vec![*channels, *height, *width], "channel", *channels),
            ColumnType::Sequence { length, features } => (vec![*length, *features], "feature", *features),
            // A tensor the schema does not describe: one group.
            _ => (vec![1, tensor.width], "channel", 1),
        };
        let transform = TensorTransform { shape, per, scalers: Vec::new() };
        let mut groups_values: Vec<Vec<f64>> = vec![Vec::new(); groups.max(1)];
        for &r in train {
            for (i, &v) in tensor.row(r).iter().enumerate() {
                groups_values[transform.group(i)].push(f64::from(v));
            }
        }
        let scalers = groups_values.iter().map(|values| Scaler::fit(normalize, values)).collect();
        TensorTransform { scalers, ..transform }
    }

    /// The channel or feature of element `i` of a row.
    fn group(&self, i: usize) -> usize {
        match self.per {
            "feature" => i % self.shape.last().copied().unwrap_or(1).max(1),
            _ => i / self.shape.iter().skip(1).product::<usize>().max(1),
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

/// E0726 for the first validation or test row whose label is a class the training rows never
/// hold: a model cannot predict a class it never saw, and its metrics would quietly count it
/// wrong. The error names the level and points at the row's line.
fn unseen_label(dataset: &FitStep, rows: &SplitRows, seen: &[usize]) -> RunResult<()> {
    let Target::Classes(classes) = &rows.target else { return Ok(()) };
    for (split_name, members) in [("validation", &rows.split.val), ("test", &rows.split.test)] {
        let Some(&row) = members.iter().find(|&&r| seen.binary_search(&classes[r]).is_err()) else { continue };
        let level = rows.classes.get(classes[row]).cloned().unwrap_or_default();
        let label = &dataset.label;
        let trained: Vec<String> =
            seen.iter().take(4).filter_map(|&c| rows.classes.get(c)).map(|l| format!("`{l}`")).collect();
        return Err(origin_error(
            &rows.table,
            row,
            label,
            RunError::new(
                Code::E0726,
                format!("label `{label}` is `{level}` in the {split_name} split, a class training never saw"),
            )
            .with_help(format!(
                "the models learn only the classes of the training rows ({}): use a stratified split, add `{level}` rows, or remove them from the data",
                trained.join(", ")
            ))
            .for_definition(&dataset.dataset),
        ));
    }
    Ok(())
}

/// The `fit_transform` step: fits fills, scalers and encoders on the training rows and builds
/// the three input matrices.
pub fn fit_transform(dataset: &FitStep, rows: &SplitRows) -> RunResult<Prepared> {
    // Text inputs become word ids, with vocabularies fitted on the training rows only.
    let tokenized = crate::prepare::tokens::apply(dataset, &rows.table, &rows.split.train)?;
    let table = &tokenized.table;
    let missing = dataset.missing.name();
    let normalize = dataset.normalize;
    let encode = dataset.encode;
    let train = &rows.split.train;
    if train.is_empty() {
        return Err(RunError::new(
            Code::E0714,
            format!("the training split of dataset `{}` has no rows", dataset.dataset),
        )
        .with_help("give the training split a larger fraction, or add rows")
        .for_definition(&dataset.dataset));
    }
    if let Target::Classes(c) = &rows.target {
        let mut seen: Vec<usize> = train.iter().map(|&r| c[r]).collect();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() < 2 {
            return Err(RunError::new(
                Code::E0710,
                format!(
                    "the training split of dataset `{}` holds a single class of `{}`",
                    dataset.dataset, dataset.label
                ),
            )
            .with_help("use a stratified split, or more rows, so training sees every class")
            .for_definition(&dataset.dataset));
        }
        unseen_label(dataset, rows, &seen)?;
    }

    let mut columns = Vec::new();
    let mut features = Vec::new();
    let mut tensor_input = None;
    // One typed view per input column, used to fit and then to transform.
    let views: Vec<ColumnView> = dataset.inputs.iter().map(|c| view(table, c)).collect::<RunResult<_>>()?;
    for (name, column) in dataset.inputs.iter().zip(&views) {
        let ty = dataset.schema.get(name).map(|c| c.ty.clone()).unwrap_or(ColumnType::Float);
        let transform = match (&column, &ty) {
            (ColumnView::Text(array), ColumnType::Category { .. }) => {
                let present: Vec<String> =
                    train.iter().filter(|&&r| !array.is_null(r)).map(|&r| array.value(r).to_string()).collect();
                // Any fill policy fills a category with its most frequent training level.
                let fill_level = match dataset.missing {
                    Missing::Drop => None,
                    Missing::FillMode | Missing::FillMean | Missing::FillMedian | Missing::Fill { .. } => {
                        most_frequent(&present)
                    }
                };
                let encoder = Encoder::fit(encode, present);
                let scaler = (encoder.kind == Encoding::Ordinal).then(|| {
                    let codes: Vec<f64> = train
                        .iter()
                        .filter(|&&r| !array.is_null(r))
                        .filter_map(|&r| encoder.code(array.value(r)).map(|c| c as f64))
                        .collect();
                    Scaler::fit(normalize, &codes)
                });
                if encoder.kind == Encoding::Onehot {
                    features.extend(encoder.levels.iter().map(|l| format!("{name}={l}")));
                } else {
                    features.push(name.clone());
                }
                ColumnTransform {
                    column: name.clone(),
                    fill: None,
                    fill_level,
                    scaler,
                    encoder: Some(encoder),
                    tensor: None,
                }
            }
            (ColumnView::Text(_), _) => {
                return Err(RunError::new(
                    Code::E0802,
                    format!("column `{name}` holds free text, which an MLP cannot read"),
                )
                .with_help(format!(
                    "exclude it with `exclude = [{name}]`, or declare it as a category in a `schema {{ }}` block"
                ))
                .for_definition(&dataset.dataset));
            }
            (ColumnView::Numbers(values), _) => {
                let present: Vec<f64> = train.iter().filter_map(|&r| values[r]).collect();
                let fill = fit_fill(dataset.missing, &present);
                let scaler = if ty == ColumnType::Bool { Scaler::Identity } else { Scaler::fit(normalize, &present) };
                features.push(name.clone());
                ColumnTransform {
                    column: name.clone(),
                    fill,
                    fill_level: None,
                    scaler: Some(scaler),
                    encoder: None,
                    tensor: None,
                }
            }
            (ColumnView::Tensor(values), _) => {
                // Token ids stay the integers an embedding looks up.
                let scale = if tokenized.vocabularies.contains_key(name) { Normalizer::None } else { normalize };
                let fitted = TensorTransform::fit(&ty, scale, values, train);
                if tensor_input.is_none() {
                    tensor_input = Some(TensorInput {
                        column: name.clone(),
                        offset: features.len(),
                        width: values.width,
                        shape: fitted.shape.clone(),
                    });
                }
                features.extend((0..values.width).map(|i| format!("{name}[{i}]")));
                ColumnTransform {
                    column: name.clone(),
                    fill: None,
                    fill_level: None,
                    scaler: None,
                    encoder: None,
                    tensor: Some(fitted),
                }
            }
        };
        columns.push(transform);
    }

    let target_scaler = match &rows.target {
        Target::Values(values) => {
            let train_values: Vec<f64> = train.iter().map(|&r| values[r]).collect();
            Some(Scaler::fit(Normalizer::Zscore, &train_values))
        }
        Target::Classes(_) => None,
    };
    let state = Preprocessing {
        dataset: dataset.dataset.clone(),
        missing: missing.to_string(),
        columns,
        target: target_scaler,
        classes: rows.classes.clone(),
        vocabularies: tokenized.vocabularies.clone(),
    };
    let mut splits = Vec::new();
    for (index, split_rows) in [&rows.split.train, &rows.split.val, &rows.split.test].into_iter().enumerate() {
        let x = transform_rows(&state, &views, table, split_rows, features.len(), SPLIT_NAMES[index])?;
        splits.push(PreparedSplit { rows: split_rows.clone(), x, y: rows.target.select(split_rows) });
    }
    let splits: [PreparedSplit; 3] = splits.try_into().expect("three splits");
    Ok(Prepared {
        dataset: dataset.dataset.clone(),
        task: dataset.task,
        classes: rows.classes.clone(),
        features,
        splits,
        state,
        table: table.clone(),
        tensor: tensor_input,
    })
}

fn most_frequent(values: &[String]) -> Option<String> {
    let mut sorted: Vec<&String> = values.iter().collect();
    sorted.sort();
    let mut best: Option<(&String, usize)> = None;
    let mut i = 0;
    while i < sorted.len() {
        let j = sorted[i..].iter().position(|v| *v != sorted[i]).map_or(sorted.len(), |k| i + k);
        if best.is_none_or(|(_, n)| j - i > n) {
            best = Some((sorted[i], j - i));
        }
        i = j;
    }
    best.map(|(v, _)| v.clone())
}

/// Applies the fitted preprocessing to `rows`, giving one matrix row per table row.
fn transform_rows(
    state: &Preprocessing,
    views: &[ColumnView],
    table: &Table,
    rows: &[usize],
    width: usize,
    split_name: &str,
) -> RunResult<Matrix> {
    let mut x = Matrix::zeros(rows.len(), width);
    for (i, &r) in rows.iter().enumerate() {
        let out = x.row_mut(i);
        let mut at = 0;
        for (transform, column) in state.columns.iter().zip(views) {
            match (column, &transform.encoder) {
                (ColumnView::Text(array), Some(encoder)) => {
                    let level =
                        if array.is_null(r) { transform.fill_level.clone() } else { Some(array.value(r).to_string()) };
                    let width = encoder.width();
                    match level {
                        None => {
                            return Err(missing_error(table, r, &transform.column, &state.missing, &state.dataset));
                        }
                        Some(level) => {
                            let Some(code) = encoder.code(&level) else {
                                return Err(origin_error(
                                    table,
                                    r,
                                    &transform.column,
                                    RunError::new(
                                        Code::E0711,
                                        format!(
                                            "level `{level}` of column `{}` appears in the {split_name} split but never in training",
                                            transform.column
                                        ),
                                    )
                                    .with_help(format!(
                                        "the model cannot encode a level it never saw; add `{level}` rows to the data, merge it into a known level ({}), or use a stratified split",
                                        encoder.levels.iter().take(4).map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
                                    ))
                                    .for_definition(&state.dataset),
                                ));
                            };
                            encoder.encode_into(code, &mut out[at..at + width]);
                            if let Some(scaler) = &transform.scaler {
                                out[at] = scaler.apply(out[at]);
                            }
                            at += width;
                        }
                    }
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

fn missing_error(table: &Table, row: usize, column: &str, policy: &str, dataset: &str) -> RunError {
    origin_error(
        table,
        row,
        column,
        RunError::new(
            Code::E0713,
            format!("column `{column}` has a missing value that the `{policy}` policy cannot fill"),
        )
        .with_help("set a policy that fills it, e.g. `missing = fill_median`, or `missing = drop` to drop such rows")
        .for_definition(dataset),
    )
}
