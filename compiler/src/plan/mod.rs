//! The execution plan: the checked [`Program`] lowered to a DAG of typed nodes (load, validate,
//! derive, split, fit, train, search, evaluate, gate, export, deploy, monitor) that the runtime
//! executes in dependency order, and that the CLI prints as DOT, Mermaid or JSON.
//!
//! Lowering is pure: no I/O, so a node's fingerprint covers what the spec says (paths as
//! written, settings, the schema pinned by the checker) and never the bytes of a data file; the
//! runtime adds content hashes when it executes a `load` node.
//!
//! # Node order
//!
//! ```text
//! load(source) → validate(source) → [derive(dataset)] → split(dataset) → fit_transform(dataset)
//!   fit_transform → train_baseline(b) → evaluate(b)
//!   fit_transform → [search_trial(m)] → train_model(m) → evaluate(m)
//!   evaluate(named by a gate) → gate(g)
//!   train_model(m) + every gate → export(m) → deploy(d) → monitor(d)
//! ```
//!
//! * `derive` runs on validated raw rows before the split: features are row-wise, so computing
//!   them before or after the cut gives the same values, but a `by_column`/`by_time` split may
//!   be keyed by a derived column, and derived columns must exist before `fit_transform` so they
//!   are normalized, encoded and imputed with train-split statistics like any other input.
//! * `fit_transform` comes after `split` because normalization, encoding levels and fill values
//!   are fitted on the train split only (its config says `fit_on = train`): fitting before the
//!   cut would leak validation and test statistics into training.
//! * The number of search trials is only known at run time (Bayesian search adapts, refinement
//!   adds rounds), so a search is one `search_trial` node per search that runs every trial and
//!   hands the best hyperparameters to `train_model`, the final fit. Its config carries the
//!   space, the strategy, the per-round trial count when it is known statically, and the base
//!   training config, since every trial trains the model.
//! * A model ships only after every gate has passed, so `export` depends on all gate nodes.
//!
//! Besides the dependency chain, nodes that consume the prepared data (`train_*`, `search_trial`,
//! `evaluate`, `export`) have a direct edge from their dataset's `fit_transform`: edges say what
//! flows ([`Edge`]), so the runtime can hand each node exactly the artifacts it reads.
//!
//! Each node owns the typed configuration it executes ([`NodeConfig`], step.rs): the runtime
//! runs a node from that configuration and its inputs' artifacts, and the fingerprint hashes
//! exactly that configuration plus the inputs' fingerprints. Every setting of the program lands
//! in the configuration of the nodes that use it, so changing it changes those nodes'
//! fingerprints and everything downstream, and nothing upstream.

mod lower;
mod render;
mod step;

pub use lower::lower;
pub use render::{NodeJson, PlanJson};
pub use step::{
    BaselineStep, DeployStep, DeriveStep, EvaluateStep, ExportStep, FitStep, GateStep, LoadStep, MonitorStep,
    NodeConfig, Ranking, SearchStep, SplitStep, Subject, TrainStep, ValidateStep,
};

use petgraph::Direction as EdgeDirection;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// What a plan node does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// Read a source's rows (path and format from the spec).
    Load,
    /// Check the rows against the source's schema.
    Validate,
    /// Compute derived features on a dataset's raw rows.
    Derive,
    /// Cut a dataset into train, validation and test rows (seeded), and sample them.
    Split,
    /// Fit normalization, encoding and missing-value fills on the train split; apply to all.
    FitTransform,
    TrainBaseline,
    /// Every trial of one hyperparameter search; yields the best hyperparameters.
    SearchTrial,
    /// The final fit of a model (with the best trial's hyperparameters when searched).
    TrainModel,
    /// Every metric of the program, on every split, for one model or baseline.
    Evaluate,
    Gate,
    /// Weights, fitted preprocessing and plan, bundled once the gates pass.
    Export,
    Deploy,
    Monitor,
}

impl NodeKind {
    pub const ALL: [NodeKind; 13] = [
        NodeKind::Load,
        NodeKind::Validate,
        NodeKind::Derive,
        NodeKind::Split,
        NodeKind::FitTransform,
        NodeKind::TrainBaseline,
        NodeKind::SearchTrial,
        NodeKind::TrainModel,
        NodeKind::Evaluate,
        NodeKind::Gate,
        NodeKind::Export,
        NodeKind::Deploy,
        NodeKind::Monitor,
    ];

