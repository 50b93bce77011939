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
//! Every setting of the program lands in some node's config, so changing any of them changes
//! that node's fingerprint and those of everything downstream, and nothing upstream.

mod render;

use crate::program::{Config, Dataset, GateCheck, Model, MonitorRule, Program, Search, Value};
use crate::types::ColumnType;
use petgraph::Direction as EdgeDirection;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

pub use render::{NodeJson, PlanJson};

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

/// One step of the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// `kind:name`, unique in the plan (e.g. `train_model:mlp`).
    pub id: String,
    pub kind: NodeKind,
    /// The definition it acts on: a source, dataset, model, baseline, gate or deploy name.
    pub name: String,
    /// The settings this step depends on, defaults included (copied from the checked program).
    pub config: Config,
    /// 16 hex digits of blake3 over kind, id, canonical config and the inputs' fingerprints
    /// (a load's resolved path aside: see `is_local`).
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
    by_id: HashMap<String, NodeIndex>,
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

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.by_id.get(id).map(|&i| &self.graph[i])
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
    pub fn inputs(&self, id: &str) -> Vec<&Node> {
        self.neighbors(id, EdgeDirection::Incoming)
    }

    /// The nodes that read from a node, sorted by id.
    pub fn outputs(&self, id: &str) -> Vec<&Node> {
        self.neighbors(id, EdgeDirection::Outgoing)
    }

    fn neighbors(&self, id: &str, direction: EdgeDirection) -> Vec<&Node> {
        let Some(&index) = self.by_id.get(id) else {
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
            Err(CycleError { node: stuck.map(|i| self.graph[i].id.clone()).unwrap_or_default() })
        }
    }
}

/// Lowers a checked program to its execution plan.
///
/// The program is expected to have passed the checker; references it would have rejected (a
/// dataset over an unknown source, a gate naming an unknown model, ...) lower to nodes without
/// that edge rather than a panic.
pub fn lower(program: &Program) -> Plan {
    let mut b = Builder::new(program);
    b.lower();
    b.finish()
}

/// Lowering state: the graph so far and, per definition, the node later steps attach to.
struct Builder<'p> {
    program: &'p Program,
    graph: DiGraph<Node, Edge>,
    by_id: HashMap<String, NodeIndex>,
    /// `validate` node per source.
    validated: HashMap<&'p str, NodeIndex>,
    /// `fit_transform` node per dataset.
    prepared: HashMap<&'p str, NodeIndex>,
    /// `train_model` node per model.
    trained: HashMap<&'p str, NodeIndex>,
    /// `evaluate` node per model or baseline.
    evaluated: HashMap<&'p str, NodeIndex>,
    gates: Vec<NodeIndex>,
    /// `export` node per deployed model.
    exported: HashMap<&'p str, NodeIndex>,
    /// `deploy` node per deploy.
    deployed: HashMap<&'p str, NodeIndex>,
}

impl<'p> Builder<'p> {
    fn new(program: &'p Program) -> Self {
        Builder {
            program,
            graph: DiGraph::new(),
            by_id: HashMap::new(),
            validated: HashMap::new(),
            prepared: HashMap::new(),
            trained: HashMap::new(),
            evaluated: HashMap::new(),
            gates: Vec::new(),
            exported: HashMap::new(),
            deployed: HashMap::new(),
        }
    }

