//! Lowering checked programs to the execution plan: which nodes and edges a program yields, that
//! the order respects them, and that fingerprints move exactly with the settings they cover.

use mlp_compiler::Span;
use mlp_compiler::ast::{BinOp, Direction, Expr, ExprKind};
use mlp_compiler::plan::{Edge, NodeConfig, NodeKind, Plan, lower};
use mlp_compiler::program::{
    Action, Activation, Architecture, Auth, Baseline, BaselineKind, BaselineSettings, Bound, BoundOp, BoundedMetric,
    Comparison, Dataset, DatasetSettings, Delimiter, Deploy, DeploySettings, Device, Distribution, Encoding,
    Expression, Feature, Format, Gate, GateCheck, Init, InputKind, Loss, Metric, MetricKind, Missing, Model,
    ModelSettings, Monitor, MonitorRule, MonitorSettings, NetworkSpec, Normalizer, Objective, Optimizer, Pipeline,
    PipelineSettings, Precision, Program, Refinement, Sampling, Search, SearchSettings, Seed, Source, SourceSettings,
    Split, Statistic, Stopping, Strategy, Target, Value, Watch, Window,
};
use mlp_compiler::types::{Column, ColumnType, Schema, Task};
use std::collections::{BTreeMap, BTreeSet};

fn column(n: &str, ty: ColumnType) -> Column {
    Column { name: n.into(), ty, nullable: false }
}

fn expr(kind: ExprKind) -> Expr {
    Expr { kind, span: Span::default() }
}

/// `mean_area / mean_perimeter`
fn ratio_expr() -> Expr {
    expr(ExprKind::Binary {
        op: BinOp::Div,
        op_span: Span::default(),
        lhs: Box::new(expr(ExprKind::Name("mean_area".into()))),
        rhs: Box::new(expr(ExprKind::Name("mean_perimeter".into()))),
    })
}

fn diagnosis() -> ColumnType {
    ColumnType::Category { levels: vec!["benign".into(), "malignant".into()] }
}

fn mlp_settings() -> ModelSettings {
    ModelSettings {
        data: None,
        epochs: 50,
        batch: 32,
        dropout: 0.1,
        optimizer: Optimizer::Adam { lr: 3e-4, beta1: 0.9, beta2: 0.999 },
        early_stop: Stopping::Never,
        l1: 0.0,
        l2: 0.0,
        batch_norm: false,
        loss: Loss::Auto,
        seed: 0,
        device: Device::Auto,
        precision: Precision::F32,
    }
}

