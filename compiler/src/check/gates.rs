//! The gates pass: each `gate` lists checks a release must pass: a model's metric on a split
//! against a threshold (`mlp.f1 on test >= 0.9`), or a model beating another on a metric
//! (`mlp beats majority on f1 by 0.02`).

use super::context::{Context, Def};
use super::datasets::Datasets;
use super::metrics::{MetricRef, Metrics, metric_ref};
use super::names::{did_you_mean, list_names};
use super::pass::{Checked, Pass};
use crate::ast::{BlockItem, DefKind, Expr, ExprKind, Ident, OnSplit, Rule};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Comparison, Gate, GateCheck, Metric};
use crate::span::Span;

const SPLITS: [&str; 3] = ["train", "val", "test"];
/// Metrics not bounded to [0, 1].
const UNBOUNDED: [&str; 5] = ["mse", "mae", "rmse", "log_loss", "r2"];

/// Checks every gate; also returns the built-in metrics the gates name that the program does not
/// have yet (`metrics`: the program's so far).
pub(super) fn check<'a>(
    cx: &'a Context<'a>,
    datasets: &Datasets,
    metrics: &[Metric],
) -> Checked<(Vec<Gate>, Vec<Metric>)> {
    let mut gates = Gates { p: Pass::new(cx), datasets, metrics: Metrics::new(metrics) };
    let checked = cx.symbols.of_kind(DefKind::Gate).iter().map(|&def| gates.gate(def)).collect();
    gates.p.finish((checked, gates.metrics.added))
}

/// The gates pass at work: its report, the datasets metrics must fit, the metrics named so far.
struct Gates<'a, 'd> {
    p: Pass<'a>,
    datasets: &'d Datasets,
    metrics: Metrics,
}

impl<'a> Gates<'a, '_> {
    /// One gate with the checks that are right.
    fn gate(&mut self, def: Def<'a>) -> Gate {
        self.p.expect_no_value(def, "a gate lists its checks in a block: `gate release { mlp.f1 on test >= 0.9 }`");
        let mut checks = Vec::new();
        let items = def.def.body.as_ref().map(|b| b.items.as_slice()).unwrap_or_default();
        if items.is_empty() {
            self.p.report(
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
            let check = match item {
                BlockItem::Beats { model, baseline, metric, margin, .. } => {
                    self.beats(def.file, model, baseline, metric, margin.as_ref())
                }
                BlockItem::Rule(rule @ Rule { on: Some(on), drift: false, over: None, action: None, .. }) => {
                    self.threshold(def.file, rule, on)
                }
                BlockItem::Rule(rule) if rule.on.is_none() && !rule.drift && rule.action.is_none() => {
                    self.p.report(shape_error(def.file, &rule.subject));
                    None
                }
                other => {
                    self.p.report(
                        Diagnostic::error(Code::E0207, def.file, other.span(), "this is not a gate check")
                            .with_primary("not allowed in a gate")
                            .with_help(
                                "a gate holds checks: `mlp.f1 on test >= 0.9` or `mlp beats majority on f1 by 0.02`",
                            ),
                    );
                    None
                }
            };
            checks.extend(check);
        }
        Gate { name: def.def.name.name.clone(), checks }
    }

    fn metric(&mut self, file: FileId, name: &str, span: Span) -> Option<MetricRef> {
        metric_ref(&mut self.p, self.datasets, &mut self.metrics, file, name, span)
    }

    /// `model beats baseline on metric [by margin]`.
    fn beats(
        &mut self,
        file: FileId,
        model: &Ident,
        baseline: &Ident,
        metric: &Ident,
        margin: Option<&Expr>,
    ) -> Option<GateCheck> {
        let kinds = [DefKind::Model, DefKind::Baseline];
        let m = self.p.resolve(file, &model.name, model.span, &kinds);
        let b = self.p.resolve(file, &baseline.name, baseline.span, &kinds);
        let r = self.metric(file, &metric.name, metric.span);
        if model.name == baseline.name {
            self.p.report(
                Diagnostic::error(
                    Code::E0602,
                    file,
                    baseline.span,
                    format!("`{}` is compared with itself", model.name),
                )
                .with_primary("same as the left side")
                .with_help("compare the model with a baseline, e.g. `mlp beats majority on f1`"),
            );
            return None;
        }
        let (margin, relative) = match margin {
            None => (0.0, false),
            Some(expr) => match (&expr.kind, expr.as_number()) {
                (ExprKind::Number { percent, .. }, Some(v)) => (v, *percent),
                (_, Some(v)) => (v, false),
                _ => {
                    self.p.report(
                        Diagnostic::error(Code::E0202, file, expr.span, "a margin is a number or a percentage")
                            .with_primary("expected a number")
                            .with_help("write `by 0.02` (absolute) or `by 5%` (relative)"),
                    );
                    return None;
                }
            },
        };
        m?;
        b?;
        Some(GateCheck::Beats {
            model: model.name.clone(),
            baseline: baseline.name.clone(),
            metric: r?.name,
            margin,
            relative,
        })
    }

    /// `model.metric on split OP bound`.
    fn threshold(&mut self, file: FileId, rule: &Rule, on: &OnSplit) -> Option<GateCheck> {
        let ExprKind::Field { base, field } = &rule.subject.kind else {
            self.p.report(shape_error(file, &rule.subject));
            return None;
        };
        let Some(model_name) = base.as_name() else {
            self.p.report(shape_error(file, &rule.subject));
            return None;
        };
        let m = self.p.resolve(file, model_name, base.span, &[DefKind::Model, DefKind::Baseline]);
        let r = self.metric(file, &field.name, field.span);
        if !SPLITS.contains(&on.split.name.as_str()) {
            let help = match did_you_mean(&on.split.name, SPLITS) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the splits are {}", list_names(SPLITS)),
            };
            self.p.report(
                Diagnostic::error(Code::E0601, file, on.split.span, format!("unknown split `{}`", on.split.name))
                    .with_primary("not a split")
                    .with_help(help),
            );
            return None;
        }
        let Some(bound) = on.bound.as_number() else {
            self.p.report(
                Diagnostic::error(Code::E0202, file, on.bound.span, "a gate threshold is a number")
                    .with_primary("expected a number")
                    .with_help("write e.g. `mlp.f1 on test >= 0.9`"),
            );
            return None;
        };
        let r = r?;
        if !UNBOUNDED.contains(&r.builtin.name.as_str()) && !(0.0..=1.0).contains(&bound) {
            self.p.report(
                Diagnostic::error(
                    Code::E0206,
                    file,
                    on.bound.span,
                    format!("`{}` lies between 0 and 1, so this threshold can never be met as written", field.name),
                )
                .with_primary(format!("threshold {bound}"))
                .with_help("write the threshold as a fraction, e.g. `0.9` rather than `90`"),
            );
            return None;
        }
        m?;
        let op = Comparison::from_op(on.op)?;
        Some(GateCheck::Threshold {
            model: model_name.to_string(),
            metric: r.name,
            split: on.split.name.clone(),
            op,
            bound,
        })
    }
}

/// E0207 for a statement in a gate that lacks a model, a metric or a split.
fn shape_error(file: FileId, subject: &Expr) -> Diagnostic {
    Diagnostic::error(Code::E0207, file, subject.span, "a gate check names a model, a metric and a split")
        .with_primary("incomplete gate check")
        .with_help("write `model.metric on split >= threshold`, e.g. `mlp.f1 on test >= 0.9`")
}
