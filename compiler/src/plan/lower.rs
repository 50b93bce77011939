//! Lowering a checked [`Program`] to its [`Plan`]: one node per step of every definition, each
//! with the typed configuration it executes, and edges saying which artifact flows where.

use super::step::*;
use super::{Edge, Node, NodeConfig, NodeId, NodeKind, Plan};
use crate::ast::Direction;
use crate::program::{Dataset, Device, Metric, MetricKind, Model, Precision, Program};
use crate::types::Task;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeSet, HashMap};

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
    by_id: HashMap<NodeId, NodeIndex>,
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
    /// creation order is a topological order, which fingerprinting relies on.
    fn lower(&mut self) {
        let p = self.program;
        for source in &p.sources {
            let load = self.add(NodeKind::Load, &source.name, NodeConfig::Load(LoadStep::of(source)));
            let validate = self.add(
                NodeKind::Validate,
                &source.name,
                NodeConfig::Validate(ValidateStep {
                    source: source.name.clone(),
                    schema: source.schema.clone(),
                    label: source.settings.label.clone(),
                    exclude: source.settings.exclude.clone(),
                }),
            );
            self.connect(Some(load), validate, Edge::Rows);
            self.validated.entry(&source.name).or_insert(validate);
        }

        for dataset in &p.datasets {
            self.lower_dataset(dataset);
        }

        for baseline in &p.baselines {
            let train = self.add(
                NodeKind::TrainBaseline,
                &baseline.name,
                NodeConfig::TrainBaseline(BaselineStep { baseline: baseline.clone() }),
            );
            let prepared = self.prepared.get(baseline.dataset.as_str()).copied();
            self.connect(prepared, train, Edge::Prepared);
            self.evaluate(&baseline.name, Subject::Baseline, &baseline.dataset, train, prepared);
        }

        for model in &p.models {
            self.lower_model(model);
        }

        for gate in &p.gates {
            let named: BTreeSet<&str> = gate
                .checks
                .iter()
                .map(|c| match c {
                    crate::program::GateCheck::Threshold { metric, .. }
                    | crate::program::GateCheck::Beats { metric, .. } => metric.as_str(),
                })
                .collect();
            let metrics = p.metrics.iter().filter(|m| named.contains(m.name.as_str())).cloned().collect();
            let node = self.add(NodeKind::Gate, &gate.name, NodeConfig::Gate(GateStep { gate: gate.clone(), metrics }));
            for check in &gate.checks {
                for name in check.subjects() {
                    let evaluate = self.evaluated.get(name).copied();
                    self.connect(evaluate, node, Edge::Scores);
                }
            }
            self.gates.push(node);
        }

        // One export per deployed model, however many deploys serve it.
        let gate_names: Vec<String> = p.gates.iter().map(|g| g.name.clone()).collect();
        for deploy in &p.deploys {
            let model = deploy.target.model();
            if self.exported.contains_key(model) {
                continue;
            }
            let export = self.add(
                NodeKind::Export,
                model,
                NodeConfig::Export(ExportStep { model: model.to_string(), gates: gate_names.clone() }),
            );
            let trained = self.trained.get(model).copied();
            self.connect(trained, export, Edge::Model);
            let dataset = p.models.iter().find(|m| m.name == model).map(|m| m.dataset.as_str());
            let prepared = dataset.and_then(|d| self.prepared.get(d).copied());
            self.connect(prepared, export, Edge::Prepared);
            for gate in self.gates.clone() {
                self.connect(Some(gate), export, Edge::Verdict);
            }
            self.exported.insert(model, export);
        }

        for deploy in &p.deploys {
            let node =
                self.add(NodeKind::Deploy, &deploy.name, NodeConfig::Deploy(DeployStep { deploy: deploy.clone() }));
            let export = self.exported.get(deploy.target.model()).copied();
            self.connect(export, node, Edge::Bundle);
            self.deployed.entry(&deploy.name).or_insert(node);
        }

        for monitor in &p.monitors {
            let node = self.add(
                NodeKind::Monitor,
                &monitor.deploy,
                NodeConfig::Monitor(MonitorStep { monitor: monitor.clone() }),
            );
            let deploy = self.deployed.get(monitor.deploy.as_str()).copied();
            self.connect(deploy, node, Edge::Endpoint);
        }
    }

    fn lower_dataset(&mut self, dataset: &'p Dataset) {
        let p = self.program;
        let mut upstream = self.validated.get(dataset.source.as_str()).copied();
        // Features are global definitions: the checker adds to a dataset every one whose columns
        // it has. Program order is kept because a feature may read an earlier one.
        let features: Vec<_> = p.features.iter().filter(|f| dataset.schema.get(&f.name).is_some()).cloned().collect();
        if !features.is_empty() {
            let config = NodeConfig::Derive(DeriveStep { dataset: dataset.name.clone(), features });
            let derive = self.add(NodeKind::Derive, &dataset.name, config);
            self.connect(upstream, derive, Edge::Rows);
            upstream = Some(derive);
        }

        // The split claims what chooses rows (windows are formed before the split and split by
        // their target rows, and `missing = drop` removes rows); normalization, encoding, fills
        // and tokens are fitted on the train split afterwards.
        let split = self.add(
            NodeKind::Split,
            &dataset.name,
            NodeConfig::Split(SplitStep::of(dataset, p.pipeline.settings.seed)),
        );
        self.connect(upstream, split, Edge::Rows);

        let fit = self.add(NodeKind::FitTransform, &dataset.name, NodeConfig::FitTransform(FitStep::of(dataset)));
        self.connect(Some(split), fit, Edge::Splits);
        self.prepared.entry(&dataset.name).or_insert(fit);
    }

    fn lower_model(&mut self, model: &'p Model) {
        let p = self.program;
        let prepared = self.prepared.get(model.dataset.as_str()).copied();
        let searches: Vec<_> = p.searches.iter().filter(|s| s.model == model.name).collect();
        let tuned: BTreeSet<&String> = searches.iter().flat_map(|s| s.space.keys()).collect();
        let train = self.train_step(model, tuned.into_iter().cloned().collect());

        let mut trials = Vec::new();
        for search in &searches {
            let config = NodeConfig::SearchTrial(SearchStep { search: (*search).clone(), train: train.clone() });
            let node = self.add(NodeKind::SearchTrial, &model.name, config);
            self.connect(prepared, node, Edge::Prepared);
            trials.push(node);
        }

        let node = self.add(NodeKind::TrainModel, &model.name, NodeConfig::TrainModel(train));
        self.connect(prepared, node, Edge::Prepared);
        for trial in trials {
            self.connect(Some(trial), node, Edge::Params);
        }
        self.trained.entry(&model.name).or_insert(node);
        self.evaluate(&model.name, Subject::Model, &model.dataset, node, prepared);
    }

    /// What training a model reads: the model, its placement (a model's `auto` device and `f32`
    /// precision defer to the pipeline's), the seed, the dataset's augmentation and the objective.
    fn train_step(&self, model: &Model, tuned: Vec<String>) -> TrainStep {
        let p = self.program;
        let pipeline = &p.pipeline.settings;
        let device = match model.settings.device {
            Device::Auto => pipeline.device,
            explicit => explicit,
        };
        let precision = match model.settings.precision {
            Precision::F32 => pipeline.precision,
            explicit => explicit,
        };
        let augment = p.datasets.iter().find(|d| d.name == model.dataset).map(|d| d.settings.augment.clone());
        TrainStep {
            model: model.clone(),
            device,
            precision,
            seed: pipeline.seed,
            augment: augment.unwrap_or_default(),
            watch: p
                .objective_metric()
                .map(|(objective, metric)| Ranking { metric: metric.clone(), direction: objective.direction }),
            tuned,
        }
    }

    fn evaluate(
        &mut self,
        name: &'p str,
        subject: Subject,
        dataset: &str,
        trained: NodeIndex,
        prepared: Option<NodeIndex>,
    ) {
        // Every model is reported with the plain metric of its task (accuracy or R²), then the
        // program's metrics.
        let task = self.program.datasets.iter().find(|d| d.name == dataset).map(|d| d.task);
        let default = match task {
            Some(Task::Regression) => {
                Metric { name: "r2".into(), kind: MetricKind::R2, direction: Direction::Maximize }
            }
            _ => Metric { name: "accuracy".into(), kind: MetricKind::Accuracy, direction: Direction::Maximize },
        };
        let mut metrics = vec![default];
        for metric in &self.program.metrics {
            if !metrics.iter().any(|m| m.name == metric.name) {
                metrics.push(metric.clone());
            }
        }
        let config = NodeConfig::Evaluate(EvaluateStep {
            name: name.to_string(),
            subject,
            dataset: dataset.to_string(),
            metrics,
        });
        let node = self.add(NodeKind::Evaluate, name, config);
        self.connect(Some(trained), node, Edge::Model);
        self.connect(prepared, node, Edge::Prepared);
        self.evaluated.entry(name).or_insert(node);
    }

    /// Adds a node with id `kind:name`. A checked program has unique names, so the copy number
    /// only keeps ids unique for programs the checker would reject (e.g. a model and a baseline
    /// with the same name, both evaluated).
    fn add(&mut self, kind: NodeKind, name: &str, config: NodeConfig) -> NodeIndex {
        let mut id = NodeId::new(kind, name);
        let mut copy = 2;
        while self.by_id.contains_key(&id) {
            id = NodeId::copy(kind, name, copy);
            copy += 1;
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

    fn finish(self) -> Plan {
        let mut plan = Plan { pipeline: self.program.pipeline.name.clone(), graph: self.graph, by_id: self.by_id };
        plan.fingerprint_all();
        plan
    }
}