/// One source, one dataset, one feature, two baselines, a searched MLP, a gate, two deploys of
/// the MLP and a monitor: every node kind, as the checker would hand it over.
fn breast_cancer() -> Program {
    let columns = vec![
        column("mean_radius", ColumnType::Float),
        column("mean_area", ColumnType::Float),
        column("mean_perimeter", ColumnType::Float),
        column("diagnosis", diagnosis()),
    ];
    let mut dataset_columns = columns.clone();
    dataset_columns.push(column("area_ratio", ColumnType::Float));
    let architecture = Architecture::Mlp { hidden: vec![64], activation: Activation::Relu, init: Init::Auto };
    let network = NetworkSpec::of(&architecture, None, 0.1, false, &[4], 1).expect("an mlp always shapes");
    let deploy_settings = DeploySettings {
        port: 8080,
        host: "127.0.0.1".into(),
        max_batch: 64,
        max_wait: 1,
        timeout: 10_000,
        max_body: 10_485_760,
        max_rows: 10_000,
        auth: Some(Auth::Token { env: "MLPC_TOKEN".into() }),
        input: None,
        output: None,
        path: None,
    };
    Program {
        pipeline: Pipeline {
            name: "breast_cancer".into(),
            settings: PipelineSettings {
                seed: Seed(42),
                device: Device::Auto,
                precision: Precision::F32,
                max_parameters: 1_000_000_000,
                max_memory: 16.0,
                max_trials: 10_000,
            },
        },
        sources: vec![Source {
            name: "tumors".into(),
            format: Format::Csv { path: "data/breast_cancer.csv".into(), delimiter: Delimiter(b',') },
            path: "data/breast_cancer.csv".into(),
            labels: None,
            schema: Schema { columns, inferred: true },
            settings: SourceSettings {
                label: Some("diagnosis".into()),
                positive: Some("malignant".into()),
                exclude: vec![],
            },
        }],
        datasets: vec![Dataset {
            name: "cells".into(),
            source: "tumors".into(),
            schema: Schema { columns: dataset_columns, inferred: true },
            label: "diagnosis".into(),
            label_type: diagnosis(),
            task: Task::Binary,
            positive: Some("malignant".into()),
            inputs: vec!["mean_radius".into(), "mean_area".into(), "mean_perimeter".into(), "area_ratio".into()],
            input_width: 4,
            settings: DatasetSettings {
                label: Some("diagnosis".into()),
                positive: Some("malignant".into()),
                exclude: vec![],
                split: Split::Stratified { train: 0.7, val: 0.15, test: 0.15 },
                normalize: Normalizer::Zscore,
                encode: Encoding::Onehot,
                missing: Missing::Drop,
                sample: Sampling::All,
                augment: vec![],
                window: None,
                tokenize: None,
            },
        }],
        features: vec![Feature {
            name: "area_ratio".into(),
            expression: Expression::new(ratio_expr()),
            ty: ColumnType::Float,
            reads: vec!["mean_area".into(), "mean_perimeter".into()],
        }],
        metrics: vec![
            Metric { name: "accuracy".into(), kind: MetricKind::Accuracy, direction: Direction::Maximize },
            Metric {
                name: "p_at_r".into(),
                kind: MetricKind::PrecisionAt {
                    bound: Bound { metric: BoundedMetric::Recall, op: BoundOp::AtLeast, value: 0.6 },
                },
                direction: Direction::Maximize,
            },
        ],
        objective: Some(Objective { metric: "p_at_r".into(), direction: Direction::Maximize }),
        baselines: vec![
            Baseline {
                name: "majority".into(),
                dataset: "cells".into(),
                kind: BaselineKind::MajorityClass,
                settings: BaselineSettings { data: None, threshold: 0.5 },
            },
            Baseline {
                name: "size_rule".into(),
                dataset: "cells".into(),
                kind: BaselineKind::Rule {
                    when: Expression::new(expr(ExprKind::Binary {
                        op: BinOp::Gt,
                        op_span: Span::default(),
                        lhs: Box::new(expr(ExprKind::Name("mean_radius".into()))),
                        rhs: Box::new(expr(ExprKind::Number {
                            text: "15".into(),
                            value: 15.0,
                            is_int: true,
                            percent: false,
                        })),
                    })),
                },
                settings: BaselineSettings { data: None, threshold: 0.5 },
            },
        ],
        models: vec![Model {
            name: "mlp".into(),
            dataset: "cells".into(),
            architecture,
            settings: mlp_settings(),
            input: InputKind::Tabular,
            layers: None,
            network,
            loss: Loss::Bce,
        }],
        searches: vec![Search {
            model: "mlp".into(),
            settings: SearchSettings { strategy: Strategy::Bayesian { trials: 30 }, refine: Refinement::None },
            space: [
                ("lr".to_string(), Distribution::Loguniform { low: 1e-4, high: 1e-2 }),
                ("epochs".to_string(), Distribution::IntRange { low: 10, high: 50, step: 1 }),
            ]
            .into(),
        }],
        gates: vec![Gate {
            name: "release".into(),
            checks: vec![
                GateCheck::Threshold {
                    model: "mlp".into(),
                    metric: "p_at_r".into(),
                    split: "test".into(),
                    op: Comparison::Ge,
                    bound: 0.9,
                },
                GateCheck::Beats {
                    model: "mlp".into(),
                    baseline: "size_rule".into(),
                    metric: "p_at_r".into(),
                    margin: 0.02,
                    relative: false,
                },
            ],
        }],
        deploys: vec![
            Deploy {
                name: "api".into(),
                target: Target::Http { model: "mlp".into() },
                settings: deploy_settings.clone(),
            },
            Deploy {
                name: "daily".into(),
                target: Target::Batch { model: "mlp".into() },
                settings: DeploySettings { output: Some("predictions/".into()), ..deploy_settings },
            },
        ],
        monitors: vec![Monitor {
            deploy: "api".into(),
            settings: MonitorSettings::declared_defaults(),
            rules: vec![
                MonitorRule {
                    watch: Watch::Drift { statistic: Statistic::Psi { column: "all".into() } },
                    op: Comparison::Gt,
                    threshold: 0.2,
                    window: None,
                    action: Action::Warn,
                },
                MonitorRule {
                    watch: Watch::Metric { metric: "p_at_r".into() },
                    op: Comparison::Lt,
                    threshold: 0.85,
                    window: Some(Window { count: 500, unit: "labelled".into() }),
                    action: Action::Alert { url: String::new(), env: "MLPC_ALERT_URL".into() },
                },
            ],
        }],
    }
}

