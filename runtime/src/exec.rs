//! Executes a [`Plan`]: nodes in dependency order, every node whose inputs are ready running in
//! parallel on rayon's pool, each output kept as an [`Artifact`] with a blake3 content hash.
//!
//! Nodes look up the definitions they act on in the checked [`Program`] by name; the plan says
//! what runs, in which order, and what each node reads.

use crate::baseline;
use crate::data::{self, Table};
use crate::device::Devices;
use crate::error::{RunError, RunResult};
use crate::evaluate::{self, Scores};
use crate::expressions::Expressions;
use crate::gate::{self, GateResult};
use crate::predict::Trained;
use crate::prepare::{self, Prepared, SplitRows};
use crate::progress::Progress;
use crate::search;
use crate::train::{self, TrainConfig};
use arrow_array::ArrayRef;
use mlp_compiler::plan::{Node, NodeKind, Plan};
use mlp_compiler::program::{Program, Value};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The output of one plan node.
#[derive(Clone)]
pub enum Artifact {
    Rows(Arc<Table>),
    Splits(Arc<SplitRows>),
    Prepared(Arc<Prepared>),
    /// Hyperparameters chosen by a search, with every trial's result.
    Params(Arc<search::SearchOutcome>),
    Model(Arc<Trained>),
    Scores(Arc<Scores>),
    Verdict(Arc<GateResult>),
    /// An export that went ahead (the gates passed) or not.
    Export {
        shipped: bool,
    },
    /// A node `mlpc run` does not execute, with the reason.
    Skipped(String),
}

/// A finished node: its artifact, content hash and time.
pub struct Done {
    pub artifact: Artifact,
    pub hash: String,
    pub seconds: f64,
}

/// Every node's output after a run.
pub struct Outputs {
    pub done: BTreeMap<String, Done>,
}

impl Outputs {
    pub fn get(&self, id: &str) -> Option<&Artifact> {
        self.done.get(id).map(|d| &d.artifact)
    }
}

/// The pipeline's seed (the `--seed` override is already in the program).
pub fn seed_of(program: &Program) -> u64 {
    match program.pipeline.settings.get("seed") {
        Some(Value::Int(i)) => *i as u64,
        _ => 0,
    }
}

/// Runs every node of `plan`. The first failure (in plan order among the nodes of a wave) stops
/// the run.
pub fn execute(
    program: &Program,
    plan: &Plan,
    devices: &Devices,
    expressions: &Expressions,
    progress: &dyn Progress,
) -> RunResult<Outputs> {
    let order = plan.topological_order().map_err(|e| RunError::new("E0805", e.to_string()))?;
    let done: Mutex<BTreeMap<String, Done>> = Mutex::new(BTreeMap::new());
    let mut remaining: Vec<&Node> = order;
    while !remaining.is_empty() {
        let ready: Vec<&Node> = {
            let finished = done.lock().expect("no panics while holding the lock");
            remaining
                .iter()
                .copied()
                .filter(|n| plan.inputs(&n.id).iter().all(|i| finished.contains_key(&i.id)))
                .collect()
        };
        if ready.is_empty() {
            return Err(RunError::new("E0805", "the plan has nodes whose inputs never complete"));
        }
        let results: Vec<(String, RunResult<Done>)> = ready
            .par_iter()
            .map(|node| {
                progress.node_started(&node.id);
                let started = Instant::now();
                let result = {
                    let finished = done.lock().expect("no panics while holding the lock");
                    let inputs: HashMap<String, Artifact> = plan
                        .inputs(&node.id)
                        .iter()
                        .map(|i| (i.id.clone(), finished[&i.id].artifact.clone()))
                        .collect();
                    drop(finished);
                    run_node(program, node, &inputs, devices, expressions, progress)
                };
                let seconds = started.elapsed().as_secs_f64();
                progress.node_finished(&node.id, seconds);
                (node.id.clone(), result.map(|artifact| Done { hash: digest(&artifact), artifact, seconds }))
            })
            .collect();
        let mut finished = done.lock().expect("no panics while holding the lock");
        for (id, result) in results {
            finished.insert(id, result?);
        }
        remaining.retain(|n| !finished.contains_key(&n.id));
    }
    Ok(Outputs { done: done.into_inner().expect("no panics while holding the lock") })
}

