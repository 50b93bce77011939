//! The `split` and `fit_transform` steps of a dataset: which rows train, validate and test, and
//! the preprocessing fitted on the training rows only (fills, normalization, encodings, target
//! scaling), applied to every split to give dense input matrices and targets.

use crate::error::{RunError, RunResult};
use arrow_array::{Array, BooleanArray};
use mlp_compiler::plan::{FitStep, SplitStep};
use mlp_compiler::program::{Encoding, Missing, Normalizer, Sampling, Split};
use mlp_compiler::types::{ColumnType, Task};
use mlp_data::column_view::{ColumnView, Tensor, cell_text, view};
use mlp_data::{Table, time_order};
use mlp_stdlib::Matrix;
use mlp_stdlib::rng::Rng;
use mlp_stdlib::split::{self, Fractions, Split as Rows};
use mlp_stdlib::transform::{Encoder, Scaler, fit_fill};
use serde::Serialize;
use std::sync::Arc;

/// The truth for some rows: class indices or numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Classes(Vec<usize>),
    Values(Vec<f64>),
}

impl Target {
    pub fn select(&self, rows: &[usize]) -> Target {
        match self {
            Target::Classes(c) => Target::Classes(rows.iter().map(|&r| c[r]).collect()),
            Target::Values(v) => Target::Values(rows.iter().map(|&r| v[r]).collect()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Target::Classes(c) => c.len(),
            Target::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Output of `split`: the dataset's rows (derived columns included), its labels, and the split.
#[derive(Debug)]
pub struct SplitRows {
    pub table: Arc<Table>,
    pub target: Target,
    /// Class names for classification (for binary, `[negative, positive]`); empty for regression.
    pub classes: Vec<String>,
    pub split: Rows,
}

pub const SPLIT_NAMES: [&str; 3] = ["train", "val", "test"];

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

/// `error` located at row `row`'s line, with its `column` cell marked.
fn origin_error(table: &Table, row: usize, column: &str, error: RunError) -> RunError {
    match table.locate(row, Some(column)) {
        Some(location) => error.at(location),
        None => error,
    }
}

/// The `split` step: drops rows with missing inputs when the policy is `drop`, reads the label,
/// cuts train/val/test with the pipeline's seed and applies the `sample` setting.
pub fn split(dataset: &SplitStep, table: Arc<Table>) -> RunResult<SplitRows> {
    let seed = dataset.seed.value();
    // A windowed dataset splits windows (one row each), assigned by their target rows.
    let table = crate::window::apply(dataset, table)?;
    let (classes, target_all) = read_label(dataset, &table)?;
    let mut keep: Vec<usize> = (0..table.rows).collect();
    if dataset.missing == Missing::Drop {
        // Only columns that have a missing value need a look per row.
        let mut views = Vec::new();
        for name in &dataset.inputs {
            if has_missing(&table, name)? {
                views.push(view(&table, name)?);
            }
        }
        if !views.is_empty() {
            keep.retain(|&r| views.iter().all(|v| !v.is_missing(r)));
        }
        if keep.is_empty() {
            return Err(RunError::new(
                "E0713",
                format!("no rows of dataset `{}` are left after dropping rows with missing values", dataset.dataset),
            )
            .with_help("every row misses some input: fill them instead, e.g. `missing = fill_median`")
            .for_definition(&dataset.dataset));
        }
    }
    let target = target_all.select(&keep);
    let fractions = dataset.split.fractions().map(|[train, val, test]| Fractions { train, val, test });
    let split_error = |e: split::SplitError| {
        RunError::new("E0714", format!("dataset `{}` cannot be split: {e}", dataset.dataset))
            .for_definition(&dataset.dataset)
    };
    let local = match (&dataset.split, fractions) {
        (Split::Random { .. }, Some(fractions)) => split::random(keep.len(), fractions, seed).map_err(split_error)?,
        (Split::ByTime { column, .. }, Some(fractions)) => {
            // Each kept row's rank in time order: `split::by_time` then deals the ranks.
            let order = time_order(&table, column, &keep).map_err(|e| e.for_definition(&dataset.dataset))?;
            let mut ranks = vec![0.0; keep.len()];
            for (rank, &i) in order.iter().enumerate() {
                ranks[i] = rank as f64;
            }
            split::by_time(&ranks, fractions).map_err(split_error)?
        }
        (Split::ByColumn { column }, _) => {
            let column_view = view(&table, column)?;
            let texts: Vec<Option<String>> = keep.iter().map(|&r| cell_text(&column_view, r)).collect();
            let refs: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
            split::by_column(&refs).map_err(|e| {
                let row = match &e {
                    split::SplitError::UnknownSplitName { row, .. } => Some(keep[*row]),
                    _ => None,
                };
                let error = split_error(e)
                    .with_help("use the values `train`, `val` and `test` in this column, or another split");
                match row {
                    Some(r) => origin_error(&table, r, column, error),
                    None => error,
                }
            })?
        }
        (_, Some(fractions)) => match &target {
            Target::Classes(c) => split::stratified(c, fractions, seed).map_err(split_error)?,
            Target::Values(_) => split::random(keep.len(), fractions, seed).map_err(split_error)?,
        },
        (_, None) => unreachable!("every split but `by_column` has fractions"),
    };
    let to_rows = |idx: &[usize]| idx.iter().map(|&i| keep[i]).collect::<Vec<_>>();
    let mut split = Rows { train: to_rows(&local.train), val: to_rows(&local.val), test: to_rows(&local.test) };
    apply_sampling(dataset, &mut split, &target_all, seed);
    Ok(SplitRows { table, target: target_all, classes, split })
}

/// Whether a column holds a missing value: an Arrow null, or a NaN (a derived feature can
/// compute one, e.g. `0 / 0`).
fn has_missing(table: &Table, name: &str) -> RunResult<bool> {
    let array = mlp_data::column_view::array(table, name)?;
    if array.null_count() > 0 {
        return Ok(true);
    }
    Ok(array
        .as_any()
        .downcast_ref::<arrow_array::Float64Array>()
        .is_some_and(|f| f.values().iter().any(|v| v.is_nan())))
}

/// `sample = fraction(of: f)` keeps a seeded fraction of every split; `balance()` undersamples the
/// training rows of every class to the rarest class's count (validation and test stay as they
/// are, so their metrics describe the real class mix).
fn apply_sampling(dataset: &SplitStep, split: &mut Rows, target: &Target, seed: u64) {
    let mut rng = Rng::new(seed ^ 0x5A4D_504C);
    match dataset.sample {
        Sampling::Fraction { of } => {
            for rows in [&mut split.train, &mut split.val, &mut split.test] {
                let keep = ((rows.len() as f64) * of).round().max(1.0).min(rows.len() as f64) as usize;
                rng.shuffle(rows);
                rows.truncate(keep);
                rows.sort_unstable();
            }
        }
        Sampling::Balance => {
            let Target::Classes(classes) = target else { return };
            let k = classes.iter().copied().max().map_or(0, |m| m + 1);
            let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); k];
            for &r in &split.train {
                by_class[classes[r]].push(r);
            }
            let rarest = by_class.iter().map(Vec::len).filter(|&n| n > 0).min().unwrap_or(0);
            let mut rows = Vec::new();
            for mut members in by_class {
                rng.shuffle(&mut members);
                members.truncate(rarest);
                rows.extend(members);
            }
            rows.sort_unstable();
            split.train = rows;
        }
        Sampling::All => {}
    }
}

/// Reads the label column: class indices with class names (binary: `[negative, positive]`), or
/// numbers for regression. A missing label is an error (E0709), as is a single class (E0710).
fn read_label(dataset: &SplitStep, table: &Table) -> RunResult<(Vec<String>, Target)> {
    let label = &dataset.label;
    let array = table.column(label).ok_or_else(|| {
        RunError::new("E0809", format!("label column `{label}` is not in the loaded data"))
            .for_definition(&dataset.dataset)
    })?;
    if let Some(row) = (0..array.len()).find(|&r| array.is_null(r)) {
        return Err(origin_error(
            table,
            row,
            label,
            RunError::new("E0709", format!("a row has no value for the label `{label}`"))
                .with_help("every row needs a label: remove unlabelled rows or fill them in the data")
                .for_definition(&dataset.dataset),
        ));
    }
    if dataset.task == Task::Regression {
        let ColumnView::Numbers(values) = view(table, label)? else {
            return Err(RunError::new("E0706", format!("the regression label `{label}` is not numeric")));
        };
        return Ok((Vec::new(), Target::Values(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())));
    }
    let texts: Vec<String> = if let Some(bools) = array.as_any().downcast_ref::<BooleanArray>() {
        bools.iter().map(|b| b.unwrap_or(false).to_string()).collect()
    } else {
        let v = view(table, label)?;
        (0..array.len()).map(|r| cell_text(&v, r).unwrap_or_default()).collect()
    };
    let mut classes: Vec<String> = texts.clone();
    classes.sort();
    classes.dedup();
    if classes.len() < 2 {
        return Err(RunError::new(
            "E0710",
            format!(
                "the label `{label}` has a single class{}: there is nothing to learn",
                classes.first().map(|c| format!(" (`{c}`)")).unwrap_or_default()
            ),
        )
        .in_file(table.files.first().map(|f| f.path.clone()).unwrap_or_default(), None, Some(label))
        .with_help("a classifier needs rows of at least two classes; check the data file and the label column")
        .for_definition(&dataset.dataset));
    }
    if dataset.task == Task::Binary {
        if classes.len() > 2 {
            return Err(RunError::new(
                "E0710",
                format!("the binary label `{label}` has {} classes in the data: {}", classes.len(), classes.join(", ")),
            )
            .with_help("the checker saw two in its sample: fix the data, or drop the extra levels")
            .for_definition(&dataset.dataset));
        }
        let positive = dataset.positive.clone().unwrap_or_else(|| classes[1].clone());
        if let Some(p) = classes.iter().position(|c| *c == positive) {
            let negative = classes[1 - p].clone();
            classes = vec![negative, positive];
        }
    }
    let index = |t: &str| classes.iter().position(|c| c == t).unwrap_or(0);
    Ok((classes.clone(), Target::Classes(texts.iter().map(|t| index(t)).collect())))
}

/// The `fit_transform` step: fits fills, scalers and encoders on the training rows and builds
/// the three input matrices.
pub fn fit_transform(dataset: &FitStep, rows: &SplitRows) -> RunResult<Prepared> {
    // Text inputs become word ids, with vocabularies fitted on the training rows only.
    let tokenized = crate::tokens::apply(dataset, &rows.table, &rows.split.train)?;
    let table = &tokenized.table;
    let missing = dataset.missing.name();
    let normalize = dataset.normalize;
    let encode = dataset.encode;
    let train = &rows.split.train;
    if train.is_empty() {
        return Err(RunError::new("E0714", format!("the training split of dataset `{}` has no rows", dataset.dataset))
            .with_help("give the training split a larger fraction, or add rows")
            .for_definition(&dataset.dataset));
    }
    if let Target::Classes(c) = &rows.target {
        let mut seen: Vec<usize> = train.iter().map(|&r| c[r]).collect();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() < 2 {
            return Err(RunError::new(
                "E0710",
                format!(
                    "the training split of dataset `{}` holds a single class of `{}`",
                    dataset.dataset, dataset.label
                ),
            )
            .with_help("use a stratified split, or more rows, so training sees every class")
            .for_definition(&dataset.dataset));
        }
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
                    "E0802",
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
                                        "E0711",
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
        RunError::new("E0713", format!("column `{column}` has a missing value that the `{policy}` policy cannot fill"))
            .with_help(
                "set a policy that fills it, e.g. `missing = fill_median`, or `missing = drop` to drop such rows",
            )
            .for_definition(dataset),
    )
}
