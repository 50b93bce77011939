//! The searches pass: each `search` block names a checked model and draws some of its
//! parameters (architecture arguments, training settings, the optimizer's parameters) from
//! distributions that fit the parameter's type and the search strategy.

use super::context::{Context, Def};
use super::names::{did_you_mean, list_names};
use super::pass::{Checked, Pass};
use crate::ast::{DefKind, Expr, ExprKind, Ident};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Distribution, Model, PipelineSettings, Search, SearchSettings, Strategy, Value, count_text};
use crate::span::Span;
use crate::stdlib::ParamType;
use std::collections::{BTreeMap, HashMap};

/// Checks every search against the checked models, and its trial count against the pipeline's
/// `max_trials` (no limit when the pipeline's settings are wrong).
pub(super) fn check<'a>(
    cx: &'a Context<'a>,
    models: &[Model],
    limits: Option<&PipelineSettings>,
) -> Checked<Vec<Search>> {
    let mut p = Pass::new(cx);
    let models: HashMap<&str, &Model> = models.iter().map(|m| (m.name.as_str(), m)).collect();
    let searches = cx.symbols.searches.iter().filter_map(|&def| search(&mut p, &models, def, limits)).collect();
    p.finish(searches)
}

/// One search; `None` when its model or settings are wrong.
fn search<'a>(
    p: &mut Pass<'a>,
    models: &HashMap<&str, &Model>,
    def: Def<'a>,
    limits: Option<&PipelineSettings>,
) -> Option<Search> {
    p.expect_no_value(
        def,
        "a search block names the model and lists distributions: `search mlp { lr = loguniform(1e-4, 1e-2) }`",
    );
    let target = def.def.name.name.clone();
    let model_def = p.resolve(def.file, &target, def.def.name.span, &[DefKind::Model])?;
    let settings = p.settings(def.file, "search", def.def.body.as_ref(), true, true);
    p.no_statements(def.file, &settings.other, "search");
    let model = models.get(target.as_str())?;
    let params = searchable(p, model);
    let search_settings =
        p.typed_settings::<SearchSettings>(def.file, def.def.name.span, "search", &settings.values)?;
    let strategy = search_settings.strategy.name();
    let mut space = BTreeMap::new();
    for (key, value) in &settings.unknown {
        let Some((_, ty)) = params.iter().find(|(n, _)| *n == key.name) else {
            unknown_parameter(p, def.file, key, &params, model_def);
            continue;
        };
        if let Some(dist) = distribution(p, def.file, &key.name, ty, value, strategy) {
            space.insert(key.name.clone(), dist);
        }
    }
    if space.is_empty() && settings.unknown.is_empty() {
        p.report(
            Diagnostic::error(
                Code::E0203,
                def.file,
                def.def.name.span,
                format!("search over `{target}` lists no parameters"),
            )
            .with_primary("nothing to search")
            .with_help("add a distribution per parameter, e.g. `lr = loguniform(1e-4, 1e-2)`"),
        );
    }
    if let Some(limits) = limits {
        let span = settings.spans.get("strategy").copied().unwrap_or(def.def.name.span);
        if let Some(too_many) = too_many_trials(def.file, span, &search_settings, &space, limits.max_trials) {
            p.report(too_many);
            return None;
        }
    }
    Some(Search { model: target, settings: search_settings, space })
}

/// E0503 for a search that runs more than `max_trials` trials: a grid's points (the product of
/// every axis) or the strategy's `trials`, times the rounds of `coarse_to_fine`. Counted in `f64`
/// so that no spec overflows the count.
fn too_many_trials(
    file: FileId,
    span: Span,
    settings: &SearchSettings,
    space: &BTreeMap<String, Distribution>,
    max_trials: usize,
) -> Option<Diagnostic> {
    let (per_round, how) = match settings.strategy {
        Strategy::Grid => {
            let axes: Vec<(&String, f64)> =
                space.iter().map(|(name, d)| (name, d.grid_size().map_or(5.0, |n| n as f64))).collect();
            let product = axes.iter().map(|(_, n)| n).product::<f64>();
            let text: Vec<String> =
                axes.iter().map(|(name, n)| format!("{} values of `{name}`", count_text(*n))).collect();
            (product, Some(format!("a grid of {}", text.join(" × "))))
        }
        Strategy::Random { trials } | Strategy::Bayesian { trials } => (trials as f64, None),
    };
    let rounds = settings.refine.rounds() as f64;
    let total = per_round * rounds;
    if total <= max_trials as f64 {
        return None;
    }
    let how = match (how, rounds > 1.0) {
        (Some(grid), true) => format!(": {grid}, in {} rounds", count_text(rounds)),
        (Some(grid), false) => format!(": {grid}"),
        (None, true) => format!(": {} trials in each of {} rounds", count_text(per_round), count_text(rounds)),
        (None, false) => String::new(),
    };
    Some(
        Diagnostic::error(Code::E0503, file, span, format!("this search runs {} trials{how}", count_text(total)))
            .with_primary(format!("more than `max_trials` = {max_trials}"))
            .with_help(
                "search fewer values (fewer trials, rounds or grid points, or a `step` in `int_range`); if so many \
                 trials are wanted, raise `max_trials` in the `pipeline` block",
            ),
    )
}

/// What the model has that can be searched: architecture arguments, training settings and the
/// optimizer's parameters, with their types.
fn searchable(p: &Pass<'_>, model: &Model) -> Vec<(String, ParamType)> {
    let stdlib = p.cx.stdlib;
    let mut params: Vec<(String, ParamType)> = Vec::new();
    if let Some(b) = stdlib.lookup("model", model.architecture.name()) {
        params.extend(b.params.iter().map(|p| (p.name.clone(), p.ty.clone())));
    }
    if let Some(b) = stdlib.settings("model") {
        params.extend(b.params.iter().filter(|p| p.name != "data").map(|p| (p.name.clone(), p.ty.clone())));
    }
    if let Some(b) = stdlib.lookup("optimizer", model.settings.optimizer.name()) {
        params.extend(b.params.iter().map(|p| (p.name.clone(), p.ty.clone())));
    }
    params
}