    /// The snake_case name used in node ids, labels and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Load => "load",
            NodeKind::Validate => "validate",
            NodeKind::Derive => "derive",
            NodeKind::Split => "split",
            NodeKind::FitTransform => "fit_transform",
            NodeKind::TrainBaseline => "train_baseline",
            NodeKind::SearchTrial => "search_trial",
            NodeKind::TrainModel => "train_model",
            NodeKind::Evaluate => "evaluate",
            NodeKind::Gate => "gate",
            NodeKind::Export => "export",
            NodeKind::Deploy => "deploy",
            NodeKind::Monitor => "monitor",
        }
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A node's identity: its kind and the definition it acts on, written `kind:name`
/// (`train_model:mlp`). Two nodes of one kind for one name exist only in programs the checker
/// rejects; the second is `kind:name#2`.
#[derive(Clone, Debug)]
pub struct NodeId {
    kind: NodeKind,
    name: String,
    text: String,
}

impl NodeId {
    pub fn new(kind: NodeKind, name: &str) -> NodeId {
        NodeId { kind, name: name.to_string(), text: format!("{}:{name}", kind.as_str()) }
    }

    fn copy(kind: NodeKind, name: &str, copy: usize) -> NodeId {
        NodeId { kind, name: name.to_string(), text: format!("{}:{name}#{copy}", kind.as_str()) }
    }

    pub fn kind(&self) -> NodeKind {
        self.kind
    }

    /// The definition the node acts on.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Ids hash and compare as their text, so a plan can be asked for `"train_model:mlp"` directly.
impl std::borrow::Borrow<str> for NodeId {
    fn borrow(&self) -> &str {
        &self.text
    }
}

impl PartialEq for NodeId {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for NodeId {}

impl std::hash::Hash for NodeId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for NodeId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NodeId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// One step of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: NodeId,
    pub kind: NodeKind,
    /// The definition it acts on: a source, dataset, model, baseline, gate or deploy name.
    pub name: String,
    /// What the node executes (see step.rs).
    pub config: NodeConfig,
    /// 16 hex digits of blake3 over kind, id, the configuration and the inputs' fingerprints.
    pub fingerprint: String,
}

/// What flows along an edge: the artifact the downstream node reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Edge {
    /// Rows of a source (raw, validated or with derived columns).
    Rows,
    /// Rows assigned to train, validation and test.
    Splits,
    /// Fitted preprocessing and the transformed splits.
    Prepared,
    /// The best hyperparameters of a search.
    Params,
    /// Trained weights (or a fitted baseline).
    Model,
    /// Metric values per split.
    Scores,
    /// A gate's pass/fail decision.
    Verdict,
    /// An exported bundle.
    Bundle,
    /// A running deployment.
    Endpoint,
}

/// The plan's graph has a cycle (impossible for a lowered program; kept for plans built by hand).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleError {
    /// A node on or behind the cycle.
    pub node: String,
}

impl fmt::Display for CycleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the plan has a cycle through `{}`", self.node)
    }
}

impl std::error::Error for CycleError {}

/// The execution graph of one program.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Name of the pipeline, used as the graph's name when rendered.
    pub pipeline: String,
    graph: DiGraph<Node, Edge>,
    by_id: HashMap<NodeId, NodeIndex>,
}

impl Plan {
    pub fn graph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The node with this id (a [`NodeId`] or its text, `train_model:mlp`).
    pub fn node<Q: std::hash::Hash + Eq + ?Sized>(&self, id: &Q) -> Option<&Node>
    where
        NodeId: std::borrow::Borrow<Q>,
    {
        self.by_id.get(id).map(|&i| &self.graph[i])
    }

    /// The node of `kind` acting on `name`.
    pub fn node_of(&self, kind: NodeKind, name: &str) -> Option<&Node> {
        self.node(&NodeId::new(kind, name))
    }

