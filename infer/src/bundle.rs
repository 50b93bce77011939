//! [`Bundle`]: one trained model as a self-contained directory, and the one path from raw rows
//! to its predictions.
//!
//! ```text
//! <bundle>/
//!   manifest.json        what it is, where it came from, what it reads (see `manifest.rs`)
//!   preprocessing.json   fills, scalers, encoders, vocabularies fitted on the training split
//!   weights.safetensors  the network's tensors
//!   reference.json       the training reference statistics monitoring compares against
//!   card.md              the model card
//! ```
//!
//! Prediction runs, in order: derive the features ([`crate::derive`]), encode text as word ids
//! ([`crate::tokens`]), fill, encode and scale ([`crate::preprocess::transform_rows`]), the
//! forward pass and the head ([`crate::predict::network_prediction`]) — the functions `mlpc run`
//! evaluated the model with, so a bundle's predictions are the run's, bit for bit.

use crate::derive::derive;
use crate::error::{RunError, RunResult};
use crate::expressions::Expressions;
use crate::manifest::{FORMAT, InputColumn, Manifest, VERSION};
use crate::predict::{Prediction, network_prediction};
use crate::preprocess::{Preprocessing, origin_error, transform_rows, unseen_level};
use crate::reference::Reference;
use crate::rows::{self, FieldError};
use arrow_array::Array;
use candle_core::{DType, Device, Tensor};
use mlp_compiler::codes::Code;
use mlp_compiler::types::{ColumnType, Task};
use mlp_data::Table;
use mlp_data::column_view::ColumnView;
use mlp_stdlib::network::Net;
use mlp_stdlib::rng::Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "manifest.json";
pub const PREPROCESSING: &str = "preprocessing.json";
pub const WEIGHTS: &str = "weights.safetensors";
pub const REFERENCE: &str = "reference.json";
pub const CARD: &str = "card.md";

/// What `mlpc run` hands over to write a bundle.
pub struct BundleParts<'a> {
    /// Everything but `id` and `files`, which [`write`] fills in.
    pub manifest: Manifest,
    pub preprocessing: &'a Preprocessing,
    pub reference: Reference,
    /// The network's tensors, on any device.
    pub weights: Vec<(String, Tensor)>,
    /// The model card (markdown).
    pub card: String,
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError::new(Code::E0804, format!("cannot write `{}`: {e}", path.display()))
}

fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Writes a bundle into `dir` (created; it must not hold another bundle) and returns its
/// manifest, with the content id and file hashes filled in.
pub fn write(dir: &Path, parts: BundleParts<'_>) -> RunResult<Manifest> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let tensors: std::collections::HashMap<String, Tensor> = parts
        .weights
        .into_iter()
        .map(|(n, t)| Ok((n, t.to_device(&Device::Cpu)?)))
        .collect::<candle_core::Result<_>>()
        .map_err(|e| write_error(&dir.join(WEIGHTS), e))?;
    let weights_path = dir.join(WEIGHTS);
    candle_core::safetensors::save(&tensors, &weights_path).map_err(|e| write_error(&weights_path, e))?;
    let weights = std::fs::read(&weights_path).map_err(|e| write_error(&weights_path, e))?;
    let mut files = BTreeMap::new();
    files.insert(WEIGHTS.to_string(), hex(&weights));
    for (name, bytes) in [
        (PREPROCESSING, json_bytes(parts.preprocessing)),
        (REFERENCE, json_bytes(&parts.reference)),
        (CARD, parts.card.into_bytes()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).map_err(|e| write_error(&path, e))?;
        files.insert(name.to_string(), hex(&bytes));
    }
    let mut manifest = parts.manifest;
    manifest.format = FORMAT.to_string();
    manifest.version = VERSION;
    manifest.files = files;
    manifest.id = content_id(&manifest);
    let path = dir.join(MANIFEST);
    std::fs::write(&path, json_bytes(&manifest)).map_err(|e| write_error(&path, e))?;
    Ok(manifest)
}

/// The id of a bundle: its content, not when or by which run it was made (the card, which
/// names the run, is left out too).
fn content_id(manifest: &Manifest) -> String {
    let mut content = manifest.clone();
    content.id = String::new();
    content.created = String::new();
    content.run_id = String::new();
    content.files.remove(CARD);
    hex(&json_bytes(&content))[..16].to_string()
}

