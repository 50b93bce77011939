//! The metrics pass: `metric` definitions (a built-in with arguments, fitting every dataset's
//! task) and the objective. Also [`metric_ref`], how the objective, gates and monitors name a
//! metric: a `metric` definition, or a built-in used directly, which joins the program's metrics
//! the first time a pass names it (see [`Metrics`]).

use super::context::{Context, Def};
use super::datasets::Datasets;
use super::names::{did_you_mean, list_names};
use super::pass::{Checked, Pass};
use crate::ast::{DefKind, Direction};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Metric, Objective, Value};
use crate::span::Span;
use crate::stdlib::Builtin;
use std::collections::{BTreeMap, HashSet};

/// A metric a name refers to: a user's `metric` definition or a built-in used directly.
pub struct MetricRef {
    pub name: String,
    pub builtin: &'static Builtin,
    pub direction: Direction,
}

/// The metrics a pass can name: the program's so far, and the built-ins it names for the first
/// time (`added`, which join the program's metrics after the pass, in that order).
pub(super) struct Metrics {
    known: HashSet<String>,
    pub added: Vec<Metric>,
}

impl Metrics {
    pub fn new(program_so_far: &[Metric]) -> Self {
        Metrics { known: program_so_far.iter().map(|m| m.name.clone()).collect(), added: Vec::new() }
    }

    fn add(&mut self, metric: Metric) {
        self.known.insert(metric.name.clone());
        self.added.push(metric);
    }
}

/// Checks the `metric` definitions and the objective; the metrics include the built-in the
/// objective names directly, if it does.
pub(super) fn check<'a>(cx: &'a Context<'a>, datasets: &Datasets) -> Checked<(Vec<Metric>, Option<Objective>)> {
    let mut p = Pass::new(cx);
    let mut metrics = Vec::new();
    for &def in cx.symbols.of_kind(DefKind::Metric) {
        if let Some(metric) = metric(&mut p, datasets, def) {
            metrics.push(metric);
        }
    }
    let mut uses = Metrics::new(&metrics);
    let objective = objective(&mut p, datasets, &mut uses);
    metrics.extend(uses.added);
    p.finish((metrics, objective))
}

/// One `metric name = builtin(...)`.
fn metric<'a>(p: &mut Pass<'a>, datasets: &Datasets, def: Def<'a>) -> Option<Metric> {
    let name = def.def.name.name.clone();
    let value = p.required_value(def, &format!("metric {name} = precision_at(recall >= 0.6)"))?;
    let (builtin, call) = p.builtin_call(def.file, "metric", value)?;
    if def.def.body.is_some() {
        p.no_block(def);
    }
    let span = value.as_call().map_or(value.span, |c| c.1);
    if !fits_every_task(p, datasets, def.file, builtin, span) {
        return None;
    }
    let kind = p.typed(def.file, span, &format!("metric `{name}`"), &call)?;
    Some(Metric { name, kind, direction: direction_of(builtin) })
}

/// The one objective: a metric, maximized or minimized as the metric says (E0407); E0408 when
/// there is none (and something is trained) or more than one.
fn objective(p: &mut Pass<'_>, datasets: &Datasets, uses: &mut Metrics) -> Option<Objective> {
    let symbols = &p.cx.symbols;
    let Some(&(file, first)) = symbols.objectives.first() else {
        let first = symbols.of_kind(DefKind::Model).iter().chain(symbols.of_kind(DefKind::Baseline)).next();
        if let (Some(def), false) = (first, symbols.broken_kinds.contains("objective")) {
            p.report(
                Diagnostic::error(Code::E0408, def.file, def.def.name.span, "the spec has no objective")
                    .with_primary(format!(
                        "which number should {} `{}` be judged by?",
                        def.def.kind.keyword(),
                        def.def.name.name
                    ))
                    .with_help("add one line such as `objective maximize accuracy`"),
            );
        }
        return None;
    };
    for (other_file, other) in &symbols.objectives[1..] {
        p.report(
            Diagnostic::error(Code::E0408, *other_file, other.span, "a spec has exactly one objective")
                .with_primary("second objective")
                .with_label_in(file, first.span, "first objective")
                .with_help("keep one objective; track other numbers as metrics and gates"),
        );
    }
    let Some(name) = first.metric.as_name() else {
        p.report(
            Diagnostic::error(Code::E0202, file, first.metric.span, "the objective names one metric")
                .with_primary("expected a metric name")
                .with_help("define the metric first, e.g. `metric p_at_r = precision_at(recall >= 0.6)`, then `objective maximize p_at_r`"),
        );
        return None;
    };
    let metric = metric_ref(p, datasets, uses, file, name, first.metric.span)?;
    if metric.direction != first.direction {
        let better = if metric.direction == Direction::Maximize { "higher" } else { "lower" };
        p.report(
            Diagnostic::error(
                Code::E0407,
                file,
                first.direction_span,
                format!("`{name}` is better when {better}, but the objective would {} it", first.direction.as_str()),
            )
            .with_primary(format!("{} a {better}-is-better metric", first.direction.as_str()))
            .with_label(first.metric.span, format!("`{}` is to {}", metric.builtin.name, metric.direction.as_str()))
            .with_help(format!("write `objective {} {name}`", metric.direction.as_str())),
        );
        return None;
    }
    Some(Objective { metric: name.to_string(), direction: first.direction })
}

