//! Checks of what decides and follows a release: gates, deploy targets and monitors.

use super::Checker;
use super::names::{did_you_mean, list_names};
use crate::ast::{BlockItem, DefKind, Expr, ExprKind};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::program::{Comparison, Deploy, DeploySettings, Gate, GateCheck, Monitor, MonitorRule, Value, Watch, Window};

const SPLITS: [&str; 3] = ["train", "val", "test"];
/// Metrics not bounded to [0, 1].
const UNBOUNDED: [&str; 5] = ["mse", "mae", "rmse", "log_loss", "r2"];

impl<'a> Checker<'a> {
    pub(super) fn check_gates(&mut self) {
        for def in self.defs_of(DefKind::Gate) {
            self.expect_no_value(def, "a gate lists its checks in a block: `gate release { mlp.f1 on test >= 0.9 }`");
            let mut checks = Vec::new();
            let items = def.def.body.as_ref().map(|b| b.items.as_slice()).unwrap_or_default();
            if items.is_empty() {
                self.error(
                    Diagnostic::error(
                        Code::E0203,
                        def.file,
                        def.def.name.span,
                        format!("gate `{}` has no checks", def.def.name.name),
                    )
                    .with_primary("an empty gate passes everything")
                    .with_help("add checks such as `mlp.f1 on test >= 0.9` or `mlp beats majority on f1 by 0.05`"),
                );
            }
            for item in items {
                match item {
                    BlockItem::Beats { model, baseline, metric, margin, .. } => {
                        let kinds = [DefKind::Model, DefKind::Baseline];
                        let m = self.resolve(def.file, &model.name, model.span, &kinds);
                        let b = self.resolve(def.file, &baseline.name, baseline.span, &kinds);
                        let r = self.metric_ref(def.file, &metric.name, metric.span);
                        if model.name == baseline.name {
                            self.error(
                                Diagnostic::error(
                                    Code::E0602,
                                    def.file,
                                    baseline.span,
                                    format!("`{}` is compared with itself", model.name),
                                )
                                .with_primary("same as the left side")
                                .with_help("compare the model with a baseline, e.g. `mlp beats majority on f1`"),
                            );
                            continue;
                        }
                        let (margin_value, relative) = match margin {
                            None => (0.0, false),
                            Some(expr) => match (&expr.kind, expr.as_number()) {
                                (ExprKind::Number { percent, .. }, Some(v)) => (v, *percent),
                                (_, Some(v)) => (v, false),
                                _ => {
                                    self.error(
                                        Diagnostic::error(
                                            Code::E0202,
                                            def.file,
                                            expr.span,
                                            "a margin is a number or a percentage",
                                        )
                                        .with_primary("expected a number")
                                        .with_help("write `by 0.02` (absolute) or `by 5%` (relative)"),
                                    );
                                    continue;
                                }
                            },
                        };
                        if let (Some(_), Some(_), Some(r)) = (m, b, r) {
                            checks.push(GateCheck::Beats {
                                model: model.name.clone(),
                                baseline: baseline.name.clone(),
                                metric: r.name,
                                margin: margin_value,
                                relative,
                            });
                        }
                    }
                    BlockItem::Rule(rule)
                        if rule.on.is_some() && !rule.drift && rule.over.is_none() && rule.action.is_none() =>
                    {
                        let on = rule.on.as_ref().expect("checked above");
                        let ExprKind::Field { base, field } = &rule.subject.kind else {
                            self.gate_shape_error(def.file, &rule.subject);
                            continue;
                        };
                        let Some(model_name) = base.as_name() else {
                            self.gate_shape_error(def.file, &rule.subject);
                            continue;
                        };
                        let m = self.resolve(def.file, model_name, base.span, &[DefKind::Model, DefKind::Baseline]);
                        let r = self.metric_ref(def.file, &field.name, field.span);
                        if !SPLITS.contains(&on.split.name.as_str()) {
                            let help = match did_you_mean(&on.split.name, SPLITS) {
                                Some(close) => format!("did you mean `{close}`?"),
                                None => format!("the splits are {}", list_names(SPLITS)),
                            };
                            self.error(
                                Diagnostic::error(
                                    Code::E0601,
                                    def.file,
                                    on.split.span,
                                    format!("unknown split `{}`", on.split.name),
                                )
                                .with_primary("not a split")
                                .with_help(help),
                            );
                            continue;
                        }
                        let Some(bound) = on.bound.as_number() else {
                            self.error(
                                Diagnostic::error(Code::E0202, def.file, on.bound.span, "a gate threshold is a number")
                                    .with_primary("expected a number")
                                    .with_help("write e.g. `mlp.f1 on test >= 0.9`"),
                            );
                            continue;
                        };
                        let Some(r) = r else { continue };
                        if !UNBOUNDED.contains(&r.builtin.name.as_str()) && !(0.0..=1.0).contains(&bound) {
                            self.error(
                                Diagnostic::error(
                                    Code::E0206,
                                    def.file,
                                    on.bound.span,
                                    format!(
                                        "`{}` lies between 0 and 1, so this threshold can never be met as written",
                                        field.name
                                    ),
                                )
                                .with_primary(format!("threshold {bound}"))
                                .with_help("write the threshold as a fraction, e.g. `0.9` rather than `90`"),
                            );
                            continue;
                        }
                        if let (Some(_), Some(op)) = (m, Comparison::from_op(on.op)) {
                            checks.push(GateCheck::Threshold {
                                model: model_name.to_string(),
                                metric: r.name,
                                split: on.split.name.clone(),
                                op,
                                bound,
                            });
                        }
                    }
                    BlockItem::Rule(rule) if rule.on.is_none() && !rule.drift && rule.action.is_none() => {
                        self.gate_shape_error(def.file, &rule.subject)
                    }
                    other => {
                        self.error(
                            Diagnostic::error(Code::E0207, def.file, other.span(), "this is not a gate check")
                                .with_primary("not allowed in a gate")
                                .with_help("a gate holds checks: `mlp.f1 on test >= 0.9` or `mlp beats majority on f1 by 0.02`"),
                        );
                    }
                }
            }
            self.program.gates.push(Gate { name: def.def.name.name.clone(), checks });
        }
    }

