//! Lowering checked programs to the execution plan: which nodes and edges a program yields, that
//! the order respects them, and that fingerprints move exactly with the settings they cover.

use mlp_compiler::Span;
use mlp_compiler::ast::{BinOp, Direction, Expr, ExprKind};
use mlp_compiler::plan::{Edge, NodeKind, Plan, lower};
use mlp_compiler::program::{
    Baseline, Config, Dataset, Deploy, Feature, Gate, GateCheck, Metric, Model, Monitor, MonitorRule, Objective,
    Pipeline, Program, Search, Source, Value,
};
use mlp_compiler::types::{Column, ColumnType, Schema, Task};
use std::collections::{BTreeMap, BTreeSet};

fn name(n: &str) -> Value {
    Value::Name(n.into())
}

fn call(callee: &str, args: &[(&str, Value)]) -> Value {
    Value::Call { call: callee.into(), args: args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect() }
}

fn config(entries: &[(&str, Value)]) -> Config {
    entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

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
    Program {
        pipeline: Pipeline {
            name: "breast_cancer".into(),
            settings: config(&[("seed", Value::Int(42)), ("device", name("auto"))]),
        },
        sources: vec![Source {
            name: "tumors".into(),
            format: call("csv", &[("path", Value::String("data/breast_cancer.csv".into()))]),
            path: "data/breast_cancer.csv".into(),
            schema: Schema { columns, inferred: true },
            settings: config(&[("label", name("diagnosis")), ("positive", name("malignant"))]),
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
            settings: config(&[
                (
                    "split",
                    call(
                        "stratified",
                        &[("train", Value::Float(0.7)), ("val", Value::Float(0.15)), ("test", Value::Float(0.15))],
                    ),
                ),
                ("normalize", call("zscore", &[])),
                ("encode", call("onehot", &[])),
                ("missing", call("drop", &[])),
                ("sample", call("all", &[])),
            ]),
        }],
        features: vec![Feature {
            name: "area_ratio".into(),
            expr: ratio_expr(),
            text: "mean_area / mean_perimeter".into(),
            ty: ColumnType::Float,
            reads: vec!["mean_area".into(), "mean_perimeter".into()],
        }],
        metrics: vec![
            Metric { name: "accuracy".into(), builtin: call("accuracy", &[]), direction: Direction::Maximize },
            Metric {
                name: "p_at_r".into(),
                builtin: call("precision_at", &[("bound", Value::Expr("recall >= 0.6".into()))]),
                direction: Direction::Maximize,
            },
        ],
        objective: Some(Objective { metric: "p_at_r".into(), direction: Direction::Maximize }),
        baselines: vec![
            Baseline {
                name: "majority".into(),
                dataset: "cells".into(),
                kind: call("majority_class", &[]),
                settings: config(&[("threshold", Value::Float(0.5))]),
                rule: None,
            },
            Baseline {
                name: "size_rule".into(),
                dataset: "cells".into(),
                kind: call("rule", &[("when", Value::Expr("mean_radius > 15".into()))]),
                settings: config(&[("threshold", Value::Float(0.5))]),
                rule: None,
            },
        ],
        models: vec![Model {
            name: "mlp".into(),
            dataset: "cells".into(),
            architecture: call("mlp", &[("hidden", Value::List(vec![Value::Int(64)])), ("activation", name("relu"))]),
            settings: config(&[
                ("epochs", Value::Int(50)),
                ("batch", Value::Int(32)),
                ("dropout", Value::Float(0.1)),
                ("optimizer", call("adam", &[("lr", Value::Float(3e-4))])),
                ("loss", name("auto")),
            ]),
            layers: vec![],
            input_shape: vec![4],
            outputs: 1,
            loss: "binary_cross_entropy".into(),
        }],
        searches: vec![Search {
            model: "mlp".into(),
            settings: config(&[
                ("strategy", call("bayesian", &[("trials", Value::Int(30))])),
                ("refine", call("none", &[])),
            ]),
            space: [
                ("lr".to_string(), call("loguniform", &[("low", Value::Float(1e-4)), ("high", Value::Float(1e-2))])),
                ("epochs".to_string(), call("int_range", &[("low", Value::Int(10)), ("high", Value::Int(50))])),
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
                    op: ">=".into(),
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
                target: "http".into(),
                model: "mlp".into(),
                settings: config(&[("port", Value::Int(8080)), ("host", Value::String("127.0.0.1".into()))]),
            },
            Deploy {
                name: "daily".into(),
                target: "batch".into(),
                model: "mlp".into(),
                settings: config(&[("output", Value::String("predictions/".into()))]),
            },
        ],
        monitors: vec![Monitor {
            deploy: "api".into(),
            rules: vec![
                MonitorRule {
                    watch: "drift".into(),
                    subject: name("psi"),
                    op: ">".into(),
                    threshold: 0.2,
                    window: None,
                    action: "warn".into(),
                },
                MonitorRule {
                    watch: "metric".into(),
                    subject: name("p_at_r"),
                    op: "<".into(),
                    threshold: 0.85,
                    window: Some((500, "labelled".into())),
                    action: "alert".into(),
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

fn ids(plan: &Plan) -> BTreeSet<String> {
    plan.nodes().map(|n| n.id.clone()).collect()
}

fn edge_set(plan: &Plan) -> BTreeSet<(String, String)> {
    plan.edges().into_iter().map(|(a, b, _)| (a.to_string(), b.to_string())).collect()
}

fn fingerprints(plan: &Plan) -> BTreeMap<String, String> {
    plan.nodes().map(|n| (n.id.clone(), n.fingerprint.clone())).collect()
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
    assert!(!plan.node("train_model:mlp").unwrap().config.contains_key("tuned"));
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
            op: ">".into(),
            bound: 0.5,
        }],
    });
    let plan = lower(&p);
    let edges = edge_set(&plan);
    assert!(edges.contains(&("evaluate:majority".into(), "gate:sanity".into())));
    // The gate on the baseline alone still holds back the model's release.
    assert!(edges.contains(&("gate:sanity".into(), "export:mlp".into())));
    assert!(edges.contains(&("gate:release".into(), "export:mlp".into())));
    assert_eq!(plan.node("export:mlp").unwrap().config["gates"], Value::List(vec![name("release"), name("sanity")]));
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
    q.models[0].settings.insert("epochs".into(), Value::Int(80));
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
    q.models[0].settings.insert("dropout".into(), Value::Float(0.3));
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
    q.datasets[0].settings.insert("normalize".into(), call("minmax", &[]));
    assert_eq!(changed(&lower(&p), &lower(&q)), set(&downstream_of_fit));

    // The seed picks the rows of each split: load, validate and derive are unaffected.
    let mut q = p.clone();
    q.pipeline.settings.insert("seed".into(), Value::Int(7));
    let mut expected = set(&downstream_of_fit);
    expected.insert("split:cells".into());
    assert_eq!(changed(&lower(&p), &lower(&q)), expected);

    // Derived features are computed before the split.
    let mut q = p.clone();
    q.features[0].text = "mean_area * mean_perimeter".into();
    expected.insert("derive:cells".into());
    assert_eq!(changed(&lower(&p), &lower(&q)), expected);
}

#[test]
fn source_changes_reach_everything_and_deploy_changes_nothing_upstream() {
    let p = breast_cancer();
    let mut q = p.clone();
    q.sources[0].path = "data/other.csv".into();
    q.sources[0].format = call("csv", &[("path", Value::String("data/other.csv".into()))]);
    assert_eq!(changed(&lower(&p), &lower(&q)), ids(&lower(&p)));

    // The same spec in another checkout: the resolved path moves, the written one does not.
    let mut q = p.clone();
    q.sources[0].path = "/elsewhere/data/breast_cancer.csv".into();
    assert_eq!(changed(&lower(&p), &lower(&q)), set(&[]));
    assert_eq!(
        lower(&q).node("load:tumors").unwrap().config["path"],
        Value::String("/elsewhere/data/breast_cancer.csv".into()),
        "the runtime still reads the resolved path"
    );

    // Without a written path in the format, the resolved one is all there is: it is hashed.
    let mut p = p.clone();
    p.sources[0].format = call("parquet", &[]);
    let mut q = p.clone();
    q.sources[0].path = "data/other.parquet".into();
    assert_eq!(changed(&lower(&p), &lower(&q)), ids(&lower(&p)));

    let mut q = p.clone();
    q.deploys[0].settings.insert("port".into(), Value::Int(9090));
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
    let load = &plan.node("load:tumors").unwrap().config;
    assert_eq!(load["path"], Value::String("data/breast_cancer.csv".into()));
    assert_eq!(load["format"].as_call().unwrap().0, "csv");

    let validate = &plan.node("validate:tumors").unwrap().config;
    assert_eq!(validate["label"], name("diagnosis"));
    let Value::List(columns) = &validate["columns"] else { panic!("columns is a list") };
    assert_eq!(columns.len(), 4);
    assert_eq!(
        columns[3].canonical(),
        "column(name: diagnosis, nullable: false, type: category(levels: [\"benign\", \"malignant\"]))"
    );

    let derive = &plan.node("derive:cells").unwrap().config;
    assert_eq!(derive["features"], Value::List(vec![Value::Expr("area_ratio = mean_area / mean_perimeter".into())]));

    let split = &plan.node("split:cells").unwrap().config;
    assert_eq!(split.keys().collect::<Vec<_>>(), ["label", "sample", "seed", "split"]);
    assert_eq!(split["seed"], Value::Int(42));

    let fit = &plan.node("fit_transform:cells").unwrap().config;
    assert_eq!(fit["fit_on"], name("train"));
    assert_eq!(fit["normalize"], call("zscore", &[]));
    assert!(!fit.contains_key("split"), "the split's settings are not refitted");

    let search = &plan.node("search_trial:mlp").unwrap().config;
    assert_eq!(search["trials"], Value::Int(30));
    assert_eq!(search["rank_on"], name("val"));
    assert_eq!(search["objective"].as_call().unwrap().0, "maximize");
    assert_eq!(search["train"].as_call().unwrap().1["epochs"], Value::Int(50));

    let train = &plan.node("train_model:mlp").unwrap().config;
    assert_eq!(train["loss"], name("binary_cross_entropy"), "the resolved loss replaces `auto`");
    assert_eq!(train["tuned"], Value::List(vec![name("epochs"), name("lr")]));
    assert_eq!(train["optimizer"], call("adam", &[("lr", Value::Float(3e-4))]));

    let evaluate = &plan.node("evaluate:mlp").unwrap().config;
    assert_eq!(evaluate["splits"].canonical(), "[train, val, test]");
    let Value::List(metrics) = &evaluate["metrics"] else { panic!("metrics is a list") };
    assert_eq!(metrics.len(), 2);

    let gate = &plan.node("gate:release").unwrap().config;
    assert_eq!(
        gate["checks"].canonical(),
        "[threshold(bound: 0.9, metric: p_at_r, model: mlp, op: \">=\", split: test), \
         beats(baseline: size_rule, margin: 0.02, metric: p_at_r, model: mlp, relative: false)]"
    );

    let deploy = &plan.node("deploy:api").unwrap().config;
    assert_eq!((&deploy["target"], &deploy["port"]), (&name("http"), &Value::Int(8080)));

    let monitor = &plan.node("monitor:api").unwrap().config;
    assert_eq!(
        monitor["rules"].canonical(),
        "[drift(action: warn, op: \">\", subject: psi, threshold: 0.2), \
         metric(action: alert, op: \"<\", subject: p_at_r, threshold: 0.85, window: [500, labelled])]"
    );
}

#[test]
fn grid_search_counts_its_combinations() {
    let mut p = breast_cancer();
    p.searches[0].settings.insert("strategy".into(), call("grid", &[]));
    p.searches[0].space = [
        (
            "hidden".to_string(),
            call(
                "choice",
                &[(
                    "values",
                    Value::List(vec![
                        Value::List(vec![Value::Int(32)]),
                        Value::List(vec![Value::Int(64)]),
                        Value::List(vec![Value::Int(128), Value::Int(64)]),
                    ]),
                )],
            ),
        ),
        (
            "epochs".to_string(),
            call("int_range", &[("low", Value::Int(10)), ("high", Value::Int(50)), ("step", Value::Int(10))]),
        ),
    ]
    .into();
    let plan = lower(&p);
    assert_eq!(plan.node("search_trial:mlp").unwrap().config["trials"], Value::Int(15));

    // A continuous range has no grid size: the count is left to the runtime.
    p.searches[0]
        .space
        .insert("lr".into(), call("uniform", &[("low", Value::Float(0.1)), ("high", Value::Float(0.2))]));
    assert!(!lower(&p).node("search_trial:mlp").unwrap().config.contains_key("trials"));
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
    p.deploys[0].model = "ghost".into();
    p.gates[0].checks.push(GateCheck::Threshold {
        model: "ghost".into(),
        metric: "p_at_r".into(),
        split: "test".into(),
        op: ">".into(),
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
    let plan = lower(&Program::default());
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
