//! The baselines pass: each `baseline` (a built-in fitting its dataset's task, or a `rule` over
//! the dataset's columns) and its settings.

use super::context::{Context, Def};
use super::datasets::{Datasets, trained_on};
use super::expr::{ExprType, Scope, type_expr};
use super::names::list_names;
use super::pass::{Checked, Pass};
use crate::ast::{Arg, DefKind};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::program::{Baseline, BaselineKind, Dataset, Expression};
use crate::types::{ColumnType, Task};
use std::collections::HashMap;

/// Checks every baseline against the checked datasets.
pub(super) fn check<'a>(cx: &'a Context<'a>, datasets: &Datasets) -> Checked<Vec<Baseline>> {
    let mut p = Pass::new(cx);
    let baselines =
        cx.symbols.of_kind(DefKind::Baseline).iter().filter_map(|&def| baseline(&mut p, datasets, def)).collect();
    p.finish(baselines)
}

/// One baseline; `None` when it does not fit or its settings are wrong.
fn baseline<'a>(p: &mut Pass<'a>, datasets: &Datasets, def: Def<'a>) -> Option<Baseline> {
    let name = def.def.name.name.clone();
    let value = p.required_value(def, &format!("baseline {name} = majority_class()"))?;
    let settings = p.settings(def.file, "baseline", def.def.body.as_ref(), false, true);
    p.no_statements(def.file, &settings.other, "baseline");
    let dataset = trained_on(p, datasets, def, settings.values.get("data"), settings.spans.get("data").copied())?;
    let (builtin, kind) = p.builtin_call(def.file, "baseline", value)?;
    let span = value.as_call().map_or(value.span, |c| c.1);
    if !builtin.applies_to(dataset.task) {
        let tasks = builtin.list_attribute("tasks");
        let fitting = p.cx.stdlib.applying_to("baseline", dataset.task);
        p.report(
            Diagnostic::error(
                Code::E0409,
                def.file,
                span,
                format!("baseline `{}` does not apply to {}", builtin.name, dataset.task.describe()),
            )
            .with_primary(format!("a baseline for {}", tasks.join(" and ")))
            .with_help(format!(
                "label `{}` makes this {}; use {}",
                dataset.label,
                dataset.task.describe(),
                list_names(fitting)
            )),
        );
        return None;
    }
    // A rule keeps the expression as checked (spans included) rather than its text.
    let kind = match (builtin.name.as_str(), value.as_call()) {
        ("rule", Some((_, _, args))) => {
            let arg = args.first()?;
            rule_fits(p, def, dataset, arg)?;
            BaselineKind::Rule { when: Expression::new(arg.value.clone()) }
        }
        ("rule", None) => return None,
        _ => p.typed(def.file, span, &format!("baseline `{name}`"), &kind)?,
    };
    let settings = p.typed_settings(def.file, def.def.name.span, "baseline", &settings.values)?;
    Some(Baseline { name, dataset: dataset.name.clone(), kind, settings })
}

/// A rule is a condition (for a binary label) or a score (a number) over the dataset's columns.
fn rule_fits(p: &mut Pass<'_>, def: Def<'_>, dataset: &Dataset, arg: &Arg) -> Option<()> {
    let features: HashMap<String, ColumnType> = HashMap::new();
    let scope =
        Scope { schema: &dataset.schema, features: &features, described: format!("dataset `{}`", dataset.name) };
    match type_expr(p, def.file, &arg.value, &scope) {
        ExprType::Column(ColumnType::Bool) if dataset.task == Task::Binary => Some(()),
        ExprType::Column(ColumnType::Bool) => {
            p.report(
                Diagnostic::error(
                    Code::E0409,
                    def.file,
                    arg.value.span,
                    format!(
                        "a boolean rule predicts one of two classes, but `{}` is {}",
                        dataset.label,
                        dataset.task.describe()
                    ),
                )
                .with_primary("a yes/no rule")
                .with_help("for regression, write a rule that computes a number"),
            );
            None
        }
        ExprType::Column(ty) if ty.is_numeric() => Some(()),
        ExprType::Error => None,
        other => {
            p.report(
                Diagnostic::error(
                    Code::E0401,
                    def.file,
                    arg.value.span,
                    format!("a rule must be a condition or a score, found {}", other.describe()),
                )
                .with_primary("not a condition or a number")
                .with_help("write a condition such as `mean_radius > 15`"),
            );
            None
        }
    }
}