    fn gate_shape_error(&mut self, file: crate::diagnostic::FileId, subject: &Expr) {
        self.error(
            Diagnostic::error(Code::E0207, file, subject.span, "a gate check names a model, a metric and a split")
                .with_primary("incomplete gate check")
                .with_help("write `model.metric on split >= threshold`, e.g. `mlp.f1 on test >= 0.9`"),
        );
    }

    pub(super) fn check_deploys(&mut self) {
        for def in self.defs_of(DefKind::Deploy) {
            let name = def.def.name.name.clone();
            let Some(value) = self.required_value(def, &format!("deploy {name} = http(model_name)")) else { continue };
            let settings = self.settings(def.file, "deploy", def.def.body.as_ref(), false, true);
            self.no_statements(def.file, &settings.other, "deploy");
            let Some((builtin, target)) = self.builtin_call(def.file, "target", value) else { continue };
            let Some((_, _, args)) = value.as_call() else { continue };
            let Some(model_arg) = args.first() else { continue };
            let Some(model) = model_arg.value.as_name() else {
                self.error(
                    Diagnostic::error(
                        Code::E0202,
                        def.file,
                        model_arg.value.span,
                        format!("a `{}` deploy names the model it serves", builtin.name),
                    )
                    .with_primary("expected a model name")
                    .with_help(format!("write `deploy {name} = {}(model_name)`", builtin.name)),
                );
                continue;
            };
            // Each target takes only its own settings.
            let allowed: &[&str] = match builtin.name.as_str() {
                "http" => &["port", "host"],
                "batch" => &["input", "output"],
                _ => &["path"],
            };
            let mut misplaced = false;
            for (key, span) in &settings.key_spans {
                if !allowed.contains(&key.as_str()) && settings.values.contains_key(key) {
                    self.error(
                        Diagnostic::error(
                            Code::E0201,
                            def.file,
                            *span,
                            format!("`{key}` does not apply to a `{}` deploy", builtin.name),
                        )
                        .with_primary("setting of another deploy target")
                        .with_help(format!(
                            "a `{}` deploy accepts {}",
                            builtin.name,
                            super::names::list_names(allowed.iter().copied())
                        )),
                    );
                    misplaced = true;
                }
            }
            if misplaced {
                continue;
            }
            if self.resolve(def.file, model, model_arg.value.span, &[DefKind::Model]).is_none() {
                continue;
            }
            let values = &settings.values;
            let required: &[&str] = match builtin.name.as_str() {
                "batch" => &["input", "output"],
                "bundle" => &["path"],
                _ => &[],
            };
            for key in required {
                if !values.contains_key(*key) && !settings.key_spans.contains_key(*key) {
                    self.error(
                        Diagnostic::error(
                            Code::E0203,
                            def.file,
                            value.span,
                            format!("a `{}` deploy needs `{key}`", builtin.name),
                        )
                        .with_primary(format!("`{key}` is missing"))
                        .with_help(match *key {
                            "input" => "add `input = csv(\"incoming/*.csv\")` to the block",
                            "output" => "add `output = \"predictions/\"` to the block",
                            _ => "add `path = \"bundle/\"` to the block",
                        }),
                    );
                }
            }
            let Some(typed) = self.typed_settings::<DeploySettings>(def.file, def.def.name.span, "deploy", values)
            else {
                continue;
            };
            if builtin.name == "http" {
                let port = typed.port;
                if !(1..=65535).contains(&port) {
                    let span = settings.spans.get("port").copied().unwrap_or(value.span);
                    self.error(
                        Diagnostic::error(Code::E0206, def.file, span, format!("port {port} is not a TCP port"))
                            .with_primary("out of range")
                            .with_help("choose a port from 1 to 65535, e.g. 8080"),
                    );
                }
            }
            let Some(target) = self.typed(def.file, value.span, "this deploy target", &target) else { continue };
            self.program.deploys.push(Deploy { name, target, settings: typed });
        }
    }