/// Copies the bundle at `from` to `to` atomically: into a temporary directory beside `to`,
/// synced, then renamed over it, so a reader of `to` sees the old bundle or the new one, never
/// a mixture. What `to` held before is removed once the new bundle is in place.
pub fn place(from: &Path, to: &Path) -> std::io::Result<()> {
    let parent = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = to.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "bundle".into());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let target = staging.join(entry.file_name());
            std::fs::copy(entry.path(), &target)?;
            std::fs::File::open(&target)?.sync_all()?;
        }
    }
    std::fs::File::open(&staging)?.sync_all()?;
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let had_old = to.exists();
    if had_old {
        std::fs::rename(to, &old)?;
    }
    if let Err(e) = std::fs::rename(&staging, to) {
        if had_old {
            let _ = std::fs::rename(&old, to);
        }
        return Err(e);
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    std::fs::File::open(parent)?.sync_all()
}

/// A loaded bundle, ready to predict. Loading needs none of the training data.
pub struct Bundle {
    dir: PathBuf,
    manifest: Manifest,
    preprocessing: Preprocessing,
    net: Net,
    card: String,
    /// What the training rows looked like, for monitoring (`reference.json`).
    reference: Reference,
    expressions: Expressions,
    /// Word ids per row of each tokenized column.
    lengths: BTreeMap<String, usize>,
}

fn unreadable(dir: &Path, message: String) -> RunError {
    RunError::new(Code::E0830, message)
        .in_file(dir, None, None)
        .with_help("point at a directory `mlpc run` wrote under runs/<id>/bundles/, or at a `bundle` target's `path`")
}