    /// Nodes in the order lowering created them (a topological order, but one that depends on
    /// the order of definitions in the spec; see [`Plan::topological_order`]).
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights()
    }

    /// Every edge as `(from id, to id, what flows)`, sorted.
    pub fn edges(&self) -> Vec<(&str, &str, Edge)> {
        let mut edges: Vec<_> = self
            .graph
            .edge_references()
            .map(|e| (self.graph[e.source()].id.as_str(), self.graph[e.target()].id.as_str(), *e.weight()))
            .collect();
        edges.sort();
        edges
    }

    /// The nodes a node reads from, sorted by id.
    pub fn inputs<Q: std::hash::Hash + Eq + ?Sized>(&self, id: &Q) -> Vec<&Node>
    where
        NodeId: std::borrow::Borrow<Q>,
    {
        self.neighbors(self.by_id.get(id).copied(), EdgeDirection::Incoming)
    }

    /// The nodes a node reads from with what flows along each edge, sorted by id.
    pub fn inputs_with_edges(&self, id: &NodeId) -> Vec<(&Node, Edge)> {
        let Some(&index) = self.by_id.get(id) else { return Vec::new() };
        let mut inputs: Vec<(&Node, Edge)> = self
            .graph
            .edges_directed(index, EdgeDirection::Incoming)
            .map(|e| (&self.graph[e.source()], *e.weight()))
            .collect();
        inputs.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        inputs
    }

    /// The nodes that read from a node, sorted by id.
    pub fn outputs<Q: std::hash::Hash + Eq + ?Sized>(&self, id: &Q) -> Vec<&Node>
    where
        NodeId: std::borrow::Borrow<Q>,
    {
        self.neighbors(self.by_id.get(id).copied(), EdgeDirection::Outgoing)
    }

    fn neighbors(&self, index: Option<NodeIndex>, direction: EdgeDirection) -> Vec<&Node> {
        let Some(index) = index else {
            return Vec::new();
        };
        let mut nodes: Vec<&Node> = self.graph.neighbors_directed(index, direction).map(|i| &self.graph[i]).collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        nodes.dedup_by(|a, b| a.id == b.id);
        nodes
    }

    /// Every node after all of its inputs; among nodes that are ready at the same time, the
    /// smallest id first. Kahn's algorithm with an ordered ready set rather than petgraph's
    /// DFS-based `toposort`, whose order follows insertion order: keyed on ids, the order (and
    /// so the JSON and DOT output) does not change when definitions are reordered in the spec.
    pub fn topological_order(&self) -> Result<Vec<&Node>, CycleError> {
        let mut pending: Vec<usize> = self
            .graph
            .node_indices()
            .map(|i| self.graph.neighbors_directed(i, EdgeDirection::Incoming).count())
            .collect();
        let mut ready: BTreeMap<&str, NodeIndex> = self
            .graph
            .node_indices()
            .filter(|i| pending[i.index()] == 0)
            .map(|i| (self.graph[i].id.as_str(), i))
            .collect();
        let mut order = Vec::with_capacity(self.len());
        while let Some((_, index)) = ready.pop_first() {
            order.push(&self.graph[index]);
            // `neighbors_directed` yields a target once per parallel edge, matching `pending`.
            for next in self.graph.neighbors_directed(index, EdgeDirection::Outgoing) {
                pending[next.index()] -= 1;
                if pending[next.index()] == 0 {
                    ready.insert(self.graph[next].id.as_str(), next);
                }
            }
        }
        if order.len() == self.len() {
            Ok(order)
        } else {
            let stuck = self.graph.node_indices().find(|i| pending[i.index()] > 0);
            Err(CycleError { node: stuck.map(|i| self.graph[i].id.to_string()).unwrap_or_default() })
        }
    }

    /// The plan with one node's configuration replaced and every fingerprint computed again
    /// (tests of what a change re-fingerprints; `None` for an unknown id).
    pub fn with_config(&self, id: &NodeId, config: NodeConfig) -> Option<Plan> {
        let index = *self.by_id.get(id)?;
        let mut plan = self.clone();
        plan.graph[index].config = config;
        plan.fingerprint_all();
        Some(plan)
    }

    /// Fingerprints every node, inputs first (creation order is topological: see lower.rs).
    fn fingerprint_all(&mut self) {
        for index in self.graph.node_indices() {
            let mut inputs: Vec<&str> = self
                .graph
                .neighbors_directed(index, EdgeDirection::Incoming)
                .map(|i| self.graph[i].fingerprint.as_str())
                .collect();
            inputs.sort_unstable();
            let fingerprint = fingerprint(&self.graph[index], &inputs);
            self.graph[index].fingerprint = fingerprint;
        }
    }
}

/// blake3 over kind, id, the configuration's canonical text and the input fingerprints, each
/// piece length-prefixed so no two different nodes can produce the same byte stream. The
/// configuration is hashed whole: whatever field a step holds, the fingerprint covers.
fn fingerprint(node: &Node, inputs: &[&str]) -> String {
    let mut hasher = blake3::Hasher::new();
    let mut piece = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    piece(node.kind.as_str().as_bytes());
    piece(node.id.as_str().as_bytes());
    piece(node.config.to_value().canonical().as_bytes());
    piece(&(inputs.len() as u64).to_le_bytes());
    for input in inputs {
        piece(input.as_bytes());
    }
    hasher.finalize().to_hex()[..16].to_string()
}