    /// Adds the nodes stage by stage, so every edge points from an earlier node to a later one:
    /// creation order is a topological order, which `finish` relies on for fingerprints.
    fn lower(&mut self) {
        let p = self.program;
        for source in &p.sources {
            let mut config = Config::new();
            config.insert("format".into(), source.format.clone());
            config.insert("path".into(), Value::String(source.path.to_string_lossy().into_owned()));
            let load = self.add(NodeKind::Load, &source.name, config);

            let mut config = source.settings.clone();
            config.insert("columns".into(), Value::List(source.schema.columns.iter().map(column_value).collect()));
            let origin = if source.schema.inferred { "inferred" } else { "declared" };
            config.insert("schema".into(), Value::Name(origin.into()));
            let validate = self.add(NodeKind::Validate, &source.name, config);
            self.connect(Some(load), validate, Edge::Rows);
            self.validated.entry(&source.name).or_insert(validate);
        }

        for dataset in &p.datasets {
            self.lower_dataset(dataset);
        }

        for baseline in &p.baselines {
            let mut config = baseline.settings.clone();
            config.insert("baseline".into(), baseline.kind.clone());
            config.insert("dataset".into(), Value::Name(baseline.dataset.clone()));
            let train = self.add(NodeKind::TrainBaseline, &baseline.name, config);
            let prepared = self.prepared.get(baseline.dataset.as_str()).copied();
            self.connect(prepared, train, Edge::Prepared);
            self.evaluate(&baseline.name, train, prepared);
        }

        for model in &p.models {
            self.lower_model(model);
        }

        for gate in &p.gates {
            let checks = gate.checks.iter().map(check_value).collect();
            let config = Config::from([("checks".to_string(), Value::List(checks))]);
            let node = self.add(NodeKind::Gate, &gate.name, config);
            for check in &gate.checks {
                let named = match check {
                    GateCheck::Threshold { model, .. } => vec![model],
                    GateCheck::Beats { model, baseline, .. } => vec![model, baseline],
                };
                for name in named {
                    let evaluate = self.evaluated.get(name.as_str()).copied();
                    self.connect(evaluate, node, Edge::Scores);
                }
            }
            self.gates.push(node);
        }

        // One export per deployed model, however many deploys serve it.
        let gate_names: Vec<Value> = p.gates.iter().map(|g| Value::Name(g.name.clone())).collect();
        for deploy in &p.deploys {
            if self.exported.contains_key(deploy.model.as_str()) {
                continue;
            }
            let mut config = Config::new();
            config.insert("model".into(), Value::Name(deploy.model.clone()));
            config.insert("gates".into(), Value::List(gate_names.clone()));
            let export = self.add(NodeKind::Export, &deploy.model, config);
            let trained = self.trained.get(deploy.model.as_str()).copied();
            self.connect(trained, export, Edge::Model);
            let dataset = p.models.iter().find(|m| m.name == deploy.model).map(|m| m.dataset.as_str());
            let prepared = dataset.and_then(|d| self.prepared.get(d).copied());
            self.connect(prepared, export, Edge::Prepared);
            for gate in self.gates.clone() {
                self.connect(Some(gate), export, Edge::Verdict);
            }
            self.exported.insert(&deploy.model, export);
        }

        for deploy in &p.deploys {
            let mut config = deploy.settings.clone();
            config.insert("target".into(), Value::Name(deploy.target.clone()));
            config.insert("model".into(), Value::Name(deploy.model.clone()));
            let node = self.add(NodeKind::Deploy, &deploy.name, config);
            let export = self.exported.get(deploy.model.as_str()).copied();
            self.connect(export, node, Edge::Bundle);
            self.deployed.entry(&deploy.name).or_insert(node);
        }

        for monitor in &p.monitors {
            let mut config = Config::new();
            config.insert("deploy".into(), Value::Name(monitor.deploy.clone()));
            config.insert("rules".into(), Value::List(monitor.rules.iter().map(rule_value).collect()));
            let node = self.add(NodeKind::Monitor, &monitor.deploy, config);
            let deploy = self.deployed.get(monitor.deploy.as_str()).copied();
            self.connect(deploy, node, Edge::Endpoint);
        }
    }

    fn lower_dataset(&mut self, dataset: &'p Dataset) {
        let p = self.program;
        let mut upstream = self.validated.get(dataset.source.as_str()).copied();

        if !p.features.is_empty() {
            // Features are global definitions: the checker adds every one to every dataset.
            // Program order is kept because a feature may read an earlier one.
            let features = p.features.iter().map(|f| Value::Expr(format!("{} = {}", f.name, f.text))).collect();
            let config = Config::from([("features".to_string(), Value::List(features))]);
            let derive = self.add(NodeKind::Derive, &dataset.name, config);
            self.connect(upstream, derive, Edge::Rows);
            upstream = Some(derive);
        }

        // The split claims the settings that choose rows (windows are formed before the split and
        // split by their target rows); every other dataset setting (normalize, encode, missing,
        // exclude and any added later) belongs to fit_transform, so no setting is left out of a
        // fingerprint.
        const SPLIT_SETTINGS: [&str; 3] = ["split", "sample", "window"];
        let mut split_config = Config::new();
        let mut fit_config = Config::new();
        for (key, value) in &dataset.settings {
            let target = if SPLIT_SETTINGS.contains(&key.as_str()) { &mut split_config } else { &mut fit_config };
            target.insert(key.clone(), value.clone());
        }
        if let Some(seed) = p.pipeline.settings.get("seed") {
            split_config.insert("seed".into(), seed.clone());
        }
        // Stratified splits and class balancing read the label.
        split_config.insert("label".into(), Value::Name(dataset.label.clone()));
        let split = self.add(NodeKind::Split, &dataset.name, split_config);
        self.connect(upstream, split, Edge::Rows);

        fit_config.insert("fit_on".into(), Value::Name("train".into()));
        fit_config.insert("label".into(), Value::Name(dataset.label.clone()));
        fit_config.insert("task".into(), Value::Name(dataset.task.as_str().into()));
        if let Some(positive) = &dataset.positive {
            fit_config.insert("positive".into(), Value::Name(positive.clone()));
        }
        fit_config.insert("inputs".into(), names(&dataset.inputs));
        fit_config.insert("input_width".into(), Value::Int(dataset.input_width as i64));
        let fit = self.add(NodeKind::FitTransform, &dataset.name, fit_config);
        self.connect(Some(split), fit, Edge::Splits);
        self.prepared.entry(&dataset.name).or_insert(fit);
    }