/// Source → dataset → one model with a gate and a deploy: small enough to read as a snapshot.
fn small() -> Program {
    let mut p = breast_cancer();
    p.features.clear();
    p.baselines.truncate(1);
    p.searches.clear();
    p.gates[0].checks = vec![GateCheck::Beats {
        model: "mlp".into(),
        baseline: "majority".into(),
        metric: "p_at_r".into(),
        margin: 0.05,
        relative: true,
    }];
    p.deploys.truncate(1);
    p.monitors.clear();
    p
}

/// The configuration a node executes, as a value (what its fingerprint hashes).
fn config(plan: &Plan, id: &str) -> Value {
    plan.node(id).unwrap_or_else(|| panic!("no node {id}")).config.to_value()
}

/// One field of a node's configuration.
fn field(plan: &Plan, id: &str, key: &str) -> Value {
    match config(plan, id) {
        Value::Call { args, .. } => args.get(key).cloned().unwrap_or_else(|| panic!("{id} has no `{key}`")),
        other => panic!("{id}: {other:?}"),
    }
}

fn ids(plan: &Plan) -> BTreeSet<String> {
    plan.nodes().map(|n| n.id.to_string()).collect()
}

fn edge_set(plan: &Plan) -> BTreeSet<(String, String)> {
    plan.edges().into_iter().map(|(a, b, _)| (a.to_string(), b.to_string())).collect()
}

fn fingerprints(plan: &Plan) -> BTreeMap<String, String> {
    plan.nodes().map(|n| (n.id.to_string(), n.fingerprint.clone())).collect()
}