/// E0501 for a key that is not a searchable parameter of the model.
fn unknown_parameter(p: &mut Pass<'_>, file: FileId, key: &Ident, params: &[(String, ParamType)], model: Def<'_>) {
    let target = &model.def.name.name;
    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    let help = match did_you_mean(&key.name, names.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("model `{target}` can search {}", list_names(names)),
    };
    p.report(
        Diagnostic::error(
            Code::E0501,
            file,
            key.span,
            format!("model `{target}` has no parameter `{}` to search", key.name),
        )
        .with_primary("not a parameter of the model")
        .with_label_in(model.file, model.def.name.span, format!("model `{target}` is defined here"))
        .with_help(help),
    );
}

/// The distribution `param` (of type `ty`) is drawn from; `None` after an error.
fn distribution(
    p: &mut Pass<'_>,
    file: FileId,
    param: &str,
    ty: &ParamType,
    value: &Expr,
    strategy: &str,
) -> Option<Distribution> {
    let (builtin, mut dist) = p.builtin_call(file, "distribution", value)?;
    let args = dist.as_call()?.1.clone();
    let num = |k: &str| args.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let (low, high) = (num("low"), num("high"));
    let span = value.span;
    let kind = builtin.name.as_str();
    if let Some((message, help)) = empty_range(kind, param, low, high) {
        p.report(
            Diagnostic::error(Code::E0502, file, span, message).with_primary("empty or invalid range").with_help(help),
        );
        return None;
    }
    if kind == "choice" {
        // Each candidate must be a valid value of the parameter, and is kept as checked (with
        // the parameter's type and defaults) for the trials to apply.
        if let ExprKind::Call { args, .. } = &value.kind {
            let mut candidates = Vec::with_capacity(args.len());
            for arg in args {
                candidates.push(p.value(file, ty, &arg.value, param)?);
            }
            dist = Value::Call {
                call: "choice".into(),
                args: BTreeMap::from([("values".to_string(), Value::List(candidates))]),
            };
        }
    }
    if let Some(misfit) = misfit(file, span, kind, param, ty, strategy, (low, high)) {
        p.report(misfit);
        return None;
    }
    p.typed(file, span, &format!("the distribution of `{param}`"), &dist)
}

/// Message and help for a range with nothing in it.
fn empty_range(kind: &str, param: &str, low: f64, high: f64) -> Option<(String, &'static str)> {
    let help = match kind {
        "uniform" | "loguniform" if low >= high => "write the lower bound first: `low < high`",
        "int_range" if low > high => "write the lower bound first: `low <= high`",
        _ => return None,
    };
    Some((format!("`{param}` is searched from {low} to {high}, an empty range"), help))
}

/// A distribution that does not fit the parameter or the strategy: a range for a non-numeric
/// parameter (E0202), a continuous range in a grid (E0502), fractions for a whole number
/// (E0202), a range beyond what the parameter accepts (E0502).
fn misfit(
    file: FileId,
    span: Span,
    kind: &str,
    param: &str,
    ty: &ParamType,
    strategy: &str,
    (low, high): (f64, f64),
) -> Option<Diagnostic> {
    let numeric = matches!(
        ty,
        ParamType::Int
            | ParamType::Count
            | ParamType::Natural
            | ParamType::Float
            | ParamType::Fraction
            | ParamType::OpenFraction
            | ParamType::Rate
    );
    let continuous = matches!(kind, "uniform" | "loguniform");
    if kind != "choice" && !numeric {
        return Some(
            Diagnostic::error(
                Code::E0202,
                file,
                span,
                format!("`{param}` takes {}, so it cannot be drawn from `{kind}`", ty.describe()),
            )
            .with_primary("numeric range for a non-numeric parameter")
            .with_help(format!("list the candidates instead: `{param} = choice(...)`")),
        );
    }
    if strategy == "grid" && continuous {
        return Some(
            Diagnostic::error(
                Code::E0502,
                file,
                span,
                format!("a grid search cannot enumerate the continuous range of `{param}`"),
            )
            .with_primary("continuous range in a grid")
            .with_help("use `choice(...)` or `int_range(...)` with `grid`, or switch to `random` or `bayesian`"),
        );
    }
    // The range must lie within what the parameter accepts, and an integer parameter needs
    // integer candidates.
    if continuous && matches!(ty, ParamType::Int | ParamType::Count | ParamType::Natural) {
        return Some(
            Diagnostic::error(
                Code::E0202,
                file,
                span,
                format!("`{param}` is a whole number, but `{kind}` draws fractions"),
            )
            .with_primary("continuous range for an integer parameter")
            .with_help(format!("use `{param} = int_range(low, high)` or `choice(...)`")),
        );
    }
    let fits = |v: f64| match ty {
        ParamType::Fraction => (0.0..=1.0).contains(&v),
        ParamType::OpenFraction => (0.0..1.0).contains(&v),
        ParamType::Rate => v > 0.0,
        ParamType::Count => v >= 1.0,
        ParamType::Natural => v >= 0.0,
        _ => true,
    };
    if kind != "choice" && !(fits(low) && fits(high)) {
        return Some(
            Diagnostic::error(
                Code::E0502,
                file,
                span,
                format!("the range of `{param}` goes outside the values it accepts, {}", ty.describe()),
            )
            .with_primary("range out of bounds")
            .with_help(format!("keep both ends within {}", ty.describe())),
        );
    }
    None
}
