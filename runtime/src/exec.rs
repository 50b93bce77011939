//! Executes a [`Plan`]: nodes in dependency order, every node whose inputs are ready running in
//! parallel on rayon's pool, each output kept as an [`Artifact`] with a blake3 content hash.
//!
//! A node runs from its own typed configuration ([`NodeConfig`]) and the artifacts of its inputs,
//! found by what flows along each edge ([`Edge`]); nothing here looks a definition up by name.

use crate::error::{RunError, RunResult};
use crate::evaluate::gate::{self, GateResult};
use crate::evaluate::{self, Scores};
use crate::prepare;
use crate::prepare::derive;
use crate::prepare::expressions::Expressions;
use crate::prepare::fit::Prepared;
use crate::prepare::split::SplitRows;
use crate::progress::Progress;
use crate::train;
use crate::train::baseline;
use crate::train::config::{self, TrainConfig};
use crate::train::device::Devices;
use crate::train::search;
use crate::train::trained::Trained;
use mlp_compiler::codes::Code;
use mlp_compiler::plan::{Edge, Node, NodeConfig, NodeId, NodeKind, Plan};
use mlp_data::Table;
use rayon::prelude::*;
use std::collections::BTreeMap;
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
    /// A batch or bundle target: the CLI runs it from the run's bundle once the run is recorded
    /// and every gate passed.
    AfterRun,
}

/// A finished node: its artifact, content hash and time.
pub struct Done {
    pub artifact: Artifact,
    pub hash: String,
    pub seconds: f64,
}

/// Every node's output after a run.
pub struct Outputs {
    pub done: BTreeMap<NodeId, Done>,
}

impl Outputs {
    pub fn get(&self, id: &NodeId) -> Option<&Artifact> {
        self.done.get(id).map(|d| &d.artifact)
    }

    /// The artifact of the node of `kind` acting on `name`.
    pub fn of(&self, kind: NodeKind, name: &str) -> Option<&Artifact> {
        self.get(&NodeId::new(kind, name))
    }
}

/// A node's inputs: each input node's artifact and what flows along its edge.
struct Inputs {
    artifacts: Vec<(NodeId, Edge, Artifact)>,
}

impl Inputs {
    fn along(&self, edge: Edge) -> impl Iterator<Item = (&NodeId, &Artifact)> {
        self.artifacts.iter().filter(move |(_, e, _)| *e == edge).map(|(id, _, a)| (id, a))
    }

    fn missing(what: &str) -> RunError {
        RunError::new(Code::E0805, format!("this step received no {what}"))
    }

    fn rows(&self) -> RunResult<Arc<Table>> {
        self.along(Edge::Rows)
            .find_map(|(_, a)| if let Artifact::Rows(t) = a { Some(t.clone()) } else { None })
            .ok_or_else(|| Inputs::missing("rows"))
    }

    fn splits(&self) -> RunResult<Arc<SplitRows>> {
        self.along(Edge::Splits)
            .find_map(|(_, a)| if let Artifact::Splits(s) = a { Some(s.clone()) } else { None })
            .ok_or_else(|| Inputs::missing("splits"))
    }

    fn prepared(&self) -> RunResult<Arc<Prepared>> {
        self.along(Edge::Prepared)
            .find_map(|(_, a)| if let Artifact::Prepared(p) = a { Some(p.clone()) } else { None })
            .ok_or_else(|| Inputs::missing("prepared data"))
    }

    fn model(&self) -> RunResult<Arc<Trained>> {
        self.along(Edge::Model)
            .find_map(|(_, a)| if let Artifact::Model(m) = a { Some(m.clone()) } else { None })
            .ok_or_else(|| Inputs::missing("trained model"))
    }

    /// The best hyperparameters of the model's search, when it has one.
    fn params(&self) -> Option<&search::SearchOutcome> {
        self.along(Edge::Params).find_map(|(_, a)| if let Artifact::Params(p) = a { Some(&**p) } else { None })
    }

    /// Scores by the name of the model or baseline evaluated.
    fn scores(&self) -> BTreeMap<String, Scores> {
        self.along(Edge::Scores)
            .filter_map(
                |(id, a)| if let Artifact::Scores(s) = a { Some((id.name().to_string(), (**s).clone())) } else { None },
            )
            .collect()
    }

    fn verdicts(&self) -> impl Iterator<Item = &GateResult> {
        self.along(Edge::Verdict).filter_map(|(_, a)| if let Artifact::Verdict(v) = a { Some(&**v) } else { None })
    }
}

