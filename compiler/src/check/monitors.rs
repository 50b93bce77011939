//! The monitors pass: each `monitor` watches a checked deploy: conditions on drift statistics
//! (over the columns of the deployed model's dataset) or on metrics, optionally over a window of
//! rows, each with an action.

use super::context::{Context, Def};
use super::datasets::Datasets;
use super::metrics::{Metrics, metric_ref};
use super::pass::{Checked, Pass};
use crate::ast::{BlockItem, DefKind, Expr, ExprKind, Ident, Rule};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{
    Comparison, Dataset, Deploy, Metric, Model, Monitor, MonitorRule, MonitorSettings, Value, Watch, Window,
};
use crate::span::Span;
use crate::types::ColumnType;
use std::collections::HashMap;

/// What monitors read of earlier passes: the datasets, the deploys and the models they serve,
/// and the program's metrics so far.
pub(super) struct Earlier<'e> {
    pub datasets: &'e Datasets,
    pub deploys: &'e [Deploy],
    pub models: &'e [Model],
    pub metrics: &'e [Metric],
}

/// Checks every monitor; also returns the built-in metrics the monitors name that the program
/// does not have yet.
pub(super) fn check<'a>(cx: &'a Context<'a>, earlier: Earlier<'_>) -> Checked<(Vec<Monitor>, Vec<Metric>)> {
    let models: HashMap<&str, &Model> = earlier.models.iter().map(|m| (m.name.as_str(), m)).collect();
    // The dataset each deploy's model trains on.
    let served: HashMap<&str, &Dataset> = earlier
        .deploys
        .iter()
        .filter_map(|d| Some((d.name.as_str(), earlier.datasets.get(&models.get(d.target.model())?.dataset)?)))
        .collect();
    let mut monitors =
        Monitors { p: Pass::new(cx), datasets: earlier.datasets, served, metrics: Metrics::new(earlier.metrics) };
    let checked = cx.symbols.monitors.iter().filter_map(|&def| monitors.monitor(def)).collect();
    monitors.p.finish((checked, monitors.metrics.added))
}

/// The monitors pass at work.
struct Monitors<'a, 'e> {
    p: Pass<'a>,
    datasets: &'e Datasets,
    served: HashMap<&'e str, &'e Dataset>,
    metrics: Metrics,
}