    fn lower_model(&mut self, model: &'p Model) {
        let p = self.program;
        let prepared = self.prepared.get(model.dataset.as_str()).copied();
        let searches: Vec<&Search> = p.searches.iter().filter(|s| s.model == model.name).collect();

        let mut trials = Vec::new();
        for search in &searches {
            let node = self.add(NodeKind::SearchTrial, &model.name, self.search_config(model, search));
            self.connect(prepared, node, Edge::Prepared);
            trials.push(node);
        }

        let mut config = model_config(model);
        if !searches.is_empty() {
            // Which settings the best trial overrides; their values arrive along the edge.
            let tuned: BTreeSet<&String> = searches.iter().flat_map(|s| s.space.keys()).collect();
            config.insert("tuned".into(), Value::List(tuned.into_iter().map(|k| Value::Name(k.clone())).collect()));
        }
        let train = self.add(NodeKind::TrainModel, &model.name, config);
        self.connect(prepared, train, Edge::Prepared);
        for trial in trials {
            self.connect(Some(trial), train, Edge::Params);
        }
        self.trained.entry(&model.name).or_insert(train);
        self.evaluate(&model.name, train, prepared);
    }

    fn search_config(&self, model: &Model, search: &Search) -> Config {
        let mut config = search.settings.clone();
        config.insert("space".into(), Value::Call { call: "space".into(), args: search.space.clone() });
        if let Some(trials) = trial_count(search) {
            config.insert("trials".into(), Value::Int(trials));
        }
        // Trials are ranked by the objective on the validation split; the test split stays unseen.
        if let Some(objective) = &self.program.objective {
            config.insert("objective".into(), objective_value(self.program, objective));
        }
        config.insert("rank_on".into(), Value::Name("val".into()));
        // Every trial trains the model, so its training config is part of the search's.
        config.insert("train".into(), Value::Call { call: "train".into(), args: model_config(model) });
        config
    }

    fn evaluate(&mut self, name: &'p str, trained: NodeIndex, prepared: Option<NodeIndex>) {
        let p = self.program;
        let mut config = Config::new();
        let metrics = p
            .metrics
            .iter()
            .map(|m| {
                let args = Config::from([
                    ("builtin".to_string(), m.builtin.clone()),
                    ("direction".to_string(), Value::Name(m.direction.as_str().into())),
                ]);
                Value::Call { call: m.name.clone(), args }
            })
            .collect();
        config.insert("metrics".into(), Value::List(metrics));
        if let Some(objective) = &p.objective {
            config.insert("objective".into(), objective_value(p, objective));
        }
        config.insert("splits".into(), names(&["train", "val", "test"]));
        let node = self.add(NodeKind::Evaluate, name, config);
        self.connect(Some(trained), node, Edge::Model);
        self.connect(prepared, node, Edge::Prepared);
        self.evaluated.entry(name).or_insert(node);
    }

