//! The `split` step of a dataset: windows formed first, rows with missing inputs dropped under
//! `missing = drop`, the label read, the rows cut into train, validation and test with the seed,
//! and the `sample` setting applied.

use super::target::Target;
use crate::error::{RunError, RunResult};
use arrow_array::{Array, BooleanArray};
use mlp_compiler::codes::Code;
use mlp_compiler::plan::SplitStep;
use mlp_compiler::program::{Missing, Sampling, Split};
use mlp_compiler::types::Task;
use mlp_data::column_view::{ColumnView, cell_text, view};
use mlp_data::{Table, time_order};
use mlp_stdlib::rng::Rng;
use mlp_stdlib::split::{self, Fractions, Split as Rows};
use std::sync::Arc;

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

pub(crate) use mlp_infer::preprocess::origin_error;

/// The `split` step: drops rows with missing inputs when the policy is `drop`, reads the label,
/// cuts train/val/test with the pipeline's seed and applies the `sample` setting.
pub fn split(dataset: &SplitStep, table: Arc<Table>) -> RunResult<SplitRows> {
    let seed = dataset.seed.value();
    // A windowed dataset splits windows (one row each), assigned by their target rows.
    let table = crate::prepare::window::apply(dataset, table)?;
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
                Code::E0713,
                format!("no rows of dataset `{}` are left after dropping rows with missing values", dataset.dataset),
            )
            .with_help("every row misses some input: fill them instead, e.g. `missing = fill_median`")
            .for_definition(&dataset.dataset));
        }
    }
    let target = target_all.select(&keep);
    let fractions = dataset.split.fractions().map(|[train, val, test]| Fractions { train, val, test });
    let split_error = |e: split::SplitError| {
        RunError::new(Code::E0714, format!("dataset `{}` cannot be split: {e}", dataset.dataset))
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
        RunError::new(Code::E0809, format!("label column `{label}` is not in the loaded data"))
            .for_definition(&dataset.dataset)
    })?;
    if let Some(row) = (0..array.len()).find(|&r| array.is_null(r)) {
        return Err(origin_error(
            table,
            row,
            label,
            RunError::new(Code::E0709, format!("a row has no value for the label `{label}`"))
                .with_help("every row needs a label: remove unlabelled rows or fill them in the data")
                .for_definition(&dataset.dataset),
        ));
    }
    if dataset.task == Task::Regression {
        let ColumnView::Numbers(values) = view(table, label)? else {
            return Err(RunError::new(Code::E0706, format!("the regression label `{label}` is not numeric")));
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
            Code::E0710,
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
            // The checker's sample held two classes: the extra one first appears after it, so
            // name the class that appears last and point at its first row.
            let first_rows: Vec<usize> =
                classes.iter().map(|c| texts.iter().position(|t| t == c).unwrap_or(0)).collect();
            let (extra, row) = classes.iter().zip(first_rows).max_by_key(|(_, row)| *row).expect("three classes");
            let error = RunError::new(
                Code::E0710,
                format!("the binary label `{label}` has a class `{extra}` beyond the two the checker sampled"),
            )
            .with_help(format!(
                "the data holds {} classes ({}): fix or remove the `{extra}` rows, or add rows of every class near the top of the file so the checker sees a multi-class label",
                classes.len(),
                classes.iter().take(6).map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            ))
            .for_definition(&dataset.dataset);
            return Err(origin_error(table, row, label, error));
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