impl Bundle {
    /// Loads the bundle in `dir`, checking its format, version and every file's hash.
    pub fn load(dir: impl AsRef<Path>) -> RunResult<Bundle> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| {
                if dir.is_dir() {
                    unreadable(dir, format!("`{}` cannot be read: {e}", path.display()))
                } else {
                    unreadable(dir, format!("`{}` is not a bundle directory", dir.display()))
                }
            })
        };
        let manifest_bytes = read(MANIFEST)?;
        let value: serde_json::Value = serde_json::from_slice(&manifest_bytes)
            .map_err(|e| unreadable(dir, format!("`{MANIFEST}` is not JSON: {e}")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(unreadable(
                dir,
                format!("`{}` is not an mlpc bundle (no `\"format\": \"{FORMAT}\"`)", dir.display()),
            ));
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != u64::from(VERSION) {
            return Err(unreadable(
                dir,
                format!("the bundle has format version {version}; this mlpc reads version {VERSION}"),
            )
            .with_help(if version > u64::from(VERSION) {
                "use the mlpc that wrote it, or a newer one"
            } else {
                "export it again: run its spec with this mlpc"
            }));
        }
        let manifest: Manifest = serde_json::from_value(value)
            .map_err(|e| unreadable(dir, format!("`{MANIFEST}` does not describe a bundle: {e}")))?;
        let mut contents = BTreeMap::new();
        for (name, hash) in &manifest.files {
            let bytes = read(name)?;
            if hex(&bytes) != *hash {
                return Err(RunError::new(Code::E0831, format!("`{name}` of the bundle does not match its manifest"))
                    .in_file(dir.join(name), None, None)
                    .with_help("the bundle was changed or damaged after it was written: export it again"));
            }
            contents.insert(name.clone(), bytes);
        }
        let take =
            |name: &str| contents.get(name).ok_or_else(|| unreadable(dir, format!("the manifest lists no `{name}`")));
        let preprocessing: Preprocessing = serde_json::from_slice(take(PREPROCESSING)?)
            .map_err(|e| unreadable(dir, format!("`{PREPROCESSING}` cannot be read: {e}")))?;
        let card = String::from_utf8_lossy(take(CARD)?).into_owned();
        let reference: Reference = serde_json::from_slice(take(REFERENCE)?)
            .map_err(|e| unreadable(dir, format!("`{REFERENCE}` cannot be read: {e}")))?;
        let net = load_network(&manifest, take(WEIGHTS)?).map_err(|e| {
            RunError::new(Code::E0831, format!("the network of the bundle cannot be rebuilt: {e}"))
                .in_file(dir.join(WEIGHTS), None, None)
                .with_help("export it again: run its spec with this mlpc")
        })?;
        let lengths = preprocessing
            .columns
            .iter()
            .filter(|c| preprocessing.vocabularies.contains_key(&c.column))
            .filter_map(|c| c.tensor.as_ref().map(|t| (c.column.clone(), t.shape.first().copied().unwrap_or(0))))
            .collect();
        let (expressions, _) = Expressions::for_run();
        let bundle =
            Bundle { dir: dir.to_path_buf(), manifest, preprocessing, net, card, reference, expressions, lengths };
        // The features are compiled now (on no rows), not by the first request.
        if !bundle.manifest.features.is_empty() {
            let empty = rows::from_json::<serde_json::Value>(&[], &bundle.manifest.inputs, &[]).map_err(|errors| {
                unreadable(dir, format!("the input columns cannot be typed: {}", errors[0].message))
            })?;
            derive(&bundle.manifest.features, &empty, &bundle.expressions)?;
        }
        Ok(bundle)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn card(&self) -> &str {
        &self.card
    }

    /// The training reference that monitoring compares current rows with.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    pub fn preprocessing(&self) -> &Preprocessing {
        &self.preprocessing
    }

    /// Predictions for every row of `table` (the input columns, typed as the manifest says),
    /// failing on the first row that cannot be predicted.
    pub fn predict(&self, table: &Table) -> RunResult<Predictions> {
        let all: Vec<usize> = (0..table.rows).collect();
        let prepared = self.prepare(table)?;
        let views = self.preprocessing.views(&prepared)?;
        let x = transform_rows(&self.preprocessing, &views, &prepared, &all, "the input")?;
        self.forward(&x)
    }

    /// Predictions for the rows of `table` that can be predicted, and an error for each row that
    /// cannot (a missing value nothing fills, a category level training never saw): every such
    /// problem, not only the first. The predictions are for `rows`, the rows left, in order.
    pub fn predict_valid(&self, table: &Table) -> RunResult<(Predictions, Vec<usize>, Vec<FieldError>)> {
        let prepared = self.prepare(table)?;
        let views = self.preprocessing.views(&prepared)?;
        let errors = self.validate(&prepared, &views);
        let mut bad: Vec<usize> = errors.iter().filter_map(|e| e.row).collect();
        bad.dedup();
        let rows: Vec<usize> = (0..table.rows).filter(|r| bad.binary_search(r).is_err()).collect();
        let x = transform_rows(&self.preprocessing, &views, &prepared, &rows, "the input")?;
        Ok((self.forward(&x)?, rows, errors))
    }

    /// Predictions for JSON objects, one per row; every field error when any row is bad.
    pub fn predict_json<R: std::borrow::Borrow<serde_json::Value>>(
        &self,
        rows: &[R],
    ) -> Result<Predictions, Vec<FieldError>> {
        let table = rows::from_json(rows, &self.manifest.inputs, &[self.manifest.label.as_str()])?;
        self.predict_all_or_errors(&table)
    }

    /// Predictions for CSV text with a header row (the columns in any order; others ignored);
    /// every bad row when any is bad.
    pub fn predict_csv(&self, body: &[u8]) -> Result<Predictions, Vec<FieldError>> {
        let table = crate::input::parse_csv_rows(body, &self.manifest.inputs)?;
        self.predict_all_or_errors(&table)
    }

    fn predict_all_or_errors(&self, table: &Table) -> Result<Predictions, Vec<FieldError>> {
        let failed = |e: RunError| vec![FieldError::from_run_error(None, &e)];
        let (predictions, _, errors) = self.predict_valid(table).map_err(failed)?;
        if errors.is_empty() { Ok(predictions) } else { Err(errors) }
    }

    /// The table with the features derived and text encoded.
    fn prepare(&self, table: &Table) -> RunResult<Table> {
        let derived = derive(&self.manifest.features, table, &self.expressions)?;
        crate::tokens::encode(&derived, &self.preprocessing.vocabularies, &self.lengths)
    }

    /// Every row that [`transform_rows`] would refuse, with why.
    fn validate(&self, table: &Table, views: &[ColumnView]) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for r in 0..table.rows {
            for (transform, view) in self.preprocessing.columns.iter().zip(views) {
                let column = transform.column.as_str();
                let problem = match (view, &transform.encoder) {
                    (ColumnView::Text(array), Some(encoder)) => {
                        if array.is_null(r) {
                            transform
                                .fill_level
                                .is_none()
                                .then(|| crate::preprocess::missing_value(column, &self.preprocessing.missing))
                        } else {
                            let level = array.value(r);
                            encoder.code(level).is_none().then(|| unseen_level(column, level, encoder, "the input"))
                        }
                    }
                    (ColumnView::Numbers(values), _) => (values[r].is_none() && transform.fill.is_none())
                        .then(|| crate::preprocess::missing_value(column, &self.preprocessing.missing)),
                    _ => None,
                };
                if let Some(error) = problem {
                    let error = origin_error(table, r, column, error);
                    let mut field = FieldError::from_run_error(Some(r), &error);
                    field.column = Some(column.to_string());
                    errors.push(field);
                }
            }
        }
        errors
    }

    fn forward(&self, x: &mlp_stdlib::Matrix) -> RunResult<Predictions> {
        let manifest = &self.manifest;
        let prediction = network_prediction(&self.net, &manifest.network_input, &manifest.head, &Device::Cpu, x)
            .map_err(|e| RunError::new(Code::E0803, format!("prediction failed: {e}")))?;
        Ok(Predictions::new(prediction, manifest.task, manifest.classes.clone(), manifest.threshold))
    }

    /// The raw input columns and their types, as a schema the data loader reads files with.
    pub fn input_schema(&self) -> mlp_compiler::types::Schema {
        input_schema(&self.manifest.inputs)
    }
}