    /// Adds a node with id `kind:name`. A checked program has unique names, so the suffix
    /// only keeps ids unique for programs the checker would reject (e.g. a model and a
    /// baseline with the same name, both evaluated).
    fn add(&mut self, kind: NodeKind, name: &str, config: Config) -> NodeIndex {
        let base = format!("{}:{name}", kind.as_str());
        let mut id = base.clone();
        let mut n = 2;
        while self.by_id.contains_key(&id) {
            id = format!("{base}#{n}");
            n += 1;
        }
        let node = Node { id: id.clone(), kind, name: name.to_string(), config, fingerprint: String::new() };
        let index = self.graph.add_node(node);
        self.by_id.insert(id, index);
        index
    }

    /// Adds `from → to` once; `None` is a reference the checker would have rejected.
    fn connect(&mut self, from: Option<NodeIndex>, to: NodeIndex, edge: Edge) {
        if let Some(from) = from {
            debug_assert!(from < to, "edges must point forward so creation order stays topological");
            if self.graph.find_edge(from, to).is_none() {
                self.graph.add_edge(from, to, edge);
            }
        }
    }

    fn finish(mut self) -> Plan {
        // Creation order is topological (see `lower`), so inputs are fingerprinted first.
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
        Plan { pipeline: self.program.pipeline.name.clone(), graph: self.graph, by_id: self.by_id }
    }
}

/// blake3 over kind, id, config and input fingerprints, each piece length-prefixed so no two
/// different nodes can produce the same byte stream.
fn fingerprint(node: &Node, inputs: &[&str]) -> String {
    let mut hasher = blake3::Hasher::new();
    let mut piece = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    piece(node.kind.as_str().as_bytes());
    piece(node.id.as_bytes());
    let config: Vec<(&String, &Value)> = node.config.iter().filter(|(key, _)| !is_local(node, key)).collect();
    piece(&(config.len() as u64).to_le_bytes());
    for (key, value) in config {
        piece(key.as_bytes());
        piece(value.canonical().as_bytes());
    }
    piece(&(inputs.len() as u64).to_le_bytes());
    for input in inputs {
        piece(input.as_bytes());
    }
    hasher.finalize().to_hex()[..16].to_string()
}

/// Settings that say where this checkout keeps something rather than what the spec means, left
/// out of the fingerprint so the same spec fingerprints alike on every machine and in CI. The
/// one case: a load's resolved `path` (absolute, from the spec's directory), when the path as
/// written is in its `format` call and so is hashed anyway.
fn is_local(node: &Node, key: &str) -> bool {
    node.kind == NodeKind::Load
        && key == "path"
        && node.config.get("format").and_then(Value::as_call).is_some_and(|(_, args)| args.contains_key("path"))
}

/// A model's training config: its settings with defaults, plus what the checker inferred.
fn model_config(model: &Model) -> Config {
    let mut config = model.settings.clone();
    config.insert("architecture".into(), model.architecture.clone());
    config.insert("dataset".into(), Value::Name(model.dataset.clone()));
    // The resolved loss replaces a `loss = auto` setting.
    config.insert("loss".into(), Value::Name(model.loss.clone()));
    config.insert("outputs".into(), Value::Int(model.outputs as i64));
    config.insert("input_shape".into(), ints(&model.input_shape));
    if !model.layers.is_empty() {
        let layers = model
            .layers
            .iter()
            .map(|l| {
                let args = Config::from([
                    ("layer".to_string(), l.layer.clone()),
                    ("input".to_string(), ints(&l.input_shape)),
                    ("output".to_string(), ints(&l.output_shape)),
                ]);
                Value::Call { call: "layer".into(), args }
            })
            .collect();
        config.insert("layers".into(), Value::List(layers));
    }
    config
}

/// `maximize(metric: p_at_r, builtin: precision_at(...))`: the builtin is included so that
/// redefining the objective's metric changes the fingerprint.
fn objective_value(program: &Program, objective: &crate::program::Objective) -> Value {
    let mut args = Config::from([("metric".to_string(), Value::Name(objective.metric.clone()))]);
    if let Some(metric) = program.metrics.iter().find(|m| m.name == objective.metric) {
        args.insert("builtin".into(), metric.builtin.clone());
    }
    Value::Call { call: objective.direction.as_str().into(), args }
}