fn input<'a>(inputs: &'a HashMap<String, Artifact>, id: &str) -> RunResult<&'a Artifact> {
    inputs.get(id).ok_or_else(|| RunError::new("E0805", format!("the plan gives no `{id}` to this step")))
}

fn rows_input(inputs: &HashMap<String, Artifact>) -> RunResult<Arc<Table>> {
    inputs
        .values()
        .find_map(|a| if let Artifact::Rows(t) = a { Some(t.clone()) } else { None })
        .ok_or_else(|| RunError::new("E0805", "this step received no rows"))
}

fn prepared(inputs: &HashMap<String, Artifact>, dataset: &str) -> RunResult<Arc<Prepared>> {
    match input(inputs, &format!("fit_transform:{dataset}"))? {
        Artifact::Prepared(p) => Ok(p.clone()),
        _ => Err(RunError::new("E0805", format!("`fit_transform:{dataset}` gave no prepared data"))),
    }
}

fn run_node(
    program: &Program,
    node: &Node,
    inputs: &HashMap<String, Artifact>,
    devices: &Devices,
    expressions: &Expressions,
    progress: &dyn Progress,
) -> RunResult<Artifact> {
    let name = node.name.as_str();
    let missing = |what: &str| RunError::new("E0805", format!("the program has no {what} `{name}`"));
    Ok(match node.kind {
        NodeKind::Load => {
            let source = program.sources.iter().find(|s| s.name == name).ok_or_else(|| missing("source"))?;
            Artifact::Rows(Arc::new(data::load(source).map_err(|e| e.for_definition(name))?))
        }
        // Types, ragged rows and every cell were validated while loading; this step hands the
        // validated rows on under its own id so downstream fingerprints stay per-step.
        NodeKind::Validate => Artifact::Rows(rows_input(inputs)?),
        NodeKind::Derive => {
            let dataset = program.datasets.iter().find(|d| d.name == name).ok_or_else(|| missing("dataset"))?;
            let rows = rows_input(inputs)?;
            Artifact::Rows(Arc::new(derive(program, dataset, &rows, expressions)?))
        }
        NodeKind::Split => {
            let dataset = program.datasets.iter().find(|d| d.name == name).ok_or_else(|| missing("dataset"))?;
            Artifact::Splits(Arc::new(prepare::split(dataset, rows_input(inputs)?, seed_of(program))?))
        }
        NodeKind::FitTransform => {
            let dataset = program.datasets.iter().find(|d| d.name == name).ok_or_else(|| missing("dataset"))?;
            let Artifact::Splits(rows) = input(inputs, &format!("split:{name}"))? else {
                return Err(RunError::new("E0805", "fit_transform received no splits"));
            };
            Artifact::Prepared(Arc::new(prepare::fit_transform(dataset, rows)?))
        }
        NodeKind::TrainBaseline => {
            let b = program.baselines.iter().find(|b| b.name == name).ok_or_else(|| missing("baseline"))?;
            let data = prepared(inputs, &b.dataset)?;
            Artifact::Model(Arc::new(baseline::fit(b, &data, b.rule.as_ref(), expressions)?))
        }
        NodeKind::SearchTrial => {
            let model = program.models.iter().find(|m| m.name == name).ok_or_else(|| missing("model"))?;
            let search =
                program.searches.iter().find(|s| s.model == name).ok_or_else(|| missing("search for model"))?;
            let data = prepared(inputs, &model.dataset)?;
            Artifact::Params(Arc::new(search::run(program, model, search, &data, devices.of(name), progress)?))
        }
        NodeKind::TrainModel => {
            let model = program.models.iter().find(|m| m.name == name).ok_or_else(|| missing("model"))?;
            let data = prepared(inputs, &model.dataset)?;
            let overrides = match inputs.get(&format!("search_trial:{name}")) {
                Some(Artifact::Params(outcome)) => outcome.best.clone(),
                _ => BTreeMap::new(),
            };
            let config = TrainConfig::resolve(program, model, &overrides);
            let watch = train::watch_of(program);
            let placement = devices.of(name);
            let mut trained = train::train_network(model, name, &config, &data, placement, &watch, progress)?;
            trained.hyperparameters = train::describe(&config);
            Artifact::Model(Arc::new(Trained::Network(Box::new(trained))))
        }
        NodeKind::Evaluate => {
            let (dataset, trained_id) = match program.models.iter().find(|m| m.name == name) {
                Some(m) => (m.dataset.clone(), format!("train_model:{name}")),
                None => {
                    let b = program
                        .baselines
                        .iter()
                        .find(|b| b.name == name)
                        .ok_or_else(|| missing("model or baseline"))?;
                    (b.dataset.clone(), format!("train_baseline:{name}"))
                }
            };
            let data = prepared(inputs, &dataset)?;
            let Artifact::Model(trained) = input(inputs, &trained_id)? else {
                return Err(RunError::new("E0805", format!("`{trained_id}` gave no model")));
            };
            let metrics = evaluate::metrics_for(&program.metrics, data.task);
            Artifact::Scores(Arc::new(evaluate::evaluate(trained, &data, &metrics)?))
        }
        NodeKind::Gate => {
            let gate = program.gates.iter().find(|g| g.name == name).ok_or_else(|| missing("gate"))?;
            let scores: BTreeMap<String, Scores> = inputs
                .iter()
                .filter_map(|(id, a)| match a {
                    Artifact::Scores(s) => Some((id.trim_start_matches("evaluate:").to_string(), (**s).clone())),
                    _ => None,
                })
                .collect();
            Artifact::Verdict(Arc::new(gate::judge(gate, &scores, &program.metrics)))
        }
        NodeKind::Export => {
            let shipped = inputs.values().all(|a| !matches!(a, Artifact::Verdict(v) if !v.passed));
            Artifact::Export { shipped }
        }
        NodeKind::Deploy => Artifact::Skipped("`mlpc run` trains and gates; it does not start deploy targets".into()),
        NodeKind::Monitor => Artifact::Skipped("monitors watch a running deploy target; `mlpc run` starts none".into()),
    })
}