/// Ids whose fingerprint differs between two plans of the same shape.
fn changed(a: &Plan, b: &Plan) -> BTreeSet<String> {
    let (fa, fb) = (fingerprints(a), fingerprints(b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>(), "same nodes");
    fa.iter().filter(|(id, f)| fb[*id] != **f).map(|(id, _)| id.clone()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_definition_lowers_to_its_nodes() {
    let plan = lower(&breast_cancer());
    assert_eq!(
        ids(&plan),
        set(&[
            "load:tumors",
            "validate:tumors",
            "derive:cells",
            "split:cells",
            "fit_transform:cells",
            "train_baseline:majority",
            "evaluate:majority",
            "train_baseline:size_rule",
            "evaluate:size_rule",
            "search_trial:mlp",
            "train_model:mlp",
            "evaluate:mlp",
            "gate:release",
            "export:mlp",
            "deploy:api",
            "deploy:daily",
            "monitor:api",
        ])
    );
    assert_eq!(plan.len(), 17);
    let kinds: BTreeSet<NodeKind> = plan.nodes().map(|n| n.kind).collect();
    assert_eq!(kinds, NodeKind::ALL.into_iter().collect(), "the program exercises every kind");
    let train = plan.node("train_model:mlp").unwrap();
    assert_eq!((train.kind, train.name.as_str()), (NodeKind::TrainModel, "mlp"));
    assert!(plan.node("train_model:nope").is_none());
}

#[test]
fn edges_follow_the_lowering_rules() {
    let plan = lower(&breast_cancer());
    let edges: BTreeSet<(&str, &str, Edge)> = plan.edges().into_iter().collect();
    let expected: BTreeSet<(&str, &str, Edge)> = [
        ("load:tumors", "validate:tumors", Edge::Rows),
        ("validate:tumors", "derive:cells", Edge::Rows),
        ("derive:cells", "split:cells", Edge::Rows),
        ("split:cells", "fit_transform:cells", Edge::Splits),
        ("fit_transform:cells", "train_baseline:majority", Edge::Prepared),
        ("fit_transform:cells", "evaluate:majority", Edge::Prepared),
        ("train_baseline:majority", "evaluate:majority", Edge::Model),
        ("fit_transform:cells", "train_baseline:size_rule", Edge::Prepared),
        ("fit_transform:cells", "evaluate:size_rule", Edge::Prepared),
        ("train_baseline:size_rule", "evaluate:size_rule", Edge::Model),
        ("fit_transform:cells", "search_trial:mlp", Edge::Prepared),
        ("search_trial:mlp", "train_model:mlp", Edge::Params),
        ("fit_transform:cells", "train_model:mlp", Edge::Prepared),
        ("train_model:mlp", "evaluate:mlp", Edge::Model),
        ("fit_transform:cells", "evaluate:mlp", Edge::Prepared),
        // The gate names mlp and size_rule, not majority.
        ("evaluate:mlp", "gate:release", Edge::Scores),
        ("evaluate:size_rule", "gate:release", Edge::Scores),
        ("train_model:mlp", "export:mlp", Edge::Model),
        ("fit_transform:cells", "export:mlp", Edge::Prepared),
        ("gate:release", "export:mlp", Edge::Verdict),
        // Both deploys of mlp ship the one export.
        ("export:mlp", "deploy:api", Edge::Bundle),
        ("export:mlp", "deploy:daily", Edge::Bundle),
        ("deploy:api", "monitor:api", Edge::Endpoint),
    ]
    .into_iter()
    .collect();
    assert_eq!(edges, expected);
    let inputs: Vec<&str> = plan.inputs("export:mlp").iter().map(|n| n.id.as_str()).collect();
    assert_eq!(inputs, ["fit_transform:cells", "gate:release", "train_model:mlp"]);
    let outputs: Vec<&str> = plan.outputs("export:mlp").iter().map(|n| n.id.as_str()).collect();
    assert_eq!(outputs, ["deploy:api", "deploy:daily"]);
}

#[test]
fn without_features_split_reads_validated_rows() {
    let plan = lower(&small());
    assert!(plan.nodes().all(|n| n.kind != NodeKind::Derive));
    assert!(edge_set(&plan).contains(&("validate:tumors".into(), "split:cells".into())));
    // Without a search the final fit reads only the prepared data.
    let inputs: Vec<&str> = plan.inputs("train_model:mlp").iter().map(|n| n.id.as_str()).collect();
    assert_eq!(inputs, ["fit_transform:cells"]);
    assert_eq!(field(&plan, "train_model:mlp", "tuned"), Value::List(vec![]), "nothing is tuned");
}

#[test]
fn export_waits_for_every_gate() {
    let mut p = breast_cancer();
    p.gates.push(Gate {
        name: "sanity".into(),
        checks: vec![GateCheck::Threshold {
            model: "majority".into(),
            metric: "accuracy".into(),
            split: "val".into(),
            op: Comparison::Gt,
            bound: 0.5,
        }],
    });
    let plan = lower(&p);
    let edges = edge_set(&plan);
    assert!(edges.contains(&("evaluate:majority".into(), "gate:sanity".into())));
    // The gate on the baseline alone still holds back the model's release.
    assert!(edges.contains(&("gate:sanity".into(), "export:mlp".into())));
    assert!(edges.contains(&("gate:release".into(), "export:mlp".into())));
    assert_eq!(
        field(&plan, "export:mlp", "gates"),
        Value::List(vec![Value::String("release".into()), Value::String("sanity".into())])
    );
}

#[test]
fn topological_order_puts_every_node_after_its_inputs() {
    for program in [breast_cancer(), small()] {
        let plan = lower(&program);
        let order = plan.topological_order().expect("a lowered plan is acyclic");
        assert_eq!(order.len(), plan.len());
        let position: BTreeMap<&str, usize> = order.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        for (from, to, _) in plan.edges() {
            assert!(position[from] < position[to], "{from} must run before {to}");
        }
    }
}

#[test]
fn topological_order_breaks_ties_by_id() {
    let plan = lower(&breast_cancer());
    let order: Vec<&str> = plan.topological_order().unwrap().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        order,
        [
            "load:tumors",
            "validate:tumors",
            "derive:cells",
            "split:cells",
            "fit_transform:cells",
            "search_trial:mlp",
            "train_baseline:majority",
            "evaluate:majority",
            "train_baseline:size_rule",
            "evaluate:size_rule",
            "train_model:mlp",
            "evaluate:mlp",
            "gate:release",
            "export:mlp",
            "deploy:api",
            "deploy:daily",
            "monitor:api",
        ]
    );
}

#[test]
fn reordering_definitions_changes_no_view() {
    let p = breast_cancer();
    let mut reordered = p.clone();
    reordered.baselines.reverse();
    reordered.deploys.reverse();
    let (a, b) = (lower(&p), lower(&reordered));
    assert_eq!(a.to_json_view(), b.to_json_view());
    assert_eq!(a.to_dot(), b.to_dot());
    assert_eq!(a.to_mermaid(), b.to_mermaid());
}

#[test]
fn fingerprints_are_stable_and_distinct() {
    let (a, b) = (lower(&breast_cancer()), lower(&breast_cancer()));
    assert_eq!(fingerprints(&a), fingerprints(&b));
    let all: BTreeSet<&str> = a.nodes().map(|n| n.fingerprint.as_str()).collect();
    assert_eq!(all.len(), a.len(), "no two nodes share a fingerprint");
    for node in a.nodes() {
        assert_eq!(node.fingerprint.len(), 16);
        assert!(node.fingerprint.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}

#[test]
fn a_model_setting_changes_only_what_depends_on_the_model() {
    let p = breast_cancer();
    let mut q = p.clone();
    q.models[0].settings.epochs = 80;
    assert_eq!(
        changed(&lower(&p), &lower(&q)),
        set(&[
            // Every trial trains the model with its settings.
            "search_trial:mlp",
            "train_model:mlp",
            "evaluate:mlp",
            "gate:release",
            "export:mlp",
            "deploy:api",
            "deploy:daily",
            "monitor:api",
        ])
    );
}

#[test]
fn a_model_setting_without_search_or_deploy_reaches_the_gate() {
    let mut p = small();
    p.deploys.clear();
    let mut q = p.clone();
    q.models[0].settings.dropout = 0.3;
    assert_eq!(changed(&lower(&p), &lower(&q)), set(&["train_model:mlp", "evaluate:mlp", "gate:release"]));
}

#[test]
fn dataset_settings_change_the_node_that_uses_them() {
    let p = breast_cancer();
    let downstream_of_fit = [
        "fit_transform:cells",
        "train_baseline:majority",
        "evaluate:majority",
        "train_baseline:size_rule",
        "evaluate:size_rule",
        "search_trial:mlp",
        "train_model:mlp",
        "evaluate:mlp",
        "gate:release",
        "export:mlp",
        "deploy:api",
        "deploy:daily",
        "monitor:api",
    ];

    // Normalization is fitted after the split: the split keeps its fingerprint.
    let mut q = p.clone();
    q.datasets[0].settings.normalize = Normalizer::Minmax;
    assert_eq!(changed(&lower(&p), &lower(&q)), set(&downstream_of_fit));

    // The seed picks the rows of each split: load, validate and derive are unaffected.
    let mut q = p.clone();
    q.pipeline.settings.seed = Seed(7);
    let mut expected = set(&downstream_of_fit);
    expected.insert("split:cells".into());
    assert_eq!(changed(&lower(&p), &lower(&q)), expected);

    // Derived features are computed before the split.
    let mut q = p.clone();
    let ExprKind::Binary { op, .. } = &mut q.features[0].expression.expr.kind else { unreachable!() };
    *op = BinOp::Mul;
    q.features[0].expression = Expression::new(q.features[0].expression.expr.clone());
    expected.insert("derive:cells".into());
    assert_eq!(changed(&lower(&p), &lower(&q)), expected);
}

#[test]
fn source_changes_reach_everything_and_deploy_changes_nothing_upstream() {
    let p = breast_cancer();
    let mut q = p.clone();
    q.sources[0].path = "data/other.csv".into();
    q.sources[0].format = Format::Csv { path: "data/other.csv".into(), delimiter: Delimiter(b',') };
    assert_eq!(changed(&lower(&p), &lower(&q)), ids(&lower(&p)));

    // The same spec in another checkout: the resolved path moves, the written one does not.
    let mut q = p.clone();
    q.sources[0].path = "/elsewhere/data/breast_cancer.csv".into();
    assert_eq!(changed(&lower(&p), &lower(&q)), set(&[]));
    let plan = lower(&q);
    let NodeConfig::Load(load) = &plan.node("load:tumors").unwrap().config else { panic!("a load step") };
    let resolved = std::path::PathBuf::from("/elsewhere/data/breast_cancer.csv");
    assert_eq!(load.path, resolved, "the runtime still reads the resolved path");

    // A delimiter is part of what the spec says about the file.
    let mut q = p.clone();
    q.sources[0].format = Format::Csv { path: "data/breast_cancer.csv".into(), delimiter: Delimiter(b';') };
    assert_eq!(changed(&lower(&p), &lower(&q)), ids(&lower(&p)));

    let mut q = p.clone();
    q.deploys[0].settings.port = 9090;
    assert_eq!(changed(&lower(&p), &lower(&q)), set(&["deploy:api", "monitor:api"]));

    let mut q = p.clone();
    q.monitors[0].rules[0].threshold = 0.25;
    assert_eq!(changed(&lower(&p), &lower(&q)), set(&["monitor:api"]));
}

#[test]
fn a_gate_check_changes_the_gate_and_the_release_only() {
    let p = breast_cancer();
    let mut q = p.clone();
    if let GateCheck::Threshold { bound, .. } = &mut q.gates[0].checks[0] {
        *bound = 0.95;
    }
    assert_eq!(
        changed(&lower(&p), &lower(&q)),
        set(&["gate:release", "export:mlp", "deploy:api", "deploy:daily", "monitor:api"])
    );
}

#[test]
fn configs_carry_the_settings_each_step_needs() {
    let plan = lower(&breast_cancer());
    let NodeConfig::Load(load) = &plan.node("load:tumors").unwrap().config else { panic!("a load step") };
    assert_eq!(load.format.path(), "data/breast_cancer.csv");
    assert_eq!(load.format.name(), "csv");
    assert_eq!(load.schema.columns.len(), 4, "the loader types the columns");

    assert_eq!(field(&plan, "validate:tumors", "label"), Value::String("diagnosis".into()));
    let NodeConfig::Validate(validate) = &plan.node("validate:tumors").unwrap().config else { panic!("validate") };
    assert_eq!(validate.schema.columns.len(), 4);
    assert_eq!(
        Value::from_typed(&validate.schema.columns[3]).unwrap().canonical(),
        "Column(name: \"diagnosis\", nullable: false, ty: ColumnType(levels: [\"benign\", \"malignant\"], type: \"category\"))"
    );

    let NodeConfig::Derive(derive) = &plan.node("derive:cells").unwrap().config else { panic!("a derive step") };
    assert_eq!(derive.features.len(), 1);
    assert_eq!(derive.features[0].expression.text, "mean_area / mean_perimeter");

    let NodeConfig::Split(split) = &plan.node("split:cells").unwrap().config else { panic!("a split step") };
    assert_eq!(split.seed, Seed(42));
    assert_eq!(split.split, Split::Stratified { train: 0.7, val: 0.15, test: 0.15 });
    assert_eq!(split.missing, Missing::Drop, "`missing = drop` removes rows, so the split reads it");

    let NodeConfig::FitTransform(fit) = &plan.node("fit_transform:cells").unwrap().config else { panic!("fit") };
    assert_eq!(fit.normalize, Normalizer::Zscore);
    let Value::Call { args, .. } = config(&plan, "fit_transform:cells") else { panic!("a struct") };
    assert!(!args.contains_key("split"), "the split's settings are not refitted");

    let NodeConfig::SearchTrial(search) = &plan.node("search_trial:mlp").unwrap().config else { panic!("a search") };
    assert_eq!(search.search.trials_per_round(), Some(30));
    let watch = search.train.watch.as_ref().expect("trials are ranked by the objective");
    assert_eq!((watch.metric.name.as_str(), watch.direction), ("p_at_r", Direction::Maximize));
    assert_eq!(search.train.model.settings.epochs, 50, "every trial trains the model as the final fit does");

    let NodeConfig::TrainModel(train) = &plan.node("train_model:mlp").unwrap().config else { panic!("training") };
    assert_eq!(train.model.loss, Loss::Bce, "the resolved loss replaces `auto`");
    assert_eq!(train.tuned, ["epochs", "lr"]);
    assert_eq!(train.model.settings.optimizer, Optimizer::Adam { lr: 3e-4, beta1: 0.9, beta2: 0.999 });
    assert_eq!((train.device, train.precision, train.seed), (Device::Auto, Precision::F32, Seed(42)));

    let NodeConfig::Evaluate(evaluate) = &plan.node("evaluate:mlp").unwrap().config else { panic!("evaluate") };
    let names: Vec<&str> = evaluate.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["accuracy", "p_at_r"], "the task's plain metric first, then the program's");

    let NodeConfig::Gate(gate) = &plan.node("gate:release").unwrap().config else { panic!("a gate") };
    assert_eq!(gate.gate.checks.len(), 2);
    assert_eq!(gate.metrics.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["p_at_r"]);

    let NodeConfig::Deploy(deploy) = &plan.node("deploy:api").unwrap().config else { panic!("a deploy step") };
    assert_eq!((deploy.deploy.target.name(), deploy.deploy.settings.port), ("http", 8080));

    let NodeConfig::Monitor(monitor) = &plan.node("monitor:api").unwrap().config else { panic!("a monitor") };
    assert_eq!(monitor.monitor.rules.len(), 2);
    assert_eq!(monitor.monitor.rules[1].window, Some(Window { count: 500, unit: "labelled".into() }));
}

#[test]
fn grid_search_counts_its_combinations() {
    let mut p = breast_cancer();
    p.searches[0].settings.strategy = Strategy::Grid;
    p.searches[0].space = [
        (
            "hidden".to_string(),
            Distribution::Choice {
                values: vec![
                    Value::List(vec![Value::Int(32)]),
                    Value::List(vec![Value::Int(64)]),
                    Value::List(vec![Value::Int(128), Value::Int(64)]),
                ],
            },
        ),
        ("epochs".to_string(), Distribution::IntRange { low: 10, high: 50, step: 10 }),
    ]
    .into();
    let plan = lower(&p);
    let NodeConfig::SearchTrial(search) = &plan.node("search_trial:mlp").unwrap().config else { panic!("a search") };
    assert_eq!(search.search.trials_per_round(), Some(15));

    // A continuous range has no grid size: the count is left to the runtime.
    p.searches[0].space.insert("lr".into(), Distribution::Uniform { low: 0.1, high: 0.2 });
    assert_eq!(p.searches[0].trials_per_round(), None);
}

#[test]
fn json_view_lists_nodes_in_order_with_their_inputs() {
    let plan = lower(&breast_cancer());
    let view = plan.to_json_view();
    let order: Vec<&str> = plan.topological_order().unwrap().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(view.nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), order);
    let gate = view.nodes.iter().find(|n| n.id == "gate:release").unwrap();
    assert_eq!(gate.inputs, ["evaluate:mlp", "evaluate:size_rule"]);
    assert_eq!(gate.kind, NodeKind::Gate);
    assert_eq!(gate.fingerprint, plan.node("gate:release").unwrap().fingerprint);
    let load = view.nodes.iter().find(|n| n.id == "load:tumors").unwrap();
    assert!(load.inputs.is_empty());
}

#[test]
fn references_the_checker_would_reject_lower_without_panicking() {
    let mut p = small();
    p.baselines[0].dataset = "missing".into();
    p.datasets[0].source = "nowhere".into();
    p.deploys[0].target = Target::Http { model: "ghost".into() };
    p.gates[0].checks.push(GateCheck::Threshold {
        model: "ghost".into(),
        metric: "p_at_r".into(),
        split: "test".into(),
        op: Comparison::Gt,
        bound: 0.5,
    });
    // Same name for a model and a baseline: ids stay unique.
    p.baselines[0].name = "mlp".into();
    let plan = lower(&p);
    assert!(plan.node("evaluate:mlp").is_some() && plan.node("evaluate:mlp#2").is_some());
    assert!(plan.inputs("split:cells").is_empty());
    assert!(plan.inputs("train_baseline:mlp").is_empty());
    assert_eq!(plan.topological_order().unwrap().len(), plan.len());
    let sanitized = plan.to_mermaid();
    assert!(sanitized.contains("evaluate_mlp_2"), "{sanitized}");
}

#[test]
fn an_empty_program_is_an_empty_plan() {
    let mut empty = breast_cancer();
    empty.pipeline.name = String::new();
    empty.sources.clear();
    empty.datasets.clear();
    empty.features.clear();
    empty.metrics.clear();
    empty.objective = None;
    empty.baselines.clear();
    empty.models.clear();
    empty.searches.clear();
    empty.gates.clear();
    empty.deploys.clear();
    empty.monitors.clear();
    let plan = lower(&empty);
    assert!(plan.is_empty());
    assert_eq!(plan.to_dot(), "digraph \"plan\" {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=11];\n}\n");
    assert_eq!(plan.to_mermaid(), "flowchart TD\n");
    assert!(plan.to_json_view().nodes.is_empty());
}

#[test]
fn dot_snapshot() {
    insta::assert_snapshot!(lower(&small()).to_dot());
}

#[test]
fn mermaid_snapshot() {
    insta::assert_snapshot!(lower(&small()).to_mermaid());
}

/// Each leaf of `value` changed in turn (numbers moved, booleans flipped, texts altered, lists
/// shortened), with the path to it.
fn mutations(value: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match value {
        Value::Int(i) => out.push((String::new(), Value::Int(i + 1))),
        Value::Float(f) => out.push((String::new(), Value::Float(f * 2.0 + 1.0))),
        Value::Bool(b) => out.push((String::new(), Value::Bool(!b))),
        // A one-character text (a delimiter) stays one character.
        Value::String(s) if s.chars().count() == 1 => out.push((String::new(), Value::String("|".into()))),
        Value::String(s) => out.push((String::new(), Value::String(format!("{s}_")))),
        Value::Name(_) | Value::Expr(_) => {}
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                for (path, changed) in mutations(item) {
                    let mut list = items.clone();
                    list[i] = changed;
                    out.push((format!("[{i}]{path}"), Value::List(list)));
                }
            }
            if !items.is_empty() {
                out.push(("[-1]".into(), Value::List(items[..items.len() - 1].to_vec())));
            }
        }
        Value::Call { call, args } => {
            for (key, arg) in args {
                for (path, changed) in mutations(arg) {
                    let mut args = args.clone();
                    args.insert(key.clone(), changed);
                    out.push((format!(".{key}{path}"), Value::Call { call: call.clone(), args }));
                }
            }
        }
    }
    out
}