/// Resolves a metric name: a `metric` definition, else a built-in metric without required
/// arguments (which joins `uses.added` if the program does not have it yet).
pub(super) fn metric_ref(
    p: &mut Pass<'_>,
    datasets: &Datasets,
    uses: &mut Metrics,
    file: FileId,
    name: &str,
    span: Span,
) -> Option<MetricRef> {
    if let Some(def) = p.cx.symbols.get(name).filter(|d| d.def.kind == DefKind::Metric) {
        p.refer(name);
        let call = def.def.value.as_ref().and_then(|v| v.as_call().map(|c| c.0).or(v.as_name()))?;
        let builtin = p.cx.stdlib.lookup("metric", call)?;
        return Some(MetricRef { name: name.to_string(), builtin, direction: direction_of(builtin) });
    }
    let Some(builtin) = p.cx.stdlib.lookup("metric", name) else {
        unknown_metric(p, file, name, span);
        return None;
    };
    if builtin.params.iter().any(|param| param.default.is_none()) {
        p.report(
            Diagnostic::error(Code::E0203, file, span, format!("metric `{name}` needs arguments"))
                .with_primary("used without its arguments")
                .with_help(format!(
                    "define it first, e.g. `metric my_{name} = {name}({} >= 0.6)`, and use `my_{name}`",
                    if name == "recall_at" { "precision" } else { "recall" }
                )),
        );
        return None;
    }
    let task_ok = fits_every_task(p, datasets, file, builtin, span);
    if task_ok && !uses.known.contains(name) {
        let call = Value::Call { call: name.to_string(), args: BTreeMap::new() };
        if let Some(kind) = p.typed(file, span, &format!("metric `{name}`"), &call) {
            uses.add(Metric { name: name.to_string(), kind, direction: direction_of(builtin) });
        }
    }
    Some(MetricRef { name: name.to_string(), builtin, direction: direction_of(builtin) })
}

/// E0102 for a name that is neither a `metric` definition nor a built-in (unless it is a
/// definition that did not parse).
fn unknown_metric(p: &mut Pass<'_>, file: FileId, name: &str, span: Span) {
    if p.cx.symbols.broken.contains(name) {
        return;
    }
    let mut candidates: Vec<&str> =
        p.cx.symbols.of_kind(DefKind::Metric).iter().map(|d| d.def.name.name.as_str()).collect();
    candidates.sort_unstable();
    candidates.extend(p.cx.stdlib.of_kind("metric").map(|b| b.name.as_str()));
    let help = match did_you_mean(name, candidates.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!(
            "define it with `metric {name} = ...`, or use a built-in metric such as {}",
            list_names(candidates.iter().copied().take(6))
        ),
    };
    p.report(
        Diagnostic::error(Code::E0102, file, span, format!("unknown metric `{name}`"))
            .with_primary("no metric with this name")
            .with_help(help),
    );
}

/// E0403 when the metric does not apply to the task of some dataset. Returns whether it fits.
fn fits_every_task(p: &mut Pass<'_>, datasets: &Datasets, file: FileId, builtin: &Builtin, span: Span) -> bool {
    let Some(misfit) = datasets.iter().find(|d| !builtin.applies_to(d.task)) else { return true };
    let tasks = builtin.list_attribute("tasks");
    let fitting = p.cx.stdlib.applying_to("metric", misfit.task);
    p.report(
        Diagnostic::error(
            Code::E0403,
            file,
            span,
            format!("`{}` does not apply to {}", builtin.name, misfit.task.describe()),
        )
        .with_primary(format!("`{}` is a metric for {}", builtin.name, tasks.join(" and ")))
        .with_help(format!(
            "label `{}` of dataset `{}` makes this {}; use {}",
            misfit.label,
            misfit.name,
            misfit.task.describe(),
            list_names(fitting)
        )),
    );
    false
}

pub fn direction_of(builtin: &Builtin) -> Direction {
    if builtin.name_attribute("direction") == Some("minimize") { Direction::Minimize } else { Direction::Maximize }
}