/// Trials per round, when the strategy fixes it: `trials` of random and Bayesian search, the
/// number of combinations of a grid over finite distributions. `None` for a grid over a
/// continuous range (the checker rejects it) or a strategy the plan does not know.
fn trial_count(search: &Search) -> Option<i64> {
    let strategy = search.settings.get("strategy")?;
    let (name, args) = match strategy {
        Value::Call { call, args } => (call.as_str(), Some(args)),
        Value::Name(name) => (name.as_str(), None),
        _ => return None,
    };
    match name {
        "grid" => search.space.values().try_fold(1i64, |total, d| total.checked_mul(grid_size(d)?)),
        _ => match args?.get("trials")? {
            Value::Int(n) => Some(*n),
            _ => None,
        },
    }
}

/// How many values a grid takes from one distribution.
fn grid_size(distribution: &Value) -> Option<i64> {
    let (call, args) = distribution.as_call()?;
    match call {
        // `choice(values: [...])`, or the options as positional arguments.
        "choice" => match args.get("values") {
            Some(Value::List(values)) => Some(values.len() as i64),
            _ => Some(args.len() as i64),
        },
        "int_range" => {
            let int = |key: &str| match args.get(key) {
                Some(Value::Int(i)) => Some(*i),
                _ => None,
            };
            let (low, high, step) = (int("low")?, int("high")?, int("step").unwrap_or(1));
            (step > 0 && high >= low).then(|| (high - low) / step + 1)
        }
        _ => None,
    }
}

/// A column and its full type (every category level), so a schema change shows in the
/// fingerprint even where `ColumnType`'s display abbreviates.
fn column_value(column: &crate::types::Column) -> Value {
    let ty = match &column.ty {
        ColumnType::Category { levels } => Value::Call {
            call: "category".into(),
            args: Config::from([(
                "levels".to_string(),
                Value::List(levels.iter().map(|l| Value::String(l.clone())).collect()),
            )]),
        },
        ColumnType::Image { channels, height, width } => Value::Call {
            call: "image".into(),
            args: Config::from([
                ("channels".to_string(), Value::Int(*channels as i64)),
                ("height".to_string(), Value::Int(*height as i64)),
                ("width".to_string(), Value::Int(*width as i64)),
            ]),
        },
        ColumnType::Sequence { length, features } => Value::Call {
            call: "sequence".into(),
            args: Config::from([
                ("length".to_string(), Value::Int(*length as i64)),
                ("features".to_string(), Value::Int(*features as i64)),
            ]),
        },
        other => Value::Name(other.keyword().into()),
    };
    let args = Config::from([
        ("name".to_string(), Value::Name(column.name.clone())),
        ("type".to_string(), ty),
        ("nullable".to_string(), Value::Bool(column.nullable)),
    ]);
    Value::Call { call: "column".into(), args }
}

fn check_value(check: &GateCheck) -> Value {
    let (call, args) = match check {
        GateCheck::Threshold { model, metric, split, op, bound } => (
            "threshold",
            Config::from([
                ("model".to_string(), Value::Name(model.clone())),
                ("metric".to_string(), Value::Name(metric.clone())),
                ("split".to_string(), Value::Name(split.clone())),
                ("op".to_string(), Value::String(op.clone())),
                ("bound".to_string(), Value::Float(*bound)),
            ]),
        ),
        GateCheck::Beats { model, baseline, metric, margin, relative } => (
            "beats",
            Config::from([
                ("model".to_string(), Value::Name(model.clone())),
                ("baseline".to_string(), Value::Name(baseline.clone())),
                ("metric".to_string(), Value::Name(metric.clone())),
                ("margin".to_string(), Value::Float(*margin)),
                ("relative".to_string(), Value::Bool(*relative)),
            ]),
        ),
    };
    Value::Call { call: call.into(), args }
}

fn rule_value(rule: &MonitorRule) -> Value {
    let mut args = Config::from([
        ("subject".to_string(), rule.subject.clone()),
        ("op".to_string(), Value::String(rule.op.clone())),
        ("threshold".to_string(), Value::Float(rule.threshold)),
        ("action".to_string(), Value::Name(rule.action.clone())),
    ]);
    if let Some((count, unit)) = &rule.window {
        args.insert("window".into(), Value::List(vec![Value::Int(*count), Value::Name(unit.clone())]));
    }
    Value::Call { call: rule.watch.clone(), args }
}

fn names<S: AsRef<str>>(items: &[S]) -> Value {
    Value::List(items.iter().map(|s| Value::Name(s.as_ref().to_string())).collect())
}

fn ints(items: &[usize]) -> Value {
    Value::List(items.iter().map(|&i| Value::Int(i as i64)).collect())
}