/// Adds the dataset's derived features to its rows, each feature after those it reads.
fn derive(
    program: &Program,
    dataset: &mlp_compiler::program::Dataset,
    table: &Table,
    expressions: &Expressions,
) -> RunResult<Table> {
    let wanted: Vec<&mlp_compiler::program::Feature> = program
        .features
        .iter()
        .filter(|f| dataset.schema.get(&f.name).is_some() && table.column(&f.name).is_none())
        .collect();
    let mut computed: Vec<(String, ArrayRef)> = Vec::new();
    let mut pending = wanted;
    while !pending.is_empty() {
        let before = pending.len();
        let mut still = Vec::new();
        for feature in pending {
            let ready = feature.reads.iter().all(|r| table.column(r).is_some() || computed.iter().any(|(n, _)| n == r));
            if ready {
                let values = expressions
                    .evaluate(&feature.expr, table, &computed)
                    .map_err(|e| e.for_definition(&feature.name))?;
                computed.push((feature.name.clone(), values));
            } else {
                still.push(feature);
            }
        }
        if still.len() == before {
            let names: Vec<&str> = still.iter().map(|f| f.name.as_str()).collect();
            return Err(RunError::new(
                "E0809",
                format!("features {} read columns that never appear", names.join(", ")),
            ));
        }
        pending = still;
    }
    let mut out = table.clone();
    for (name, values) in computed {
        out.names.push(name);
        out.columns.push(values);
    }
    Ok(out)
}