/// The schema a loader reads input files with: the bundle's input columns.
pub fn input_schema(inputs: &[InputColumn]) -> mlp_compiler::types::Schema {
    mlp_compiler::types::Schema {
        columns: inputs
            .iter()
            .map(|c| mlp_compiler::types::Column { name: c.name.clone(), ty: c.ty.clone(), nullable: c.optional })
            .collect(),
        inferred: false,
    }
}

/// The network of `manifest` with the saved weights.
fn load_network(manifest: &Manifest, weights: &[u8]) -> candle_core::Result<Net> {
    let device = Device::Cpu;
    // The initial weights are replaced by the saved ones; the seed only has to build the layers.
    let mut net = Net::new(&manifest.network, &mut Rng::new(0), &device)?;
    let saved: Vec<(String, Tensor)> = candle_core::safetensors::load_buffer(weights, &device)?.into_iter().collect();
    net.load_from(&saved)?;
    net.set_compute_dtype(match manifest.precision.as_str() {
        "bf16" => DType::BF16,
        "f16" => DType::F16,
        _ => DType::F32,
    });
    Ok(net)
}

/// What a bundle predicts for some rows: probabilities and the class they choose, or values.
#[derive(Clone, Debug, PartialEq)]
pub struct Predictions {
    pub prediction: Prediction,
    pub task: Task,
    pub classes: Vec<String>,
    /// The index into `classes` of each row's predicted class (empty for regression).
    pub chosen: Vec<usize>,
}

impl Predictions {
    pub fn new(prediction: Prediction, task: Task, classes: Vec<String>, threshold: f64) -> Predictions {
        let chosen = match &prediction {
            Prediction::Classes(m) => mlp_stdlib::outcome::predicted_classes(m, threshold),
            Prediction::Values(_) => Vec::new(),
        };
        Predictions { prediction, task, classes, chosen }
    }

    pub fn len(&self) -> usize {
        self.prediction.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The predicted class of row `i` (`None` for regression).
    pub fn class_of(&self, i: usize) -> Option<&str> {
        self.chosen.get(i).and_then(|&c| self.classes.get(c)).map(String::as_str)
    }

    /// Row `i` as JSON: `{"class", "probabilities": {class: p}}` or `{"value"}`.
    pub fn row_json(&self, i: usize) -> serde_json::Value {
        match &self.prediction {
            Prediction::Classes(m) => {
                let probabilities: serde_json::Map<String, serde_json::Value> =
                    self.classes.iter().zip(m.row(i)).map(|(c, &p)| (c.clone(), serde_json::json!(p))).collect();
                serde_json::json!({ "class": self.class_of(i), "probabilities": probabilities })
            }
            Prediction::Values(v) => serde_json::json!({ "value": v[i] }),
        }
    }
}

/// The type a JSON or CSV cell of an input column is read as, for messages.
pub fn type_name(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Float => "float".into(),
        ColumnType::Int => "int".into(),
        ColumnType::Bool => "bool".into(),
        ColumnType::Category { .. } => "category".into(),
        ColumnType::Text => "text".into(),
        ColumnType::Image { channels, height, width } => format!("image({channels}, {height}, {width})"),
        ColumnType::Sequence { length, features } => format!("sequence({length}, {features})"),
    }
}