impl<'a> Monitors<'a, '_> {
    /// One monitor with the conditions that are right; `None` when its deploy is unknown.
    fn monitor(&mut self, def: Def<'a>) -> Option<Monitor> {
        self.p.expect_no_value(
            def,
            "a monitor names a deploy target and lists conditions: `monitor api { drift psi > 0.2 -> warn }`",
        );
        let deploy = def.def.name.name.clone();
        self.p.resolve(def.file, &deploy, def.def.name.span, &[DefKind::Deploy])?;
        let dataset = self.served.get(deploy.as_str()).copied();
        let settings = self.p.settings(def.file, "monitor", def.def.body.as_ref(), false, true);
        let mut rules = Vec::new();
        for item in settings.other.iter().copied() {
            let BlockItem::Rule(rule) = item else {
                self.p.report(shape_error(def.file, item.span()));
                continue;
            };
            rules.extend(self.rule(def.file, rule, dataset));
        }
        let settings =
            self.p.typed_settings::<MonitorSettings>(def.file, def.def.name.span, "monitor", &settings.values)?;
        Some(Monitor { deploy, settings, rules })
    }

    /// `[drift] watched OP threshold [over N unit] -> action`.
    fn rule(&mut self, file: FileId, rule: &Rule, dataset: Option<&Dataset>) -> Option<MonitorRule> {
        let ExprKind::Binary { op, lhs, rhs, .. } = &rule.subject.kind else {
            self.p.report(shape_error(file, rule.subject.span));
            return None;
        };
        if !op.is_comparison() || rule.on.is_some() {
            self.p.report(shape_error(file, rule.subject.span));
            return None;
        }
        let Some(threshold) = rhs.as_number() else {
            self.p.report(
                Diagnostic::error(Code::E0202, file, rhs.span, "a monitor threshold is a number")
                    .with_primary("expected a number")
                    .with_help("write e.g. `drift psi > 0.2 -> warn`"),
            );
            return None;
        };
        let watch = if rule.drift { self.drift(file, lhs, dataset)? } else { self.metric(file, lhs)? };
        let window = match &rule.over {
            None => None,
            Some((count, unit)) => Some(self.window(file, count, unit)?),
        };
        let Some(action_expr) = &rule.action else {
            self.p.report(
                Diagnostic::error(Code::E0203, file, rule.span, "a monitor condition needs an action")
                    .with_primary("what happens when this fires?")
                    .with_help("end the line with an action: `-> warn`, `-> alert`, `-> retrain` or `-> rollback`"),
            );
            return None;
        };
        let (_, action) = self.p.builtin_call(file, "action", action_expr)?;
        let action = self.p.typed(file, action_expr.span, "this action", &action)?;
        let op = Comparison::from_op(*op)?;
        Some(MonitorRule { watch, op, threshold, window, action })
    }

    /// `drift statistic(column: ...)`: the column must be one of the served dataset's.
    fn drift(&mut self, file: FileId, lhs: &Expr, dataset: Option<&Dataset>) -> Option<Watch> {
        let (_, stat) = self.p.builtin_call(file, "statistic", lhs)?;
        if let (Some((name, args)), Some(ds)) = (stat.as_call(), dataset) {
            if let Some(column) = args.get("column").and_then(Value::as_str).filter(|c| *c != "all") {
                let Some(ty) = ds.schema.get(column).map(|c| &c.ty) else {
                    let described = format!("dataset `{}`", ds.name);
                    self.p.unknown_column(file, lhs.span, column, ds.schema.names(), &described);
                    return None;
                };
                let categorical = matches!(ty, ColumnType::Category { .. } | ColumnType::Text);
                let wants = match name {
                    "ks" | "wasserstein" if categorical => Some(("numeric", "`chi2`, `psi` or `js`")),
                    "chi2" if !categorical => Some(("categorical", "`ks`, `wasserstein`, `psi` or `js`")),
                    _ => None,
                };
                if let Some((kind, instead)) = wants {
                    self.p.report(
                        Diagnostic::error(
                            Code::E0307,
                            file,
                            lhs.span,
                            format!("`{name}` compares {kind} columns and `{column}` is not one"),
                        )
                        .with_primary(format!("`{column}` is {ty}"))
                        .with_help(format!("for this column use {instead}")),
                    );
                    return None;
                }
            }
        }
        let statistic = self.p.typed(file, lhs.span, "this statistic", &stat)?;
        Some(Watch::Drift { statistic })
    }

    /// A metric by name.
    fn metric(&mut self, file: FileId, lhs: &Expr) -> Option<Watch> {
        let Some(name) = lhs.as_name() else {
            self.p.report(shape_error(file, lhs.span));
            return None;
        };
        let metric = metric_ref(&mut self.p, self.datasets, &mut self.metrics, file, name, lhs.span)?;
        Some(Watch::Metric { metric: metric.name })
    }

    /// `over N labelled` or `over N predictions`.
    fn window(&mut self, file: FileId, count: &Expr, unit: &Ident) -> Option<Window> {
        let n = match &count.kind {
            ExprKind::Number { value, is_int: true, percent: false, .. } if *value >= 1.0 => *value as i64,
            _ => {
                self.p.report(
                    Diagnostic::error(Code::E0206, file, count.span, "a window is a whole number of rows")
                        .with_primary("expected a count")
                        .with_help("write e.g. `over 500 labelled`"),
                );
                return None;
            }
        };
        if !matches!(unit.name.as_str(), "labelled" | "labeled" | "predictions") {
            self.p.report(
                Diagnostic::error(Code::E0202, file, unit.span, format!("unknown window unit `{}`", unit.name))
                    .with_primary("expected `labelled` or `predictions`")
                    .with_help("write `over 500 labelled` (rows with feedback labels) or `over 1000 predictions`"),
            );
            return None;
        }
        Some(Window { count: n, unit: unit.name.clone() })
    }
}

/// E0207 for a statement in a monitor that is not a condition.
fn shape_error(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(Code::E0207, file, span, "this is not a monitor condition")
        .with_primary("not allowed in a monitor")
        .with_help("write `drift psi > 0.2 -> warn` or `f1 < 0.8 over 500 labelled -> alert`")
}