/// A node and every node that reads from it, directly or not.
fn downstream(plan: &Plan, id: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::from([id.to_string()]);
    let mut pending = vec![id.to_string()];
    while let Some(next) = pending.pop() {
        for output in plan.outputs(next.as_str()) {
            if found.insert(output.id.to_string()) {
                pending.push(output.id.to_string());
            }
        }
    }
    found
}

/// The fingerprint hashes a node's whole configuration: changing any field of any step (every
/// leaf the step serializes, one at a time) changes that node's fingerprint and those downstream
/// of it, and nothing else. Mutations that give no valid step (a variant tag, a shortened list a
/// type needs whole) are skipped, but every node kind must have most of its leaves exercised.
#[test]
fn every_field_of_every_step_moves_exactly_its_fingerprints() {
    let plan = lower(&breast_cancer());
    let mut exercised: BTreeMap<NodeKind, (usize, usize)> = BTreeMap::new();
    for node in plan.nodes() {
        let value = node.config.to_value();
        let expected = downstream(&plan, node.id.as_str());
        for (path, mutated) in mutations(&value) {
            let counts = exercised.entry(node.kind).or_default();
            counts.1 += 1;
            let Ok(config) = NodeConfig::from_value(node.kind, &mutated) else { continue };
            assert_eq!(config.to_value(), mutated, "{}{path}: the step reads back as it was written", node.id);
            counts.0 += 1;
            let after = plan.with_config(&node.id, config).expect("the node exists");
            assert_eq!(changed(&plan, &after), expected, "changing {}{path}", node.id);
        }
    }
    assert_eq!(exercised.len(), NodeKind::ALL.len(), "every node kind has fields to change: {exercised:?}");
    for (kind, (tried, leaves)) in exercised {
        assert!(tried * 2 >= leaves, "{kind}: only {tried} of {leaves} mutations gave a valid step");
    }
}