    pub(super) fn check_monitors(&mut self) {
        for def in self.monitors.clone() {
            self.expect_no_value(
                def,
                "a monitor names a deploy target and lists conditions: `monitor api { drift psi > 0.2 -> warn }`",
            );
            let deploy = def.def.name.name.clone();
            if self.resolve(def.file, &deploy, def.def.name.span, &[DefKind::Deploy]).is_none() {
                continue;
            }
            let dataset = self
                .program
                .deploys
                .iter()
                .find(|d| d.name == deploy)
                .and_then(|d| self.program.models.iter().find(|m| m.name == d.target.model()))
                .and_then(|m| self.datasets.get(&m.dataset))
                .cloned();
            let mut rules = Vec::new();
            for item in def.def.body.iter().flat_map(|b| &b.items) {
                let BlockItem::Rule(rule) = item else {
                    self.monitor_shape_error(def.file, item.span());
                    continue;
                };
                let ExprKind::Binary { op, lhs, rhs, .. } = &rule.subject.kind else {
                    self.monitor_shape_error(def.file, rule.subject.span);
                    continue;
                };
                if !op.is_comparison() || rule.on.is_some() {
                    self.monitor_shape_error(def.file, rule.subject.span);
                    continue;
                }
                let Some(threshold) = rhs.as_number() else {
                    self.error(
                        Diagnostic::error(Code::E0202, def.file, rhs.span, "a monitor threshold is a number")
                            .with_primary("expected a number")
                            .with_help("write e.g. `drift psi > 0.2 -> warn`"),
                    );
                    continue;
                };
                let watch = if rule.drift {
                    let Some((_, stat)) = self.builtin_call(def.file, "statistic", lhs) else { continue };
                    if let (Some((_, args)), Some(ds)) = (stat.as_call(), &dataset) {
                        if let Some(column) = args.get("column").and_then(Value::as_str).filter(|c| *c != "all") {
                            if ds.schema.get(column).is_none() {
                                let names: Vec<String> = ds.schema.names().map(str::to_string).collect();
                                self.unknown_column(
                                    def.file,
                                    lhs.span,
                                    column,
                                    names.iter().map(String::as_str),
                                    &format!("dataset `{}`", ds.name),
                                );
                                continue;
                            }
                        }
                    }
                    let Some(statistic) = self.typed(def.file, lhs.span, "this statistic", &stat) else { continue };
                    Watch::Drift { statistic }
                } else {
                    let Some(name) = lhs.as_name() else {
                        self.monitor_shape_error(def.file, lhs.span);
                        continue;
                    };
                    let Some(metric) = self.metric_ref(def.file, name, lhs.span) else { continue };
                    Watch::Metric { metric: metric.name }
                };
                let window = match &rule.over {
                    None => None,
                    Some((count, unit)) => {
                        let n = match &count.kind {
                            ExprKind::Number { value, is_int: true, percent: false, .. } if *value >= 1.0 => {
                                *value as i64
                            }
                            _ => {
                                self.error(
                                    Diagnostic::error(
                                        Code::E0206,
                                        def.file,
                                        count.span,
                                        "a window is a whole number of rows",
                                    )
                                    .with_primary("expected a count")
                                    .with_help("write e.g. `over 500 labelled`"),
                                );
                                continue;
                            }
                        };
                        if !matches!(unit.name.as_str(), "labelled" | "labeled" | "predictions") {
                            self.error(
                                Diagnostic::error(
                                    Code::E0202,
                                    def.file,
                                    unit.span,
                                    format!("unknown window unit `{}`", unit.name),
                                )
                                .with_primary("expected `labelled` or `predictions`")
                                .with_help(
                                    "write `over 500 labelled` (rows with feedback labels) or `over 1000 predictions`",
                                ),
                            );
                            continue;
                        }
                        Some(Window { count: n, unit: unit.name.clone() })
                    }
                };
                let Some(action_expr) = &rule.action else {
                    self.error(
                        Diagnostic::error(Code::E0203, def.file, rule.span, "a monitor condition needs an action")
                            .with_primary("what happens when this fires?")
                            .with_help(
                                "end the line with an action: `-> warn`, `-> alert`, `-> retrain` or `-> rollback`",
                            ),
                    );
                    continue;
                };
                let Some((_, action)) = self.builtin_call(def.file, "action", action_expr) else { continue };
                let Some(action) = self.typed(def.file, action_expr.span, "this action", &action) else { continue };
                let Some(op) = Comparison::from_op(*op) else { continue };
                rules.push(MonitorRule { watch, op, threshold, window, action });
            }
            self.program.monitors.push(Monitor { deploy, rules });
        }
    }

    fn monitor_shape_error(&mut self, file: crate::diagnostic::FileId, span: crate::span::Span) {
        self.error(
            Diagnostic::error(Code::E0207, file, span, "this is not a monitor condition")
                .with_primary("not allowed in a monitor")
                .with_help("write `drift psi > 0.2 -> warn` or `f1 < 0.8 over 500 labelled -> alert`"),
        );
    }
}
