//! Reads current data files (CSV with a header, or JSON lines) into a [`Profile`] of the
//! reference's columns, a chunk at a time on every core, and — when the files carry the label and a
//! bundle is given — predicts the labelled rows so metric conditions can score them. Also builds a
//! reference from a data file (`mlpc monitor --reference FILE`), the way Evidently compares two
//! data sets without a model.

use crate::labelled::Labelled;
use crate::profile::{Current, Profile};
use mlp_compiler::codes::Code;
use mlp_compiler::program::{Delimiter, Format};
use mlp_compiler::types::{Column, ColumnType, Schema};
use mlp_compiler::world::World;
use mlp_data::{FsWorld, RunError, RunResult, Table};
use mlp_infer::Bundle;
use mlp_infer::input::RecordReader;
use mlp_infer::reference::{ColumnReference, Reference};
use rayon::prelude::*;
use std::io::BufReader;
use std::path::Path;

/// Rows per chunk: big enough that parsing dominates, small enough that a few chunks per core fit
/// in memory.
const CHUNK_ROWS: usize = 65_536;

/// What the current files held.
pub struct Scan {
    pub profile: Profile,
    /// Labelled predictions, when the files have the label column and a bundle predicted them.
    pub labelled: Option<Labelled>,
}

/// Reads every file in `files` against `reference`. With `bundle`, rows that have its label are
/// also predicted (the bundle's own inference path) and kept as labelled predictions.
pub fn scan(files: &[std::path::PathBuf], reference: &Reference, bundle: Option<&Bundle>) -> RunResult<Scan> {
    let mut profile = Profile::new(reference);
    let mut labelled: Option<Labelled> = None;
    for path in files {
        let header = header_of(path)?;
        let label = bundle.map(|b| b.manifest().label.as_str()).filter(|l| header.iter().any(|h| h == l));
        let schema = schema_for(reference, &header, bundle, label);
        if !schema.columns.iter().any(|c| reference.columns.contains_key(&c.name)) {
            let expected: Vec<&str> = reference.columns.keys().take(5).map(String::as_str).collect();
            return Err(RunError::new(
                Code::E0708,
                format!("`{}` has none of the columns the reference describes", path.display()),
            )
            .in_file(path, Some(1), None)
            .with_help(format!("give files with the model's input columns, such as `{}`", expected.join("`, `"))));
        }
        for_each_chunk(path, &schema, &mut |table: Table| {
            let mut part = Profile::of_table(reference, &table);
            if let (Some(bundle), Some(label)) = (bundle, label) {
                let more = predict_labelled(bundle, &table, label)?;
                match &mut labelled {
                    Some(all) => all.extend(more),
                    None => labelled = Some(more),
                }
            }
            part.rows = table.rows;
            profile.merge(std::mem::take(&mut part));
            Ok(())
        })?;
    }
    Ok(Scan { profile, labelled })
}

/// A reference built from the data files `files` (every column, types inferred from the first
/// file's first 1,000 rows as `mlpc check` infers a source's).
pub fn reference_of(files: &[std::path::PathBuf]) -> RunResult<Reference> {
    let first = files.first().ok_or_else(|| RunError::new(Code::E0702, "no reference file given"))?;
    let sample = sample_of(first)?;
    // Kinds only: numbers, or categories for everything else read as text.
    let mut kinds = Reference::default();
    for column in sample.inferred_schema().columns {
        let kind = match column.ty {
            ColumnType::Float | ColumnType::Int => ColumnReference::of_numbers(&[], 0.0),
            _ => ColumnReference::of_levels(&Default::default(), 0.0),
        };
        kinds.columns.insert(column.name, kind);
    }
    let Scan { profile, .. } = scan(files, &kinds, None)?;
    let mut reference = Reference { rows: profile.rows, columns: Default::default() };
    let n = profile.rows.max(1) as f64;
    for (name, current) in profile.columns {
        let column = match current {
            Current::Numbers { mut values, missing } => {
                values.sort_unstable_by(f64::total_cmp);
                ColumnReference::of_numbers(&values, missing as f64 / n)
            }
            Current::Categories { counts, missing } => ColumnReference::of_levels(&counts, missing as f64 / n),
        };
        reference.columns.insert(name, column);
    }
    Ok(reference)
}

fn sample_of(path: &Path) -> RunResult<mlp_compiler::world::Sample> {
    let format = format_of(path);
    FsWorld.sample(&format, path, 1000).map_err(|e| {
        use mlp_compiler::world::SampleError;
        let why = match e {
            SampleError::NotFound => "no such file".to_string(),
            SampleError::NotRegular(what) => format!("it is {what}, not a regular file"),
            SampleError::GlobTooBroad(_) => "the glob is too broad".to_string(),
            SampleError::NotUtf8 { line, .. } => format!("line {line} is not UTF-8"),
            SampleError::Empty => "it has no header line".to_string(),
            SampleError::Unsupported(why) | SampleError::Unreadable(why) => why,
        };
        RunError::new(Code::E0701, format!("`{}` cannot be read: {why}", path.display()))
            .with_help("give CSV files with a header line, or JSON-lines files (`.jsonl`)")
    })
}

fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl" || e == "ndjson")
}

fn format_of(path: &Path) -> Format {
    let text = path.to_string_lossy().into_owned();
    if is_jsonl(path) { Format::Jsonl { path: text } } else { Format::Csv { path: text, delimiter: Delimiter(b',') } }
}

fn header_of(path: &Path) -> RunResult<Vec<String>> {
    Ok(sample_of(path)?.columns)
}

/// The reference's columns the file has, typed as training typed them (the bundle's input schema;
/// numbers and text without one), and the label as text.
fn schema_for(reference: &Reference, header: &[String], bundle: Option<&Bundle>, label: Option<&str>) -> Schema {
    let inputs = bundle.map(Bundle::input_schema);
    let mut columns: Vec<Column> = header
        .iter()
        .filter_map(|name| {
            let kind = reference.columns.get(name)?;
            let ty = match inputs.as_ref().and_then(|s| s.get(name)) {
                Some(c) => c.ty.clone(),
                None => match kind {
                    ColumnReference::Number { .. } => ColumnType::Float,
                    _ => ColumnType::Text,
                },
            };
            Some(Column { name: name.clone(), ty, nullable: true })
        })
        .collect();
    if let Some(label) = label {
        if !columns.iter().any(|c| c.name == label) {
            columns.push(Column { name: label.to_string(), ty: ColumnType::Text, nullable: true });
        }
    }
    Schema { columns, inferred: false }
}

/// Parses `path` a chunk at a time (CSV chunks on every core) and hands each table to `each`, in
/// order.
fn for_each_chunk(path: &Path, schema: &Schema, each: &mut dyn FnMut(Table) -> RunResult<()>) -> RunResult<()> {
    let unreadable = |e: std::io::Error| {
        RunError::new(Code::E0701, format!("`{}` cannot be read: {e}", path.display()))
            .with_help("check the path and its permissions")
    };
    if is_jsonl(path) {
        // JSON lines are small in practice; the loader reads them whole.
        let step = mlp_compiler::plan::LoadStep {
            source: "current".into(),
            format: format_of(path),
            schema: schema.clone(),
            path: path.to_path_buf(),
            labels: None,
        };
        return each(mlp_data::load(&step)?);
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut reader = RecordReader::new(BufReader::with_capacity(1 << 20, file)).map_err(unreadable)?;
    let parallel = rayon::current_num_threads().max(1);
    loop {
        let mut raws = Vec::with_capacity(parallel);
        while raws.len() < parallel {
            match reader.next_raw(CHUNK_ROWS).map_err(unreadable)? {
                Some(raw) => raws.push(raw),
                None => break,
            }
        }
        if raws.is_empty() {
            return Ok(());
        }
        let header = &reader.header;
        let tables: Vec<RunResult<Table>> = raws
            .par_iter()
            .map(|raw| {
                let records = raw.records();
                mlp_infer::input::parse_records(header, &records, b',', schema, path, 0).map(|p| p.table)
            })
            .collect();
        for table in tables {
            each(table?)?;
        }
    }
}

/// The rows of `table` whose label is present, predicted by `bundle`.
fn predict_labelled(bundle: &Bundle, table: &Table, label: &str) -> RunResult<Labelled> {
    use arrow_array::Array;
    let manifest = bundle.manifest();
    let (predictions, kept, _) = bundle.predict_valid(table)?;
    let labels = table.column(label).and_then(|a| a.as_any().downcast_ref::<arrow_array::StringArray>().cloned());
    let text = |r: usize| labels.as_ref().filter(|l| !l.is_null(r)).map(|l| l.value(r).trim().to_string());
    match &predictions.prediction {
        mlp_infer::predict::Prediction::Classes(matrix) => {
            let mut probabilities = Vec::new();
            let mut truth = Vec::new();
            for (i, &r) in kept.iter().enumerate() {
                let Some(class) = text(r).and_then(|t| manifest.classes.iter().position(|c| *c == t)) else { continue };
                probabilities.push(matrix.row(i).to_vec());
                truth.push(class);
            }
            Ok(Labelled::Classes { classes: manifest.classes.clone(), probabilities, truth })
        }
        mlp_infer::predict::Prediction::Values(values) => {
            let mut predicted = Vec::new();
            let mut truth = Vec::new();
            for (i, &r) in kept.iter().enumerate() {
                let Some(v) = text(r).and_then(|t| t.parse::<f64>().ok()).filter(|v| v.is_finite()) else { continue };
                predicted.push(values[i]);
                truth.push(v);
            }
            Ok(Labelled::Values { predicted, truth })
        }
    }
}