/// 16 hex digits of blake3 over an artifact's content.
/// Feeds numbers' little-endian bytes to the hasher in blocks: one `update` per number costs more
/// than the hashing itself on a million-row matrix.
fn hash_le<const N: usize>(hasher: &mut blake3::Hasher, values: impl Iterator<Item = [u8; N]>) {
    let mut block = Vec::with_capacity(64 * 1024);
    for bytes in values {
        block.extend_from_slice(&bytes);
        if block.len() >= 64 * 1024 {
            hasher.update(&block);
            block.clear();
        }
    }
    hasher.update(&block);
}

/// Hashes an Arrow array's buffers and validity, and the values of a fixed-size list (an image or
/// sequence column), which live in a child array rather than in the list's own buffers.
fn hash_array(hasher: &mut blake3::Hasher, array: &dyn arrow_array::Array) {
    for buffer in array.to_data().buffers() {
        hasher.update(buffer.as_slice());
    }
    if let Some(nulls) = array.nulls() {
        hasher.update(nulls.validity());
    }
    if let Some(list) = array.as_any().downcast_ref::<arrow_array::FixedSizeListArray>() {
        hash_array(hasher, list.values().as_ref());
    }
}

fn digest(artifact: &Artifact) -> String {
    let mut hasher = blake3::Hasher::new();
    match artifact {
        Artifact::Rows(table) => {
            for (name, column) in table.names.iter().zip(&table.columns) {
                hasher.update(name.as_bytes());
                hash_array(&mut hasher, column.as_ref());
            }
        }
        Artifact::Splits(rows) => {
            for part in [&rows.split.train, &rows.split.val, &rows.split.test] {
                hasher.update(&(part.len() as u64).to_le_bytes());
                hash_le(&mut hasher, part.iter().map(|&i| (i as u64).to_le_bytes()));
            }
        }
        Artifact::Prepared(p) => {
            for split in &p.splits {
                hash_le(&mut hasher, split.x.data.iter().map(|v| v.to_le_bytes()));
            }
        }
        Artifact::Params(outcome) => {
            hasher.update(serde_json::to_string(&outcome.best_json()).unwrap_or_default().as_bytes());
        }
        Artifact::Model(trained) => {
            if let Trained::Network(m) = trained.as_ref() {
                for (name, tensor) in m.network.named_tensors() {
                    hasher.update(name.as_bytes());
                    if let Ok(values) = tensor.flatten_all().and_then(|t| t.to_vec1::<f32>()) {
                        hash_le(&mut hasher, values.iter().map(|v| v.to_le_bytes()));
                    }
                }
            } else {
                hasher.update(format!("{:?}", std::mem::discriminant(trained.as_ref())).as_bytes());
            }
        }
        Artifact::Scores(s) => {
            hasher.update(serde_json::to_string(s.as_ref()).unwrap_or_default().as_bytes());
        }
        Artifact::Verdict(v) => {
            hasher.update(serde_json::to_string(v.as_ref()).unwrap_or_default().as_bytes());
        }
        Artifact::Export { shipped } => {
            hasher.update(&[u8::from(*shipped)]);
        }
        Artifact::Skipped(reason) => {
            hasher.update(reason.as_bytes());
        }
    }
    hasher.finalize().to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Table, tensor_array};

    fn image_table(pixels: Vec<f32>) -> Artifact {
        let column = tensor_array(4, pixels).expect("a 2x2 image column");
        Artifact::Rows(Arc::new(Table {
            names: vec!["pixels".into()],
            columns: vec![column],
            rows: 2,
            files: Vec::new(),
        }))
    }

    /// An image column keeps its numbers in a child array: two tables that differ only in one
    /// pixel must not share a load hash (they once did, as only the list's own buffers were hashed).
    #[test]
    fn tables_differing_only_in_a_pixel_hash_differently() {
        let a = image_table(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let b = image_table(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.5]);
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest(&a), digest(&image_table(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])));
    }
}
