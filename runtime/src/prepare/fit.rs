//! The `fit_transform` step of a dataset: fills, normalization, encodings, vocabularies and target
//! scaling fitted on the training rows only, then applied to every split to give dense input
//! matrices and targets.

use super::split::{SPLIT_NAMES, SplitRows};
use super::target::Target;
use crate::error::{RunError, RunResult};
use arrow_array::Array;
use mlp_compiler::codes::Code;
use mlp_compiler::plan::FitStep;
use mlp_compiler::program::{Encoding, Missing, Normalizer};
use mlp_compiler::types::{ColumnType, Task};
use mlp_data::Table;
use mlp_data::column_view::{ColumnView, Tensor, view};
use mlp_infer::preprocess::{origin_error, transform_rows};
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

pub use mlp_infer::preprocess::{ColumnTransform, Per, Preprocessing, TensorTransform};

/// Fits one scaler per channel (image) or feature (sequence) of a tensor column on the training
/// rows.
fn fit_tensor(ty: &ColumnType, normalize: Normalizer, tensor: &Tensor<'_>, train: &[usize]) -> TensorTransform {
    let (shape, per, groups) = match ty {
        ColumnType::Image { channels, height, width } => (vec![*channels, *height, *width], Per::Channel, *channels),
        ColumnType::Sequence { length, features } => (vec![*length, *features], Per::Feature, *features),
        // A tensor the schema does not describe: one group.
        _ => (vec![1, tensor.width], Per::Channel, 1),
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
                let fitted = fit_tensor(&ty, scale, values, train);
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
        let part = format!("the {} split", SPLIT_NAMES[index]);
        let x = transform_rows(&state, &views, table, split_rows, &part)?;
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