/// Runs every node of `plan`. The first failure (in plan order among the nodes of a wave) stops
/// the run.
pub fn execute(
    plan: &Plan,
    devices: &Devices,
    expressions: &Expressions,
    progress: &dyn Progress,
) -> RunResult<Outputs> {
    let order = plan.topological_order().map_err(|e| RunError::new(Code::E0805, e.to_string()))?;
    let done: Mutex<BTreeMap<NodeId, Done>> = Mutex::new(BTreeMap::new());
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
            return Err(RunError::new(Code::E0805, "the plan has nodes whose inputs never complete"));
        }
        let results: Vec<(NodeId, RunResult<Done>)> = ready
            .par_iter()
            .map(|node| {
                progress.node_started(node.id.as_str());
                let started = Instant::now();
                let result = {
                    let finished = done.lock().expect("no panics while holding the lock");
                    let artifacts = plan
                        .inputs_with_edges(&node.id)
                        .into_iter()
                        .map(|(input, edge)| (input.id.clone(), edge, finished[&input.id].artifact.clone()))
                        .collect();
                    drop(finished);
                    run_node(node, &Inputs { artifacts }, devices, expressions, progress)
                };
                let seconds = started.elapsed().as_secs_f64();
                progress.node_finished(node.id.as_str(), seconds);
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

fn run_node(
    node: &Node,
    inputs: &Inputs,
    devices: &Devices,
    expressions: &Expressions,
    progress: &dyn Progress,
) -> RunResult<Artifact> {
    Ok(match &node.config {
        NodeConfig::Load(step) => Artifact::Rows(Arc::new(mlp_data::load(step)?)),
        // Types, ragged rows and every cell were validated while loading; this step hands the
        // validated rows on under its own id so downstream fingerprints stay per-step.
        NodeConfig::Validate(_) => Artifact::Rows(inputs.rows()?),
        NodeConfig::Derive(step) => {
            Artifact::Rows(Arc::new(derive::derive(&step.features, &*inputs.rows()?, expressions)?))
        }
        NodeConfig::Split(step) => Artifact::Splits(Arc::new(prepare::split(step, inputs.rows()?)?)),
        NodeConfig::FitTransform(step) => {
            Artifact::Prepared(Arc::new(prepare::fit_transform(step, &*inputs.splits()?)?))
        }
        NodeConfig::TrainBaseline(step) => {
            Artifact::Model(Arc::new(baseline::fit(&step.baseline, &*inputs.prepared()?, expressions)?))
        }
        NodeConfig::SearchTrial(step) => {
            let placement = devices.of(&step.train.model.name);
            Artifact::Params(Arc::new(search::run(step, &*inputs.prepared()?, placement, progress)?))
        }
        NodeConfig::TrainModel(step) => {
            let name = &step.model.name;
            let overrides = inputs.params().map(|outcome| outcome.best.clone()).unwrap_or_default();
            let config = TrainConfig::resolve(step, &overrides)?;
            let prepared = inputs.prepared()?;
            let mut trained =
                train::train_network(name, &config, &prepared, devices.of(name), step.watch.as_ref(), progress)?;
            trained.hyperparameters = config::describe(&config);
            Artifact::Model(Arc::new(Trained::Network(Box::new(trained))))
        }
        NodeConfig::Evaluate(step) => {
            Artifact::Scores(Arc::new(evaluate::evaluate(&*inputs.model()?, &*inputs.prepared()?, &step.metrics)?))
        }
        NodeConfig::Gate(step) => Artifact::Verdict(Arc::new(gate::judge(&step.gate, &inputs.scores(), &step.metrics))),
        NodeConfig::Export(_) => Artifact::Export { shipped: inputs.verdicts().all(|v| v.passed) },
        NodeConfig::Deploy(step) => match step.deploy.target {
            mlp_compiler::program::Target::Http { .. } => {
                Artifact::Skipped(format!("an HTTP target: `mlpc serve SPEC {}` starts it", step.deploy.name))
            }
            _ => Artifact::AfterRun,
        },
        NodeConfig::Monitor(_) => {
            Artifact::Skipped("monitors watch a running deploy target; `mlpc run` starts none".into())
        }
    })
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
        Artifact::AfterRun => {
            hasher.update(b"after run");
        }
    }
    hasher.finalize().to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlp_data::{Table, tensor_array};

    fn image_table(pixels: Vec<f32>) -> Artifact {
        let column = tensor_array(4, pixels).expect("a 2x2 image column");
        Artifact::Rows(Arc::new(Table {
            names: vec!["pixels".into()],
            columns: vec![column],
            rows: 2,
            files: Vec::new(),
            layout: mlp_data::Layout::Binary,
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
